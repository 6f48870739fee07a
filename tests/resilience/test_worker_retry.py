"""The Python worker client (`fetch_run_secrets`) against a local stub server (issue #18):
a 503 is retried after its Retry-After plus jitter, a bounded number of times; a 4xx never.
The waits are recorded by an injected `sleep`, so the test does not sleep."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.errors import Unavailable
from shared.runtime.templating import UnknownSecretError
from shared.runtime.worker import fetch_run_secrets

PROJECT = uuid.UUID("00000000-0000-4000-8000-000000000018")
CONFIG = {"url": "https://example.invalid", "token": "{{secrets.API_TOKEN}}"}
OK = (200, {}, {"secrets": {"API_TOKEN": "fake-token-for-tests"}})
BUSY = (503, {"Retry-After": "2"}, {"error": "unavailable", "message": "retry shortly"})


class Stub:
    """Answers each POST with the next scripted (status, headers, body); records the calls."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict, dict]] = []
        self.calls = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.calls += 1
                status, headers, body = stub.script.pop(0)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.server.shutdown()
    s.server.server_close()


def fetch(stub: Stub, waits: list[float], **kwargs):
    return fetch_run_secrets(stub.url, "fake-runner-token", PROJECT, CONFIG, sleep=waits.append, **kwargs)


def test_503_is_retried_after_retry_after_with_jitter(stub: Stub) -> None:
    stub.script = [BUSY, BUSY, OK]
    waits: list[float] = []
    secrets = fetch(stub, waits)
    assert secrets.render(CONFIG)["token"] == "fake-token-for-tests"
    assert stub.calls == 3 and len(waits) == 2
    assert all(2.0 <= w <= 3.0 for w in waits), waits  # at least Retry-After, at most +50%


def test_attempts_are_bounded(stub: Stub) -> None:
    stub.script = [BUSY] * 3
    waits: list[float] = []
    with pytest.raises(Unavailable, match="after 3 attempts"):
        fetch(stub, waits, attempts=3)
    assert stub.calls == 3 and len(waits) == 2


def test_retry_after_is_capped(stub: Stub) -> None:
    stub.script = [(503, {"Retry-After": "3600"}, {"error": "unavailable"}), OK]
    waits: list[float] = []
    fetch(stub, waits, max_delay=5.0)
    assert 5.0 <= waits[0] <= 7.5


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429])
def test_4xx_is_never_retried(stub: Stub, status: int) -> None:
    message = "unknown secrets: API_TOKEN" if status == 404 else "no"
    stub.script = [(status, {"Retry-After": "1"}, {"error": "x", "message": message}), OK]
    waits: list[float] = []
    with pytest.raises((UnknownSecretError, Exception)) as caught:
        fetch(stub, waits)
    assert stub.calls == 1 and waits == []
    if status == 404:
        assert isinstance(caught.value, UnknownSecretError)


def test_connection_refused_is_retried_then_fails(stub: Stub) -> None:
    url = stub.url
    stub.server.shutdown()
    stub.server.server_close()
    waits: list[float] = []
    with pytest.raises(Unavailable, match="refused"):
        fetch_run_secrets(url, "fake-runner-token", PROJECT, CONFIG, sleep=waits.append, attempts=3,
                          client=httpx.Client(timeout=2))
    assert len(waits) == 2 and waits[0] < waits[1] * 1.5 + 0.01
