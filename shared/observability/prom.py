"""The Prometheus backend of shared.observability.metrics (`serve`, `dev`): prometheus-client
counters, gauges and a latency histogram in a registry of this process's own, rendered
by `GET /metrics` in the text exposition format."""

from __future__ import annotations

import functools
import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from shared.observability.metrics import (
    CATALOG,
    LATENCY,
    REQUESTS,
    SERVER_ERRORS,
    _check,
)

# Seconds; a request of this service takes milliseconds (resolve of 50 names a few).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PrometheusBackend:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ("route", "status")
        self._requests = Counter(REQUESTS.prometheus, REQUESTS.help, labels, registry=self.registry)
        self._server_errors = Counter(SERVER_ERRORS.prometheus, SERVER_ERRORS.help, ("route",),
                                      registry=self.registry)
        self._latency = Histogram(LATENCY.prometheus, LATENCY.help, labels, buckets=BUCKETS,
                                  registry=self.registry)
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}
        self._kek_created: float | None = None
        for name, metric in CATALOG.items():
            if metric.kind == "counter":
                self._counters[name] = Counter(metric.prometheus, metric.help, registry=self.registry)
            elif name == "kek_age_days":
                # Set from an age at one moment, read as an age now: it does not go stale
                # between two rotations.
                gauge = Gauge(metric.prometheus, metric.help, registry=self.registry)
                gauge.set_function(self._kek_age_now)
                self._gauges[name] = gauge
            else:
                self._gauges[name] = Gauge(metric.prometheus, metric.help, registry=self.registry)

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        code = str(status)
        self._requests.labels(route, code).inc()
        self._latency.labels(route, code).observe(seconds)
        if status >= 500:
            self._server_errors.labels(route).inc()

    def count(self, name: str, value: float = 1) -> None:
        _check(name, "counter")
        self._counters[name].inc(value)

    def gauge(self, name: str, value: float) -> None:
        _check(name, "gauge")
        if name == "kek_age_days":
            self._kek_created = time.time() - value * 86400
        else:
            self._gauges[name].set(value)

    def flush(self) -> None:
        pass  # scraped, not pushed

    def _kek_age_now(self) -> float:
        if self._kek_created is None:
            return float("nan")  # not known yet: no sample rather than a wrong one
        return (time.time() - self._kek_created) / 86400

    def render(self) -> bytes:
        return generate_latest(self.registry)


@functools.cache
def process_backend() -> PrometheusBackend:
    """The one registry of a `serve`/`dev` process: counters are cumulative, as scrapers expect."""
    return PrometheusBackend()
