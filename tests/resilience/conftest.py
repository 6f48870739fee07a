"""Fixtures for the resilience tests: a Postgres of their own, which a test may stop and
start, and the real app served by uvicorn on a loopback port.

These tests never touch the session's shared database: stopping a server, killing its
backends or pointing a pooler at it would disturb every other test.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest

from tests.support.postgres import PgServer, add_project, own_pg_server, wait_for  # noqa: F401 (used by the tests here)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgServer]:
    with own_pg_server() as server:
        yield server


@dataclass
class LiveServer:
    """The app on a real uvicorn, in a thread of this process, on 127.0.0.1."""

    base_url: str
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout=15)


def serve_in_thread(app, **options) -> LiveServer:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **options))
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
