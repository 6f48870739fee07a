"""What the request middleware learns about a request from deeper in the app.

The middleware puts a RequestContext in a context variable; the principal dependency and
the error responses each add one fact with one call. The object is mutable and shared, so
a fact noted in a worker thread (a copied context) still reaches the middleware.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    caller: str = "anonymous"  # user, runner or service once a token is verified
    error: str | None = None  # the error code the response carries


_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("meshhook_request", default=None)


def current() -> RequestContext | None:
    return _context.get()


def start(request_id: str) -> tuple[RequestContext, contextvars.Token]:
    ctx = RequestContext(request_id)
    return ctx, _context.set(ctx)


def end(token: contextvars.Token) -> None:
    _context.reset(token)


def note_caller(kind: str) -> None:
    """The verified caller's kind (shared/api/deps.py)."""
    ctx = _context.get()
    if ctx is not None:
        ctx.caller = kind


def note_error(code: str) -> None:
    """The error code of the response being sent (shared/api/errors.py)."""
    ctx = _context.get()
    if ctx is not None:
        ctx.error = code
