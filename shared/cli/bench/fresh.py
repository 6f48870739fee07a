"""A database of the benchmark's own: created on the server, migrated, thrown away after."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.conninfo import make_conninfo

from shared.store.migrate import apply_migrations


def fresh_database(base_dsn: str) -> str:
    name = f"meshhook_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_dsn, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    dsn = make_conninfo(base_dsn, dbname=name)
    apply_migrations(dsn, supabase_compat=True)
    return dsn
