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
import select
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from shared.errors import Unavailable
from shared.store.batch import Batch
from shared.store.errors import translate

API_ROLE = "meshhook_api"
# What the store's statement functions take: a plain connection (as_system) or a caller's
# Batch (as_caller); both answer execute(sql, params).fetchone() / .fetchall() / .rowcount.
Connection = psycopg.Connection | Batch


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
            # autocommit: transactions are begun explicitly, so a caller's BEGIN can travel
            # with its first statements (shared/store/batch.py).
            kwargs={"prepare_threshold": None, "connect_timeout": 3, "autocommit": True},
            # Connections are checked before use in _connection(), or by a caller's first
            # round trip (as_caller), not by the pool, whose check loop sleeps with a
            # backoff after each dead connection it meets.
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

    def _deadline(self) -> float:
        return time.monotonic() + (self._down_timeout if self._down else self._timeout)

    @contextmanager
    def _connection(self, *, ping: bool = True) -> Iterator[psycopg.Connection]:
        """A live connection from the pool. A dead one (killed backend, restarted server,
        failover) is dropped together with every other dead idle one, and the next is
        taken at once, so a request after a restart gets a new connection, not a 503.
        With `ping`, every connection is checked with a round trip; without, only one
        that has something to read while idle: a backend that ends a session says so
        (an error message, then end of file), and a healthy idle one sends nothing, so a
        zero-timeout poll of its socket costs no round trip."""
        pool = self._pool_open()
        deadline = self._deadline()
        for _ in range(self._max_size + 1):
            conn = pool.getconn(timeout=max(deadline - time.monotonic(), 0.001))
            try:
                if ping or _has_input(conn):
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
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection as it is, not checked, in autocommit: for the bench's floors,
        which must pay exactly the round trips their statements need."""
        pool = self._pool_open()
        conn = pool.getconn(timeout=self._timeout)
        try:
            yield conn
        finally:
            pool.putconn(conn)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        with _translating(), self._connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def as_caller(self, claims: Mapping[str, Any]) -> Iterator[Batch]:
        """A transaction under the caller's identity, as a Batch: BEGIN and the role and
        EVERY claim setting (transaction-local) travel with the first statement, on a
        connection checked without a round trip (_connection)."""
        names, values = caller_settings(claims)
        with _translating(), self._connection(ping=False) as conn:
            batch = Batch(conn)
            try:
                batch.queue("begin")
                batch.queue(_SET_CLAIMS, [x for pair in zip(names, values) for x in pair])
                yield batch
                if not batch.finished:
                    batch.commit()
            except BaseException:
                _roll_back(conn)
                raise

    @contextmanager
    def as_system(self) -> Iterator[psycopg.Connection]:
        with self._transaction() as conn:
            yield conn

    def ping(self) -> bool:
        try:
            with self.as_system() as conn:
                conn.execute("select 1")
            return True
        except Unavailable:
            return False


# One statement: the role and EVERY claim setting (caller_settings), transaction-local.
_SET_CLAIMS = "select " + ", ".join(["set_config(%s, %s, true)"] * len(caller_settings({})[0]))


@contextmanager
def _translating() -> Iterator[None]:
    """A psycopg error becomes a service error once, where a transaction ends."""
    try:
        yield
    except (psycopg.Error, TimeoutError) as exc:
        translated = translate(exc)
        if translated is exc:
            raise
        raise translated from exc


def _has_input(conn: psycopg.Connection) -> bool:
    """Whether an idle connection's socket has anything to read (or is closed)."""
    if conn.closed:
        return True
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    return bool(readable)


def _roll_back(conn: psycopg.Connection) -> None:
    """End a failed caller transaction (nothing to do if BEGIN never left, or the
    connection died: the pool discards a broken one)."""
    if conn.broken or conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        conn.execute("rollback")
    except psycopg.Error:
        pass  # the pool discards a connection it cannot reset
