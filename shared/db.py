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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from shared.errors import Unavailable

API_ROLE = "meshhook_api"


class Database:
    def __init__(self, dsn: str, *, max_size: int = 10, timeout: float = 5.0) -> None:
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            timeout=timeout,
            kwargs={"prepare_threshold": None, "connect_timeout": 5},
            # A connection the server killed is noticed before it is handed out.
            check=ConnectionPool.check_connection,
            open=False,
            name="meshhook-secrets",
        )
        self._opened = False
        self._open_lock = threading.Lock()

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
    def _transaction(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool_open().connection() as conn, conn.transaction():
                yield conn
        except (psycopg.OperationalError, psycopg.errors.AdminShutdown) as exc:
            raise Unavailable() from exc
        except psycopg.errors.QueryCanceled as exc:
            raise Unavailable() from exc
        except psycopg.errors.InterfaceError as exc:  # connection closed under us
            raise Unavailable() from exc
        except TimeoutError as exc:  # the pool had no connection to give in time
            raise Unavailable() from exc

    @contextmanager
    def as_caller(self, claims: Mapping[str, Any]) -> Iterator[psycopg.Connection]:
        with self._transaction() as conn:
            conn.execute(
                "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                (API_ROLE, json.dumps(dict(claims), separators=(",", ":"))),
            )
            yield conn

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
