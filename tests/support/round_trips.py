"""Count the network round trips a piece of code makes to Postgres: every statement text
a connection or a client-side cursor sends (one text, however many statements it holds,
is one round trip), except the pool's empty liveness probe."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def round_trips(monkeypatch) -> Iterator[list[str]]:
    sent: list[str] = []
    for cls in (psycopg.Connection, psycopg.ClientCursor):
        original = cls.execute

        def counting(self, query, *args, __original=original, **kwargs):
            if str(query).strip():
                sent.append(str(query))
            return __original(self, query, *args, **kwargs)

        monkeypatch.setattr(cls, "execute", counting)
    try:
        yield sent
    finally:
        monkeypatch.undo()
