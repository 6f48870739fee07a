"""`GET /metrics` under `serve`/`dev`: the Prometheus text, for loopback clients, or for
anyone presenting `Authorization: Bearer $MESHHOOK_METRICS_TOKEN`. Not in any Lambda's
route set (Lambdas report through EMF lines instead)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.errors import Forbidden, Unauthorized

router = APIRouter()


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "testclient", a unix socket path...


def check_access(request: Request, token: str | None) -> None:
    """Raise unless the client may read the metrics."""
    if is_loopback(request.client.host if request.client else None):
        return
    if not token:
        raise Forbidden("metrics are served to loopback clients only; set MESHHOOK_METRICS_TOKEN for others")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("a bearer metrics token is required")


@router.get("/metrics", name="metrics", include_in_schema=False)
def metrics_text(request: Request) -> Response:
    settings = request.app.state.container().settings
    secret = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    check_access(request, secret)
    backend = request.app.state.metrics
    return Response(backend.render(), media_type=backend.content_type)
