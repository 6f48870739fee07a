"""The request middleware: a request id for every request (returned as `X-Request-Id`), one
JSON log line when it ends, and its metrics (docs/operations.md#alarms-and-metrics).

The log line holds exactly: request_id, route, status, duration_ms, caller_kind,
project_id, error_code (plus the logger's time, level and service, and on Lambda the
function's context); Powertools leaves out the last two when they are None. Nothing else
from the request: no path, query, header or body.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import error_for_status
from shared.observability import context, metrics
from shared.observability.logs import log_event

# Requests that are not the service's traffic: scraping and the dev page that draws it.
UNMETERED = frozenset({"metrics", "dev_metrics_page"})
# API Gateway and Lambda request ids are UUIDs or base64-ish; anything else is generated.
_ID = re.compile(r"[A-Za-z0-9._=+/-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """API Gateway's request id when Mangum passes the event, else Lambda's, else a new one."""
    event = scope.get("aws.event")
    candidates = []
    if isinstance(event, dict) and isinstance(event.get("requestContext"), dict):
        candidates.append(event["requestContext"].get("requestId"))
    candidates.append(getattr(scope.get("aws.context"), "aws_request_id", None))
    for candidate in candidates:
        if isinstance(candidate, str) and _ID.fullmatch(candidate):
            return candidate
    return str(uuid.uuid4())


def _project_id(scope: Scope) -> str | None:
    raw = (scope.get("path_params") or {}).get("project_id")
    try:
        return str(uuid.UUID(str(raw))) if raw is not None else None
    except ValueError:
        return None  # not an id: whatever it is, it is not logged


class ObserveRequests:
    def __init__(self, app: ASGIApp, backend: metrics.Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        header = (b"x-request-id", request_id.encode())
        status = 500  # if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        ctx, token = context.start(request_id)
        bound = metrics.bind(self.backend)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.unbind(bound)
            context.end(token)
            self.record(scope, ctx, status, time.perf_counter() - started)

    def record(self, scope: Scope, ctx: context.RequestContext, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "name", None) or "unmatched"
        error = ctx.error or (error_for_status(status).code if status >= 400 else None)
        fields: dict[str, Any] = {
            "request_id": ctx.request_id, "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 3), "caller_kind": ctx.caller,
            "project_id": _project_id(scope), "error_code": error,
        }
        log_event("request", fields, error=status >= 500)
        if route in UNMETERED:
            return
        self.backend.observe_request(route, status, seconds)
        counted = metrics.COUNTED_ERRORS.get(error or "")
        if counted:
            self.backend.count(counted)
