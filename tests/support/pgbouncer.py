"""PgBouncer in transaction mode in front of a test's own Postgres: the way Supabase's
pooler serves serverless functions. Used by tests/resilience/test_pooler.py and
tests/deploy (the Lambda artifact with a pool of one).

The pooler itself is shared/cli/dev/stack.py's (the bench and the chaos run use it too);
PgBouncer comes from Debian (`apt-get install pgbouncer`; scripts/test installs it).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.cli.dev.stack import PGBOUNCER, PgBouncer, PgServer

__all__ = ["PGBOUNCER", "PgBouncer", "run_pgbouncer"]


@contextmanager
def run_pgbouncer(pg_server: PgServer) -> Iterator[PgBouncer]:
    """PgBouncer on a free loopback port, forwarding every database name to `pg_server`,
    and `pinned`: the database `pooled` over ONE server connection, which shows that nothing
    leaks from one client's transaction to the next."""
    if PGBOUNCER is None:
        raise AssertionError("pgbouncer is not installed (scripts/test installs it: apt-get install pgbouncer)")
    workdir = Path(tempfile.mkdtemp(prefix="meshhook-pgbouncer-"))
    pinned = f"pinned = host={pg_server.socket_dir} port={pg_server.port} dbname=pooled pool_size=1"
    bouncer = PgBouncer(pg_server, workdir, extra_databases=pinned)
    try:
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(workdir, ignore_errors=True)
