"""Finding 6 of issue #12: hostile bytes in headers and paths are a 400, never a 500; an
unexpected exception is one log line without traceback or message; control characters
never reach the log raw. Every test here also fails on any "Traceback" in the log
(conftest.server_log)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from starlette.testclient import TestClient

from tests.api.conftest import secrets_url
from tests.resilience.conftest import serve_in_thread
from tests.security.conftest import raw_request

FAKE_MESSAGE = "fake-secret-in-exception-message"


@pytest.mark.parametrize("raw", [b"\xb2", b"\xb3", b"\xb9", b"1\xb9", b'W/"\xb2"', "١".encode(), b"\x1b[0m"])
def test_if_match_of_non_ascii_digits_is_a_400(live, project, create, raw):
    """Before: '²' (byte 0xB2, read as latin-1) passed isdigit() and int() raised: a 500."""
    secret = create(project)
    status, body = raw_request(
        live.base_url, "PUT", secrets_url(project.id, secret["id"]).encode(),
        [(b"Authorization", project.auth("owner")["Authorization"].encode()),
         (b"Content-Type", b"application/json"), (b"If-Match", raw)], b'{"description": "x"}')
    assert status == 400, body
    assert json.loads(body)["error"] == "bad_request"


@pytest.fixture
def ui_dir(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>ui</title>")
    (tmp_path / ".meshhook-built").write_text("build-stamp-0000")
    return tmp_path


@pytest.mark.parametrize("path", ["/%00", "/%1b[31mred", "/api/projects/%00/secrets", "/a%0d%0aforged: line"])
def test_control_characters_in_the_path_are_a_400_before_anything(app_with, ui_dir, server_log, path):
    """Before: GET /%00 was a 500 (the UI's file lookup raised on the NUL), logged raw."""
    with TestClient(app_with(static_dir=ui_dir), raise_server_exceptions=False) as c:
        r = c.get(path)
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert r.headers["cache-control"] == "no-store"
    logged = server_log.getvalue()
    assert "\x00" not in logged and "\x1b" not in logged and "forged: line" not in logged.split("\n", 1)[0]


class Exploding:
    """A service whose every operation fails unexpectedly, with a message that must not leak."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RuntimeError(FAKE_MESSAGE)
        return fail


def test_unexpected_exception_is_one_line_without_traceback(app_with, project, server_log):
    """Before: Starlette re-raised after the catch-all; uvicorn logged the full traceback
    with the exception's message."""
    live = serve_in_thread(app_with(service=Exploding()), log_config=None)
    try:
        r = httpx.get(f"{live.base_url}{secrets_url(project.id)}", headers=project.auth("owner"), timeout=10)
    finally:
        live.stop()
    assert r.status_code == 500 and r.json() == {"error": "internal", "message": "internal error"}
    logged = server_log.getvalue()
    assert FAKE_MESSAGE not in logged
    assert f"unhandled RuntimeError on GET /api/projects/{project.id}/secrets" in logged


def test_unexpected_exception_through_lambda_has_no_traceback(lambda_env, project, server_log, monkeypatch):
    from shared.api.app import lambda_handler
    from shared.container import default_container
    from tests.api.conftest import load_event

    handler = lambda_handler("list_secrets")
    monkeypatch.setattr(default_container(), "service", Exploding())
    event = load_event("list_secrets", project_id=project.id, token=project.tokens["owner"])
    response = handler(event, None)
    assert response["statusCode"] == 500
    assert FAKE_MESSAGE not in server_log.getvalue() and FAKE_MESSAGE not in response["body"]


def test_log_safe_escapes_every_control_character():
    from shared.api.errors import log_safe

    assert log_safe("/a\x00b\x1b[2J\r\nc\\d\u2028") == "/a\\x00b\\x1b[2J\\x0d\\x0ac\\x5cd\\u2028"


def test_raw_control_bytes_in_headers_are_harmless(live, project, create):
    secret = create(project)
    auth = project.auth("owner")["Authorization"].encode()
    status, _ = raw_request(live.base_url, "POST", secrets_url(project.id, secret["id"], "reveal").encode(),
                            [(b"Authorization", auth), (b"User-Agent", b"evil\x1b[31m\xff\xb2")])
    assert status == 200
    status, _ = raw_request(live.base_url, "GET", f"/api/projects/{uuid.uuid4()}".encode(),
                            [(b"Authorization", b"Bearer \xb2\xb3\xb9")])
    assert status == 401


def test_raw_nul_in_the_path_is_a_400(live, server_log):
    status, body = raw_request(live.base_url, "GET", b"/%00", [])
    assert status == 400 and json.loads(body)["error"] == "bad_request"
