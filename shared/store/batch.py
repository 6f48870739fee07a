"""A caller's transaction sent in as few network round trips as its logic allows.

Statements are bound on the client (psycopg's ClientCursor quotes every parameter as a
literal) and queued; the queue goes to the server as ONE simple-query string the moment a
result is needed, or when the transaction ends. So `BEGIN`, the caller's role and claims,
the role check and the first statement travel together, and the writes whose results nobody
reads (versions, the audit row) travel with the `COMMIT`. Simple query protocol means no
prepared statement at all: it works behind a transaction-mode pooler.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.pq import ExecStatus


class Result:
    """One queued statement's result, available once its batch has been sent."""

    __slots__ = ("_batch", "_rows", "rowcount")

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self._rows: list[tuple] | None = None
        self.rowcount = -1

    def _ready(self) -> list[tuple]:
        if self._rows is None:
            self._batch.flush()
        assert self._rows is not None
        return self._rows

    def fetchall(self) -> list[tuple]:
        return self._ready()

    def fetchone(self) -> tuple | None:
        rows = self._ready()
        return rows[0] if rows else None


class Batch:
    """What a statement function of the store sees as its connection, on the request path:
    `execute` runs a statement now (with whatever is queued before it), `queue` defers one."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._cursor = psycopg.ClientCursor(conn)
        self._queued: list[str] = []
        self._results: list[Result | None] = []
        self.finished = False

    def queue(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        result = Result(self)
        self._queued.append(self._cursor.mogrify(sql, params) if params is not None else sql)
        self._results.append(result)
        return result

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        result = self.queue(sql, params)
        self.flush()
        return result

    def commit(self) -> None:
        """End the transaction with whatever is queued, in one round trip."""
        self._queued.append("commit")
        self._results.append(None)
        self.flush()
        self.finished = True

    def flush(self) -> None:
        if not self._queued:
            return
        text, results = "; ".join(self._queued), self._results
        self._queued, self._results = [], []
        cursor = self._cursor
        cursor.execute(text)
        for index, result in enumerate(results):
            if index:
                cursor.nextset()
            if result is not None:
                tuples = cursor.pgresult is not None and cursor.pgresult.status == ExecStatus.TUPLES_OK
                result._rows = cursor.fetchall() if tuples else []
                result.rowcount = cursor.rowcount


def defer(conn: psycopg.Connection | Batch, sql: str, params: Sequence[Any]) -> None:
    """A statement whose result nobody reads: on a caller's Batch it travels with the next
    statement or the COMMIT, so its errors (a constraint, a trigger) surface there, still
    inside the transaction; on a plain connection it runs now."""
    if isinstance(conn, Batch):
        conn.queue(sql, params)
    else:
        conn.execute(sql, params)


def later(conn: psycopg.Connection | Batch, sql: str, params: Sequence[Any]) -> Result | psycopg.Cursor:
    """A statement whose rows are read after more statements are queued behind it
    (`.fetchall()` sends the batch if it hasn't gone yet)."""
    return conn.queue(sql, params) if isinstance(conn, Batch) else conn.execute(sql, params)


def read(conn: psycopg.Connection | Batch, sql: str, params: Sequence[Any], *, then_commit: bool) -> Result | psycopg.Cursor:
    """A statement run now; with `then_commit`, on a caller's Batch, the COMMIT goes in the
    same round trip: only for the last statement of a transaction that writes nothing."""
    if then_commit and isinstance(conn, Batch):
        result = conn.queue(sql, params)
        conn.commit()
        return result
    return conn.execute(sql, params)
