"""The service's errors, one family, free of HTTP and of secret material.

Below the routes code raises these; the API layer maps each to its status and code once
(shared/api/errors.py). Messages are written for humans and never include a value.
"""

from __future__ import annotations


class ServiceError(Exception):
    """The base, and the 500 itself: its message never leaves the service."""

    code = "internal"
    status = 500
    default_message = "internal error"
    meaning = "an unexpected failure; the response carries no detail, ever"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class BadRequest(ServiceError):
    code, status, default_message = "bad_request", 400, "bad request"
    meaning = "the request is malformed (not JSON, a bad header or cursor)"


class Unauthorized(ServiceError):
    code, status, default_message = "unauthorized", 401, "a valid access token is required"
    meaning = "no valid bearer token: missing, forged, expired or of the wrong kind"


class Forbidden(ServiceError):
    code, status, default_message = "forbidden", 403, "your role does not allow this"
    meaning = "a member of the project whose role does not allow this"


class NotFound(ServiceError):
    code, status, default_message = "not_found", 404, "not found"
    meaning = "no such project or secret, or a project you do not belong to"


class Conflict(ServiceError):
    code, status, default_message = "conflict", 409, "conflict"
    meaning = "the name exists in the project, or the project is full"


class PreconditionFailed(ServiceError):
    code, status, default_message = "precondition_failed", 412, "the secret has changed"
    meaning = "If-Match names a version that is no longer current"


class PayloadTooLarge(ServiceError):
    code, status, default_message = "payload_too_large", 413, "request body too large"
    meaning = "the body or the value exceeds its limit"


class ValidationFailed(ServiceError):
    code, status, default_message = "validation_error", 422, "invalid request"
    meaning = "a field breaks a rule; the message says which, never the value"


class RateLimited(ServiceError):
    code, status, default_message = "rate_limited", 429, "too many requests"
    meaning = "too many reveals; retry after the window (`Retry-After` says how many seconds)"

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the window has room again


class Unavailable(ServiceError):
    code, status, default_message = "unavailable", 503, "the database is unavailable; retry shortly"
    meaning = "the database (or the root key) cannot be reached; retry shortly"


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
