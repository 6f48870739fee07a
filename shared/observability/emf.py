"""The CloudWatch backend of shared.observability.metrics (Lambda): Powertools Metrics, which
write embedded-metric-format lines to stdout; CloudWatch Logs turns them into metrics, with
no AWS call from the function. The Lambda handler flushes once per invocation.

Every metric has the dimension set [service] (what the alarms in serverless.yml read);
request figures also get [service, route, status], for a breakdown by route and status.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics

from shared.observability.logs import SERVICE
from shared.observability.metrics import LATENCY, REQUESTS, SERVER_ERRORS, _check

NAMESPACE = "MeshHookSecrets"


class EmfBackend:
    def __init__(self, namespace: str = NAMESPACE, service: str = SERVICE) -> None:
        self.powertools = Metrics(namespace=namespace, service=service)
        self._service = service

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        m = self.powertools
        m.add_dimensions(service=self._service, route=route, status=str(status))
        m.add_metric(name=REQUESTS.cloudwatch, unit=REQUESTS.unit, value=1)
        m.add_metric(name=SERVER_ERRORS.cloudwatch, unit=SERVER_ERRORS.unit, value=1 if status >= 500 else 0)
        m.add_metric(name=LATENCY.cloudwatch, unit=LATENCY.unit, value=round(seconds * 1000, 3))

    def count(self, name: str, value: float = 1) -> None:
        metric = _check(name, "counter")
        self.powertools.add_metric(name=metric.cloudwatch, unit=metric.unit, value=value)

    def gauge(self, name: str, value: float) -> None:
        metric = _check(name, "gauge")
        self.powertools.add_metric(name=metric.cloudwatch, unit=metric.unit, value=value)

    def flush(self) -> None:
        """Write one EMF line with what this invocation recorded (nothing when it recorded nothing)."""
        if self.powertools.metric_set:
            self.powertools.flush_metrics()
