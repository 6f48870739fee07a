"""The service's errors, one family, free of HTTP and of secret material.

Below the routes code raises these; the API layer maps each to its status and code once
(shared/api/errors.py), and the OpenAPI document and docs/api.md describe each from the
same class. Messages are written for humans and never include a value.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An unexpected failure: the base of the family, and the 500 itself. Its message never
    leaves the service: the response carries no detail, ever."""

    code = "internal"
    status = 500
    default_message = "internal error"

    def __init_subclass__(cls, *, code: str | None = None, status: int | None = None,
                          message: str | None = None) -> None:
        """A kind of error declares its code, status and default message in its class line,
        and what it means in its docstring; a subclass without them inherits its parent's."""
        super().__init_subclass__()
        cls.code = code or cls.code
        cls.status = status or cls.status
        cls.default_message = message or cls.default_message

    @classmethod
    def meaning(cls) -> str:
        """The docstring as one line, for the OpenAPI document and docs/api.md."""
        return " ".join((cls.__doc__ or "").split())

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class BadRequest(ServiceError, code="bad_request", status=400, message="bad request"):
    """The request is malformed: not JSON, or a header, cursor or parameter this API
    cannot read."""


class Unauthorized(ServiceError, code="unauthorized", status=401, message="a valid access token is required"):
    """No valid bearer token: missing, forged, expired or of the wrong kind. Every cause
    gets the same answer, so a prober learns nothing about which check failed."""


class Forbidden(ServiceError, code="forbidden", status=403, message="your role does not allow this"):
    """The caller belongs to the project and their role does not allow this."""


class NotFound(ServiceError, code="not_found", status=404, message="not found"):
    """No such project or secret, or a project the caller does not belong to: the two are
    never told apart (no membership oracle)."""


class Conflict(ServiceError, code="conflict", status=409, message="conflict"):
    """The name exists in the project, or the project is full."""


class PreconditionFailed(ServiceError, code="precondition_failed", status=412, message="the secret has changed"):
    """If-Match names a version that is no longer current: someone else wrote first."""


class PayloadTooLarge(ServiceError, code="payload_too_large", status=413, message="request body too large"):
    """The body or the value exceeds its limit; the limit is named, the content never
    echoed."""


class ValidationFailed(ServiceError, code="validation_error", status=422, message="invalid request"):
    """A field breaks a rule; the message says which rule, never the value."""


class RateLimited(ServiceError, code="rate_limited", status=429, message="too many requests"):
    """Too many reveals in the window; `Retry-After` says how many seconds until there is
    room again."""

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the window has room again


class Unavailable(ServiceError, code="unavailable", status=503,
                  message="the database is unavailable; retry shortly"):
    """The database (or the root key) cannot be reached; the same request may succeed
    shortly."""

    retry_after = 1  # seconds, sent as the 503's Retry-After
    transient = True  # jobs stop with exit 75 (rerun to resume), not 1


# The one table of error codes: the API's handlers, the OpenAPI document and docs/api.md
# all read it.
ERRORS: tuple[type[ServiceError], ...] = (
    BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, PayloadTooLarge,
    ValidationFailed, RateLimited, ServiceError, Unavailable,
)
_BY_STATUS = {cls.status: cls for cls in ERRORS}


def error_for_status(status: int) -> type[ServiceError]:
    """The error class of an HTTP status the framework produced (405 and 415 are bad requests)."""
    return _BY_STATUS.get(status) or (ServiceError if status >= 500 else BadRequest)
