"""Postgres servers of a test's own, which it may stop and start, and polling for a state.

Shared by tests/resilience (faults, the pooler) and tests/deploy (the Lambda artifact
behind PgBouncer): nothing here touches the session's shared database.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from shared.auth.tokens import mint_user_token
from shared.cli.dev.stack import PgServer, wait_until

# One implementation of a restartable Postgres and of polling, shared with the chaos tool.
wait_for = wait_until


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
