"""Honest floors for the bench: the database work an operation needs and nothing else.

For a read, the same SELECT of the same rows; for a write or a resolve, the same
SELECT/INSERT/UPDATE (for a create, under the project's lock with the count its limit
needs) plus the ONE audit INSERT the design needs, committed durably, all in
ONE round trip (a client-bound multi-statement string). No role, no claims, no row-level
security (the connection's own role), no crypto (random bytes of a ciphertext's size).
Each runs on a connection of the same pool as the service (Database.connection), so the
two pay the same connection costs.
"""

from __future__ import annotations

import os
import uuid

import psycopg

from shared.store.secrets import META

_AUDIT = ("insert into public.secret_audit_events (project_id, secret_id, secret_name, actor_type,"
          " actor_id, action, outcome, metadata) values (%s, %s, %s, 'user', 'floor', %s, 'success', %s)")
_VERSION = ("insert into public.project_secret_versions (secret_id, project_id, version, kek_id,"
            " wrapped_dek, ciphertext, created_by_type, created_by_id)")


def _one_trip(conn: psycopg.Connection, statements: list[tuple[str, tuple]], result: int) -> list[tuple]:
    """Send the statements as one string; the rows of statement number `result`."""
    cur = psycopg.ClientCursor(conn)
    cur.execute("; ".join(cur.mogrify(sql, params) for sql, params in statements))
    for _ in range(result):
        cur.nextset()
    return cur.fetchall()


def active_kek(conn: psycopg.Connection) -> int:
    return conn.execute("select id from public.secret_keks where state = 'active'").fetchone()[0]


def list_rows(conn: psycopg.Connection, project_id: uuid.UUID) -> list[tuple]:
    return _one_trip(conn, [(f"select {META} from public.project_secrets s where s.project_id = %s"
                             " order by lower(s.name), s.name", (project_id,))], 0)


def get_row(conn: psycopg.Connection, project_id: uuid.UUID, secret_id: uuid.UUID) -> list[tuple]:
    return _one_trip(conn, [(f"select {META} from public.project_secrets s where s.project_id = %s"
                             " and s.id = %s", (project_id, secret_id))], 0)


def resolve_rows(conn: psycopg.Connection, project_id: uuid.UUID, lowered: list[str]) -> list[tuple]:
    """The current versions of these secrets, and one audit row naming them, committed."""
    return _one_trip(conn, [
        ("begin", ()),
        ("select s.id, s.name, s.version, v.kek_id, v.wrapped_dek, v.ciphertext from public.project_secrets s"
         " join public.project_secret_versions v on v.secret_id = s.id and v.version = s.version"
         " where s.project_id = %s and lower(s.name) = any(%s::text[])", (project_id, lowered)),
        # One row naming them all, in metadata (any schema has the column): the design's one event.
        ("insert into public.secret_audit_events (project_id, actor_type, actor_id, action, outcome, metadata)"
         " select %s, 'runner', 'floor', 'resolve', 'success', jsonb_build_object('secrets', jsonb_agg(s.id))"
         " from public.project_secrets s where s.project_id = %s and lower(s.name) = any(%s::text[])",
         (project_id, project_id, lowered)),
        ("commit", ()),
    ], 1)


def create_row(conn: psycopg.Connection, project_id: uuid.UUID, kek_id: int, name: str) -> list[tuple]:
    """Under the project's create lock, the count the limit needs, then a secret at version
    1, its version row, its audit row, committed."""
    secret_id = uuid.uuid4()
    return _one_trip(conn, [
        ("begin", ()),
        ("select pg_advisory_xact_lock(hashtextextended(%s::text, 0))", (project_id,)),
        ("select count(*) from public.project_secrets where project_id = %s", (project_id,)),
        (f"insert into public.project_secrets as s (id, project_id, name, version) values (%s, %s, %s, 1)"
         f" returning {META}", (secret_id, project_id, name)),
        (_VERSION + " values (%s, %s, 1, %s, %s, %s, 'user', 'floor')",
         (secret_id, project_id, kek_id, os.urandom(60), os.urandom(37))),
        (_AUDIT, (project_id, secret_id, name, "create", '{"version": 1}')),
        ("commit", ()),
    ], 3)


def update_row(conn: psycopg.Connection, project_id: uuid.UUID, kek_id: int, secret_id: uuid.UUID) -> list[tuple]:
    """A new current version: the row moved on, the version inserted, the oldest beyond 10
    destroyed, the audit row; committed."""
    return _one_trip(conn, [
        ("begin", ()),
        (f"update public.project_secrets s set version = version + 1, version_created_at = now(),"
         f" updated_at = now() where s.project_id = %s and s.id = %s returning {META}", (project_id, secret_id)),
        (_VERSION + " select s.id, s.project_id, s.version, %s, %s, %s, 'user', 'floor'"
         " from public.project_secrets s where s.id = %s", (kek_id, os.urandom(60), os.urandom(37), secret_id)),
        ("delete from public.project_secret_versions v using public.project_secrets s"
         " where s.id = %s and v.secret_id = s.id and v.version <= s.version - 10", (secret_id,)),
        (_AUDIT, (project_id, secret_id, None, "rotate", '{"changed": ["value"]}')),
        ("commit", ()),
    ], 1)
