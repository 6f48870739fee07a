"""The one metrics interface the service code uses, whatever the backend (docs/operations.md#alarms-and-metrics).

    from shared.observability import metrics
    metrics.count("integrity_failures")

Two backends implement it: CloudWatch embedded metric format through Powertools on Lambda
(shared/observability/emf.py), prometheus-client under `serve`/`dev`
(shared/observability/prom.py); NULL when nothing is installed (tests, the CLI). Inside a
request the backend is the serving app's (the request middleware sets it for the request's
context); elsewhere it is the process default that `install` sets (the rotation job).

This module imports neither library: a Lambda handler's cold import stays small.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Metric:
    kind: str  # "counter" or "gauge"
    prometheus: str
    cloudwatch: str
    unit: str  # a CloudWatch unit name
    help: str


# Every metric besides the per-request ones, by the name service code uses:
# (name, kind, CloudWatch name, CloudWatch unit, help). Prometheus: meshhook_<name>[_total].
_ROWS = (
    ("auth_failures", "counter", "AuthFailures", "Count", "requests refused 401: no valid bearer token"),
    ("forbidden", "counter", "Forbidden", "Count", "requests refused 403: the caller's role does not allow it"),
    ("rate_limited", "counter", "RateLimited", "Count", "requests refused 429 (the reveal limit)"),
    ("integrity_failures", "counter", "IntegrityFailures", "Count",
     "stored ciphertext or a wrapped DEK that failed authentication"),
    ("kms_failures", "counter", "KmsFailures", "Count",
     "calls to KMS that failed or were refused, after botocore's retry (a warm container may hide an outage)"),
    ("secrets_resolved", "counter", "SecretsResolved", "Count", "secret values handed to workflow runs by resolve"),
    ("kek_age_days", "gauge", "KekAgeDays", "None", "age of the active KEK, in days"),
    ("rewrap_deks", "counter", "RewrapDeks", "Count", "DEKs re-wrapped under the active KEK by rotation"),
    ("rewrap_remaining", "gauge", "RewrapRemaining", "Count",
     "DEKs still under a retired KEK, as the rotation job last counted"),
    ("rewrap_failures", "counter", "RewrapFailures", "Count", "re-wrap passes that stopped on an error"),
    ("rotation_failures", "counter", "RotationFailures", "Count", "KEK rotation runs that failed"),
    ("rotations", "counter", "Rotations", "Count", "new active KEKs made by rotation"),
)
CATALOG: dict[str, Metric] = {
    name: Metric(kind, f"meshhook_{name}" + ("_total" if kind == "counter" else ""), cloudwatch, unit, text)
    for name, kind, cloudwatch, unit, text in _ROWS
}

# Request-level figures, recorded by the middleware (observe_request).
REQUESTS = Metric("counter", "meshhook_requests_total", "Requests", "Count", "HTTP requests, by route and status")
SERVER_ERRORS = Metric("counter", "meshhook_server_errors_total", "ServerErrors", "Count",
                       "HTTP responses with a 5xx status (0 or 1 per request on CloudWatch)")
LATENCY = Metric("histogram", "meshhook_request_duration_seconds", "Latency", "Milliseconds",
                 "time to answer a request, by route and status")

# The error codes of the refusals counted on their own (shared/errors.py).
COUNTED_ERRORS = {"unauthorized": "auth_failures", "forbidden": "forbidden", "rate_limited": "rate_limited"}


class Backend(Protocol):
    def observe_request(self, route: str, status: int, seconds: float) -> None: ...
    def count(self, name: str, value: float = 1) -> None: ...
    def gauge(self, name: str, value: float) -> None: ...
    def flush(self) -> None: ...


class NullBackend:
    """Records nothing: metrics off."""

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        pass

    def count(self, name: str, value: float = 1) -> None:
        _check(name, "counter")

    def gauge(self, name: str, value: float) -> None:
        _check(name, "gauge")

    def flush(self) -> None:
        pass


NULL = NullBackend()
_default: Backend = NULL
_current: contextvars.ContextVar[Backend | None] = contextvars.ContextVar("meshhook_metrics", default=None)


def _check(name: str, kind: str) -> Metric:
    metric = CATALOG.get(name)
    if metric is None or metric.kind != kind:
        raise KeyError(f"no {kind} named {name!r} in the metrics catalog")
    return metric


def install(backend: Backend) -> Backend:
    """Make `backend` the process default; returns the previous one."""
    global _default
    previous, _default = _default, backend
    return previous


def backend() -> Backend:
    return _current.get() or _default


def bind(value: Backend) -> contextvars.Token:
    """The backend for this context (one request); undo with `unbind`."""
    return _current.set(value)


def unbind(token: contextvars.Token) -> None:
    _current.reset(token)


def count(name: str, value: float = 1) -> None:
    backend().count(name, value)


def gauge(name: str, value: float) -> None:
    backend().gauge(name, value)
