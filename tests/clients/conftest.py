"""A real `dev` server with one secret, for the JS client and the Node example, and a way to
run Node scripts against it. The JS client must be built (`scripts/test` does it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.devserver import DevServer, start_dev_server
from tests.support.http_stub import Answer, Stub, serve

ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIST = ROOT / "clients" / "js" / "dist" / "index.js"
VALUE = "sk_test_fake_51Hj5mQ2eZvKYlo2C0nodeclient"


@dataclass
class Dev:
    server: DevServer
    runner_token: str

    @property
    def env(self) -> dict[str, str]:
        return {"API": self.server.base_url, "PROJECT": self.server.project_id, "RUNNER_TOKEN": self.runner_token}

    def mint_runner_token(self, project_id: str) -> str:
        """A runner token of any project, with the JWT secret `dev` generated (its CLI)."""
        cli = Path(sys.executable).with_name("meshhook-secrets")
        out = subprocess.run([str(cli), "token", "--runner", "--project", project_id, "--data-dir",
                              str(self.server.data_dir)], capture_output=True, text=True, timeout=30, check=True)
        return out.stdout.strip()


@pytest.fixture(scope="session")
def js_client() -> Path:
    """The built JS client; a test that needs it fails (never skips) without it."""
    if not CLIENT_DIST.is_file():
        pytest.fail("the JS client is not built: scripts/test builds it (or: cd clients/js && npm ci && npm run build)")
    return CLIENT_DIST


@pytest.fixture(scope="session")
def dev(js_client, tmp_path_factory) -> Iterator[Dev]:
    server = start_dev_server(tmp_path_factory.mktemp("clients") / ".meshhook")
    try:
        exported = dict(part.split("=", 1) for part in server.export_line.split()[1:])
        created = httpx.post(f"{server.base_url}/api/projects/{server.project_id}/secrets",
                             headers={"Authorization": f"Bearer {server.token('admin')}"},
                             json={"name": "STRIPE_API_KEY", "value": VALUE})
        assert created.status_code == 201, created.text
        yield Dev(server, exported["RUNNER_TOKEN"])
    finally:
        server.stop()


def run_node(script: Path | str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(script), *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def http_stub() -> Iterator[Callable[[Answer], Stub]]:
    """Starts local HTTP servers (tests/support/http_stub.py) that outlive the call, until
    the test ends."""
    with ExitStack() as servers:
        yield lambda answer: servers.enter_context(serve(answer))


def json_answer(status: int, body: object, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


def other_project() -> str:
    return str(uuid.uuid4())
