"""Fixtures for the observability tests: the service's log lines as parsed JSON, and the
Prometheus backend's samples."""

from __future__ import annotations

import io
import json

import pytest

from tests.api.conftest import create, lambda_env  # noqa: F401  (fixtures shared with tests/api)


class LogCapture:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def requests(self) -> list[dict]:
        return [line for line in self.lines() if line.get("message") == "request"]

    def one_request(self, request_id: str) -> dict:
        found = [line for line in self.requests() if line["request_id"] == request_id]
        assert len(found) == 1, (request_id, self.text)
        return found[0]


@pytest.fixture
def logs():
    """Everything the service's logger writes during the test (its handler's stream swapped)."""
    from shared.observability.logs import get_logger

    handler = get_logger().logger_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield LogCapture(stream)
    finally:
        handler.setStream(previous)


@pytest.fixture
def prom():
    """Read a sample of the process's Prometheus registry (what `/metrics` renders)."""
    from shared.observability.prom import process_backend

    registry = process_backend().registry

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    return value
