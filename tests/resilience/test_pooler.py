"""The service behind a transaction-mode pooler, the way Supabase serves serverless
functions (issue #7): PgBouncer in `pool_mode = transaction` in front of a Postgres of
our own, and the whole API suite (tests/api) run again with the service's connections
going through it (tests/conftest.py: MESHHOOK_TEST_POOLER). Fixtures that look underneath
the service, and create databases, still connect directly.

PgBouncer comes from Debian (`apt-get install pgbouncer`; scripts/test installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.resilience.conftest import PgServer
from tools.loadtest.stack import PGBOUNCER, PgBouncer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pgbouncer(pg_server: PgServer) -> Iterator[PgBouncer]:
    if PGBOUNCER is None:
        pytest.fail("pgbouncer is not installed (scripts/test installs it: apt-get install pgbouncer)")
    workdir = Path(tempfile.mkdtemp(prefix="meshhook-pgbouncer-"))
    # one server connection for every client: shows that nothing leaks between transactions
    pinned = f"pinned = host={pg_server.socket_dir} port={pg_server.port} dbname=pooled pool_size=1"
    bouncer = PgBouncer(pg_server, workdir, extra_databases=pinned)
    yield bouncer
    bouncer.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_transaction_settings_do_not_leak_between_clients(pg_server: PgServer, pgbouncer: PgBouncer) -> None:
    """Two clients that share one server connection: the caller's role and claims, set with
    set_config(..., true) by Database.as_caller, end with the caller's transaction."""
    from shared.store.database import API_ROLE, Database

    pg_server.create_database("pooled")
    a = Database(pgbouncer.conninfo("pinned"), max_size=2)
    b = Database(pgbouncer.conninfo("pinned"), max_size=2)
    try:
        claims = {"sub": str(uuid.uuid4()), "role": "authenticated"}
        with a.as_caller(claims) as conn:
            pid_a, role, seen = conn.execute(
                "select pg_backend_pid(), current_user, current_setting('request.jwt.claims', true)").fetchone()
            assert role == API_ROLE and str(claims["sub"]) in seen
        with b.as_system() as conn:
            pid_b, role, seen = conn.execute(
                "select pg_backend_pid(), current_user, current_setting('request.jwt.claims', true)").fetchone()
            assert conn.execute("select count(*) from pg_prepared_statements").fetchone()[0] == 0
        assert pid_a == pid_b  # the same server connection served both clients
        assert role == "postgres" and not seen
    finally:
        a.close()
        b.close()


def test_api_suite_through_pgbouncer(pg_server: PgServer, pgbouncer: PgBouncer) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": pg_server.dsn(),  # direct: the fixtures create databases and look underneath
        "MESHHOOK_TEST_POOLER": pgbouncer.conninfo(),  # the service's own connections
        "PYTHONUNBUFFERED": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/api", "-p", "no:cacheprovider", "-q", "-x"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:] + "\n--- pgbouncer log ---\n" + pgbouncer.log.read_text()[-3000:]
    assert re.search(r"^\d+ passed", output, re.M) and " failed" not in output, output[-2000:]

    # The service's traffic really went through the pooler, in transaction mode.
    stats = {row["database"]: row for row in pgbouncer.admin("SHOW STATS")}
    tested = [name for name in stats if name.startswith("meshhook_t")]
    assert tested, stats
    assert sum(int(stats[name]["total_xact_count"]) for name in tested) >= 200, stats
    modes = {row["database"]: row["pool_mode"] for row in pgbouncer.admin("SHOW POOLS")}
    assert {modes[name] for name in tested if name in modes} <= {"transaction"}
