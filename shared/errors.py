"""The service's errors, one family, free of HTTP and of secret material.

Below the routes code raises these; the API layer maps each to its status and code once
(shared/api/errors.py). Messages are written for humans and never include a value.
"""

from __future__ import annotations


class ServiceError(Exception):
    code = "internal"
    status = 500
    default_message = "internal error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class BadRequest(ServiceError):
    code, status, default_message = "bad_request", 400, "bad request"


class Unauthorized(ServiceError):
    code, status, default_message = "unauthorized", 401, "a valid access token is required"


class Forbidden(ServiceError):
    code, status, default_message = "forbidden", 403, "your role does not allow this"


class NotFound(ServiceError):
    code, status, default_message = "not_found", 404, "not found"


class Conflict(ServiceError):
    code, status, default_message = "conflict", 409, "conflict"


class PreconditionFailed(ServiceError):
    code, status, default_message = "precondition_failed", 412, "the secret has changed"


class PayloadTooLarge(ServiceError):
    code, status, default_message = "payload_too_large", 413, "request body too large"


class ValidationFailed(ServiceError):
    code, status, default_message = "validation_error", 422, "invalid request"


class RateLimited(ServiceError):
    code, status, default_message = "rate_limited", 429, "too many requests"


class Unavailable(ServiceError):
    code, status, default_message = "unavailable", 503, "the database is unavailable; retry shortly"
