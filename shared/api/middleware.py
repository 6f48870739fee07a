"""ASGI middleware, the outermost layer of the app: refuse oversized bodies before reading
them, refuse paths with control characters before routing, put the security headers on
every response, and end every exception here (one log line, the class only).

Starlette's ServerErrorMiddleware sends the catch-all's 500 and then re-raises, so uvicorn
(or Mangum) would log the full traceback with the exception's message; an exception's
message is not trusted (it may quote a value or a query), so it stops here."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.api.errors import log_safe

log = logging.getLogger("meshhook_secrets.api")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _TooLarge(HTTPException):
    """Raised from inside the body read; the app's handlers turn it into the 413 error."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body too large")


# Every response: never cached (a secret, or a list of them, must not sit in a browser or
# proxy cache); never framed (a reveal or copy button under someone else's page is
# clickjacking); no MIME sniffing; no Referer carrying a URL out of the app.
SECURITY_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_REPLACED = frozenset(name for name, _ in SECURITY_HEADERS)


class BodyLimitAndSecurityHeaders:
    """A body over the limit is refused from its Content-Length, or as soon as the bytes
    streamed so far pass it: it is never buffered whole. Every response, errors and the
    UI's files included, gets SECURITY_HEADERS."""

    def __init__(self, app: ASGIApp, max_body_bytes: int,
                 per_route: Iterable[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (route path template, its own limit): e.g. the import route's 1 MiB.
        self.per_route = [(_path_pattern(path), limit) for path, limit in per_route]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((lim for pattern, lim in self.per_route if pattern.match(scope.get("path", ""))),
                     self.max_body_bytes)
        refusal = _refusal_before_reading(scope, limit)
        if refusal is not None:
            await _refuse(send, *refusal)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        async def send_no_store(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_no_store)
        except _TooLarge:
            if not started:
                await _refuse(send, 413, "payload_too_large", "request body too large")
        except Exception as exc:  # noqa: BLE001 (the last line: nothing goes further up)
            log.error("unhandled %s on %s %s", type(exc).__name__, log_safe(scope.get("method", "")),
                      log_safe(scope.get("path", "")))
            if not started:
                await _refuse(send, 500, "internal", "internal error")


def _refusal_before_reading(scope: Scope, limit: int) -> tuple[int, str, str] | None:
    """What is refused from the request line and headers alone: a declared body over the
    limit, a path with control characters (no route has one; a NUL even breaks file
    lookups)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                too_big = int(value) > limit
            except ValueError:
                too_big = False
            if too_big:
                return 413, "payload_too_large", "request body too large"
    if _CONTROL.search(scope.get("path", "")):
        return 400, "bad_request", "the path contains control characters"
    return None


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/api/projects/{project_id}/x` matches any one segment in place of each `{...}`."""
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$")


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
