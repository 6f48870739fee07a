"""Fixtures of the adversarial tests (issue #12): every test here runs with the server's
log captured, tracebacks included, and fails if a traceback reached it (invariant 9)."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pytest

from tests.support.http_stub import serve

# uvicorn's own loggers do not propagate to the root logger: capture them by name.
CAPTURED_LOGGERS = ("", "uvicorn", "mangum")


@pytest.fixture(autouse=True)
def server_log() -> Iterator[io.StringIO]:
    """Everything logged during the test, formatted as a log file would hold it (the
    default Formatter appends a record's traceback); no traceback may appear."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    saved = []
    for name in CAPTURED_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addHandler(handler)
        if logger.level > logging.INFO or logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
    try:
        yield text
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert "Traceback" not in text.getvalue(), text.getvalue()[-3000:]


@dataclass
class Jwks:
    """A JWKS endpoint on localhost whose keys, status and speed a test controls."""

    url: str
    keys: list[dict] = field(default_factory=list)
    status: int = 200
    hits: int = 0
    hold: threading.Event | None = None  # when set: each fetch waits for it (a slow JWKS)
    entered: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0  # seconds each fetch takes (the simulated fault, for the figures)

    def slow(self) -> threading.Event:
        """From now on every fetch waits until the returned event is set."""
        self.hold = threading.Event()
        self.entered.clear()
        return self.hold


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    state = Jwks(url="")

    def answer(request: dict) -> tuple[int, dict[str, str], bytes]:
        state.hits += 1
        state.entered.set()
        if state.hold is not None:
            state.hold.wait(timeout=20)
        if state.delay:
            threading.Event().wait(state.delay)  # the fault being simulated: a slow JWKS
        return state.status, {"Content-Type": "application/json"}, json.dumps({"keys": state.keys}).encode()

    with serve(answer) as stub:
        state.url = f"{stub.url}/auth/v1/.well-known/jwks.json"
        try:
            yield state
        finally:
            if state.hold is not None:
                state.hold.set()  # let a held fetch finish, so the server can stop


@pytest.fixture
def app_with(container) -> Callable[..., object]:
    """The real app over the session's container with some of its parts replaced
    (`verifier=`, `service=`, ...), for a test that needs one part different."""
    from shared.api.app import create_app

    def make(static_dir=None, **parts):
        changed = replace(container, **parts)
        return create_app(container=lambda: changed, static_dir=static_dir)

    return make


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


from tests.api.conftest import create, lambda_env  # noqa: E402,F401 (fixtures: a secret over HTTP; a Lambda's env)


@pytest.fixture(scope="module")
def live(app):
    """The session's app on a real uvicorn (log_config=None: uvicorn keeps the loggers, and
    server_log's handler, as they are)."""
    from tests.resilience.conftest import serve_in_thread

    server = serve_in_thread(app, log_config=None)
    yield server
    server.stop()


def raw_request(base_url: str, method: str, path: bytes, headers: list[tuple[bytes, bytes]],
                body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request with its bytes exactly as given (HTTP clients re-encode header
    values as UTF-8, so they cannot send a lone 0xB2); returns (status, body)."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(base_url)
    lines = [method.encode() + b" " + path + b" HTTP/1.1", b"Host: " + url.netloc.encode(),
             b"Connection: close", b"Content-Length: " + str(len(body)).encode(),
             *(name + b": " + value for name, value in headers)]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), payload
