"""PgBouncer in transaction mode in front of a test's own Postgres: the way Supabase's
pooler serves serverless functions. Used by tests/resilience/test_pooler.py and
tests/deploy (the Lambda artifact with a pool of one).

PgBouncer comes from Debian (`apt-get install pgbouncer`; scripts/test installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from tests.devserver import free_port
from tests.support.postgres import PgServer, wait_for

PGBOUNCER = shutil.which("pgbouncer") or next(
    (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None)


@dataclass
class PgBouncer:
    port: int
    process: subprocess.Popen
    log: Path

    def conninfo(self, dbname: str | None = None) -> str:
        extra = {"dbname": dbname} if dbname else {}
        return make_conninfo(host="127.0.0.1", port=self.port, user="postgres", **extra)

    def admin(self, command: str) -> list[dict]:
        """A SHOW command on PgBouncer's admin console (simple query protocol only)."""
        with psycopg.connect(self.conninfo("pgbouncer"), autocommit=True, prepare_threshold=None) as conn:
            cur = psycopg.ClientCursor(conn)
            cur.execute(command)
            names = [c.name for c in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]


@contextmanager
def run_pgbouncer(pg_server: PgServer) -> Iterator[PgBouncer]:
    """PgBouncer on a free loopback port, forwarding every database name to `pg_server`
    (and `pinned`: the database `pooled` over one server connection)."""
    if PGBOUNCER is None:
        raise AssertionError("pgbouncer is not installed (scripts/test installs it: apt-get install pgbouncer)")
    workdir = Path(tempfile.mkdtemp(prefix="meshhook-pgbouncer-"))
    workdir.chmod(0o755)  # PgBouncer refuses to run as root: it runs as the server's user
    port = free_port()
    (workdir / "users.txt").write_text('"postgres" ""\n')
    (workdir / "pgbouncer.ini").write_text(f"""\
[databases]
; one server connection for every client: shows that nothing leaks between transactions
pinned = host={pg_server.socket_dir} port={pg_server.port} dbname=pooled pool_size=1
* = host={pg_server.socket_dir} port={pg_server.port}

[pgbouncer]
pool_mode = transaction
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/users.txt
admin_users = postgres
max_client_conn = 400
default_pool_size = 20
max_db_connections = 40
""")
    for f in workdir.iterdir():
        f.chmod(0o644)
    log = workdir / "pgbouncer.log"
    run_as = {"user": "embedded_postgres"} if os.geteuid() == 0 else {}
    with log.open("w") as out:
        process = subprocess.Popen([PGBOUNCER, str(workdir / "pgbouncer.ini")], stdout=out,
                                   stderr=subprocess.STDOUT, cwd="/", **run_as)
    bouncer = PgBouncer(port, process, log)

    def accepts() -> bool:
        if process.poll() is not None:
            raise AssertionError("pgbouncer exited:\n" + log.read_text())
        try:
            psycopg.connect(bouncer.conninfo("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    try:
        wait_for(accepts, timeout=20, what="pgbouncer to accept connections", interval=0.05)
        yield bouncer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


