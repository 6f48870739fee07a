"""Connections and transactions: the only module that opens them.

One pool per process, created on first use and kept (a warm Lambda reuses it). No
server-side prepared statements (`prepare_threshold=None`), so the service works behind
a transaction-mode pooler such as Supabase's.

Two kinds of transaction:
- `as_caller(claims)`: the request path. `SET ROLE meshhook_api` and the caller's
  verified JWT claims, both transaction-local, so row-level security applies to every
  statement and nothing leaks to the next user of the pooled connection.
- `as_system()`: the service's own work (key management, migrations' checks), under the
  connection's own role. Never used with a caller's input on the request path.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from shared.errors import Unavailable
from shared.store.errors import translate

API_ROLE = "meshhook_api"
Connection = psycopg.Connection  # what the store's statement functions take


# Every setting Supabase's auth.uid(), auth.role(), auth.email() and auth.jwt() may read.
# The legacy per-claim ones (PostgREST < 9) are read FIRST by auth.uid() and auth.role(),
# and `request.jwt.claim` first by auth.jwt(): a session-level value of any of them left
# on a pooled connection (or set on the login role) would become the caller, so each is
# set for every transaction, to the caller's claim or to '' (which those functions read
# as absent).
LEGACY_CLAIMS = ("sub", "role", "email")


def caller_settings(claims: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    document = json.dumps(dict(claims), separators=(",", ":"))
    names = ["role", "request.jwt.claims", "request.jwt.claim"]
    values = [API_ROLE, document, document]
    for claim in LEGACY_CLAIMS:
        value = claims.get(claim)
        names.append(f"request.jwt.claim.{claim}")
        values.append("" if value is None else str(value))
    return names, values


class Database:
    """The process's pool. While the database answers, a request waits at most `timeout`
    for a connection; once the pool has failed to reconnect for `reconnect_timeout`
    seconds (the database is down), only `down_timeout`, so callers get a fast 503; the
    first connection that succeeds again ends that state, without a restart."""

    def __init__(
        self, dsn: str, *, max_size: int = 10, timeout: float = 3.0, down_timeout: float = 0.5,
        reconnect_timeout: float = 2.0,
    ) -> None:
        self._timeout = timeout
        self._down_timeout = down_timeout
        self._max_size = max_size
        self._down = False
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            timeout=timeout,
            kwargs={"prepare_threshold": None, "connect_timeout": 3},
            # Connections are checked before use in _connection() (not by the pool, whose
            # check loop sleeps with a backoff after each dead connection it meets).
            configure=self._connected,
            reconnect_timeout=reconnect_timeout,
            reconnect_failed=self._reconnect_failed,
            open=False,
            name="meshhook-secrets",
        )
        self._opened = False
        self._open_lock = threading.Lock()

    def _connected(self, conn: psycopg.Connection) -> None:
        self._down = False

    def _reconnect_failed(self, pool: ConnectionPool) -> None:
        self._down = True

    def _pool_open(self) -> ConnectionPool:
        if not self._opened:
            with self._open_lock:
                if not self._opened:
                    self._pool.open(wait=False)
                    self._opened = True
        return self._pool

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A live connection from the pool. A dead one (killed backend, restarted server,
        failover) is dropped together with every other dead idle one, and the next is
        taken at once, so a request after a restart gets a new connection, not a 503."""
        pool = self._pool_open()
        deadline = time.monotonic() + (self._down_timeout if self._down else self._timeout)
        for _ in range(self._max_size + 1):
            conn = pool.getconn(timeout=max(deadline - time.monotonic(), 0.001))
            try:
                ConnectionPool.check_connection(conn)
            except psycopg.Error:
                pool.putconn(conn)  # broken: the pool discards it and opens a new one
                pool.check()  # the other idle connections most likely died with it
                continue
            except BaseException:
                pool.putconn(conn)
                raise
            try:
                yield conn
            finally:
                pool.putconn(conn)
            return
        raise PoolTimeout("no live connection")

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._connection() as conn, conn.transaction():
                yield conn
        except (psycopg.Error, TimeoutError) as exc:
            translated = translate(exc)
            if translated is exc:
                raise
            raise translated from exc

    @contextmanager
    def as_caller(self, claims: Mapping[str, Any]) -> Iterator[Connection]:
        names, values = caller_settings(claims)
        with self._transaction() as conn:
            # One statement: the role and EVERY claim setting, transaction-local.
            conn.execute("select " + ", ".join(["set_config(%s, %s, true)"] * len(names)),
                         [x for pair in zip(names, values) for x in pair])
            yield conn

    @contextmanager
    def as_system(self) -> Iterator[Connection]:
        with self._transaction() as conn:
            yield conn

    def ping(self) -> bool:
        try:
            with self.as_system() as conn:
                conn.execute("select 1")
            return True
        except Unavailable:
            return False
