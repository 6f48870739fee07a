"""Every error leaves as `{"error": code, "message": text}`, translated here and only here."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.api.schemas import ErrorOut
from shared.errors import RateLimited, ServiceError, error_for_status
from shared.observability.context import note_error

log = logging.getLogger("meshhook_secrets.api")

# What almost every route can answer, whatever it does.
COMMON = (400, 401, 404, 422, 500, 503)

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\\u2028\u2029]")


def log_safe(text: str, limit: int = 300) -> str:
    """Request data fit for one log line: control characters (NUL, ESC, CR, LF, ...) and the
    backslash escaped as \\xNN, so nothing a client sends can forge a line or drive a terminal."""
    return _UNSAFE.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100
                       else "\\u%04x" % ord(m.group()), text[:limit])


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    # Cache-Control and the other security headers come from the middleware, on every response.
    note_error(code)  # the request's log line and metrics carry the code
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for a route's error responses, in the one error shape."""
    out: dict[int | str, dict] = {}
    for status in statuses:
        error = error_for_status(status)
        out[status] = {"model": ErrorOut, "description": f"`{error.code}`: {error.meaning()}"}
    return out


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query", "header"))
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field" + (" (the name of a secret cannot change)" if loc == "name" else "")
        elif err.get("type") == "uuid_parsing":
            msg = "must be a UUID"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        if exc.status >= 500:
            # Log the class only: the message of an unexpected error is not trusted.
            log.error("request failed: %s", type(exc).__name__)
            if exc.status == 503:
                return error_response(503, exc.code, exc.message, {"Retry-After": str(getattr(exc, "retry_after", 1))})
            return error_response(exc.status, exc.code, "internal error")
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return error_response(exc.status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        content_type = request.headers.get("content-type", "")
        body_errors = [e for e in errors if e.get("loc", ("",))[0] == "body"]
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "bad_request", "request body is not valid JSON")
        if body_errors and "json" not in content_type.lower():
            return error_response(400, "bad_request", "request body must be JSON (Content-Type: application/json)")
        if body_errors and any(e.get("type") == "missing" and e.get("loc") == ("body",) for e in errors):
            return error_response(400, "bad_request", "request body is required")
        return error_response(422, "validation_error", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = error_for_status(exc.status_code).code
        message = "not found" if exc.status_code == 404 else (
            "method not allowed" if exc.status_code == 405 else code.replace("_", " "))
        return error_response(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this handler; shared/api/middleware.py catches it there,
        # logs one line (the class, never the message or a traceback) and ends it.
        return error_response(500, "internal", "internal error")
