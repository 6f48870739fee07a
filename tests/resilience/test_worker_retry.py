"""The Python worker client (`fetch_run_secrets`) against a local stub server (issue #18):
a 503 is retried after its Retry-After plus jitter, a bounded number of times; a 4xx never.
The waits are recorded by an injected `sleep`, so the test does not sleep."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from shared.errors import Unavailable
from shared.runtime.templating import UnknownSecretError
from shared.runtime.worker import fetch_run_secrets
from tests.support.http_stub import serve

PROJECT = uuid.UUID("00000000-0000-4000-8000-000000000018")
CONFIG = {"url": "https://example.invalid", "token": "{{secrets.API_TOKEN}}"}
OK = (200, {}, {"secrets": {"API_TOKEN": "fake-token-for-tests"}})
BUSY = (503, {"Retry-After": "2"}, {"error": "unavailable", "message": "retry shortly"})


@dataclass
class Scripted:
    """Answers each POST with the next scripted (status, headers, body)."""

    url: str
    script: list[tuple[int, dict, dict]] = field(default_factory=list)
    calls: int = 0


@pytest.fixture
def stub() -> Iterator[Scripted]:
    scripted = Scripted("")

    def answer(request: dict) -> tuple[int, dict[str, str], bytes]:
        scripted.calls += 1
        status, headers, body = scripted.script.pop(0)
        return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()

    with serve(answer) as server:
        scripted.url = server.url
        yield scripted


def fetch(stub: Scripted, waits: list[float], **kwargs):
    return fetch_run_secrets(stub.url, "fake-runner-token", PROJECT, CONFIG, sleep=waits.append, **kwargs)


def test_503_is_retried_after_retry_after_with_jitter(stub: Scripted) -> None:
    stub.script = [BUSY, BUSY, OK]
    waits: list[float] = []
    secrets = fetch(stub, waits)
    assert secrets.render(CONFIG)["token"] == "fake-token-for-tests"
    assert stub.calls == 3 and len(waits) == 2
    assert all(2.0 <= w <= 3.0 for w in waits), waits  # at least Retry-After, at most +50%


def test_attempts_are_bounded(stub: Scripted) -> None:
    stub.script = [BUSY] * 3
    waits: list[float] = []
    with pytest.raises(Unavailable, match="after 3 attempts"):
        fetch(stub, waits, attempts=3)
    assert stub.calls == 3 and len(waits) == 2


def test_retry_after_is_capped(stub: Scripted) -> None:
    stub.script = [(503, {"Retry-After": "3600"}, {"error": "unavailable"}), OK]
    waits: list[float] = []
    fetch(stub, waits, max_delay=5.0)
    assert 5.0 <= waits[0] <= 7.5


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429])
def test_4xx_is_never_retried(stub: Scripted, status: int) -> None:
    message = "unknown secrets: API_TOKEN" if status == 404 else "no"
    stub.script = [(status, {"Retry-After": "1"}, {"error": "x", "message": message}), OK]
    waits: list[float] = []
    with pytest.raises((UnknownSecretError, Exception)) as caught:
        fetch(stub, waits)
    assert stub.calls == 1 and waits == []
    if status == 404:
        assert isinstance(caught.value, UnknownSecretError)


def test_connection_refused_is_retried_then_fails() -> None:
    with serve(lambda request: (500, {}, b"")) as stopped:
        url = stopped.url  # nothing listens there once the server has stopped
    waits: list[float] = []
    with pytest.raises(Unavailable, match="refused"):
        fetch_run_secrets(url, "fake-runner-token", PROJECT, CONFIG, sleep=waits.append, attempts=3,
                          client=httpx.Client(timeout=2))
    assert len(waits) == 2 and waits[0] < waits[1] * 1.5 + 0.01
