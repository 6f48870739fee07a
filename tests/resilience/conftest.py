"""Fixtures for the resilience tests: a Postgres of their own, which a test may stop and
start, and the real app served by uvicorn on a loopback port.

These tests never touch the session's shared database: stopping a server, killing its
backends or pointing a pooler at it would disturb every other test.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from shared.auth.tokens import mint_user_token
from tools.loadtest.stack import PgServer, wait_until

__all__ = ["PgServer", "Service", "add_project", "serve_in_thread", "wait_for"]


# Poll a condition until it is truthy, failing after `timeout` seconds (TimeoutError).
wait_for = wait_until


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgServer]:
    base = Path(tempfile.mkdtemp(prefix="meshhook-res-"))
    server = PgServer.start_new(base / "data")
    yield server
    if server.is_running():
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass
    shutil.rmtree(base, ignore_errors=True)


@dataclass
class LiveServer:
    """The app on a real uvicorn, in a thread of this process, on 127.0.0.1."""

    base_url: str
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout=15)


def serve_in_thread(app) -> LiveServer:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), timeout=20, what="uvicorn to start")
    assert server.started, "uvicorn did not start"
    return LiveServer(f"http://127.0.0.1:{port}", server, thread)


@dataclass
class Service:
    """The whole service on a dedicated database: container, live server, a project."""

    pg: PgServer
    dsn: str
    jwt_secret: str
    container: object
    live: LiveServer
    project_id: uuid.UUID
    admin: dict[str, str] = field(default_factory=dict)  # Authorization header of the owner

    def superuser(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)

    def url(self, *rest: str) -> str:
        return "/".join([f"{self.live.base_url}/api/projects/{self.project_id}/secrets", *rest])


def add_project(dsn: str, jwt_secret: str) -> tuple[uuid.UUID, dict[str, str]]:
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (owner, f"{owner}@test.invalid"))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'resilience')",
                     (project_id, owner))
    return project_id, {"Authorization": f"Bearer {mint_user_token(jwt_secret, owner)}"}


@pytest.fixture(scope="module")
def service(pg_server: PgServer) -> Iterator[Service]:
    from shared.api.app import create_app
    from shared.config import Settings
    from shared.container import build_container

    dsn = pg_server.create_database("resilience")
    jwt_secret = "test-jwt-secret-" + secrets.token_hex(16)
    container = build_container(Settings(
        database_url=dsn, supabase_jwt_secret=jwt_secret,
        meshhook_root_key=base64.b64encode(os.urandom(32)).decode(),
    ))
    live = serve_in_thread(create_app(container=lambda: container))
    project_id, admin = add_project(dsn, jwt_secret)
    yield Service(pg_server, dsn, jwt_secret, container, live, project_id, admin)
    live.stop()
    container.close()
