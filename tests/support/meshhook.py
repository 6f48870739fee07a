"""A database shaped like MeshHook's: Supabase's auth schema (migrations/compat/), then
MeshHook's own tables from their published shape (meshhook_schema.sql), then, when asked,
this service's migrations. A snapshot of what of MeshHook's a migration must not touch.
And the fixtures of the import-legacy tests and docs: such a database, migrated once as a
template and copied for each test, with the settings the command reads.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from shared.store.migrate import COMPAT_SCRIPT, apply_migrations

MESHHOOK_SCHEMA = Path(__file__).with_name("meshhook_schema.sql")
MESHHOOK_TABLES = ("projects", "secrets", "audit_log")


def create_meshhook_database(admin_dsn: str, name: str) -> str:
    """A new database holding MeshHook's schema (and Supabase's auth); no migration of ours."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}"')
        conn.execute(f'create database "{name}"')
    dsn = make_conninfo(admin_dsn, dbname=name)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(COMPAT_SCRIPT.read_text())
        conn.execute(MESHHOOK_SCHEMA.read_text())
    return dsn


def copy_database(admin_dsn: str, template: str, name: str) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}"')
        conn.execute(f'create database "{name}" template "{template}"')
    return make_conninfo(admin_dsn, dbname=name)


def meshhook_snapshot(dsn: str) -> dict[str, Any]:
    """MeshHook's policies, columns, privileges, RLS flags, indexes, triggers and helper."""
    tables = list(MESHHOOK_TABLES)
    with psycopg.connect(dsn) as conn:
        def rows(sql: str) -> list[tuple]:
            return [tuple(r) for r in conn.execute(sql, (tables,)).fetchall()]

        return {
            "policies": rows("select tablename, policyname, permissive, roles::text, cmd, qual, with_check"
                             " from pg_policies where schemaname = 'public' and tablename = any(%s)"
                             " order by 1, 2"),
            "columns": rows("select table_name, ordinal_position, column_name, data_type, is_nullable,"
                            " column_default from information_schema.columns where table_schema = 'public'"
                            " and table_name = any(%s) order by 1, 2"),
            "tables": rows("select relname, relrowsecurity, relforcerowsecurity, relacl::text, relowner"
                           " from pg_class where relnamespace = 'public'::regnamespace and relname = any(%s)"
                           " order by 1"),
            "indexes": rows("select tablename, indexname, indexdef from pg_indexes"
                            " where schemaname = 'public' and tablename = any(%s) order by 1, 2"),
            "triggers": rows("select tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) from pg_trigger"
                             " where not tgisinternal and tgrelid::regclass::text = any(%s) order by 1, 2"),
            "function": conn.execute(
                "select pg_get_functiondef('public.user_project_ids()'::regprocedure),"
                " (select proacl::text from pg_proc where oid = 'public.user_project_ids()'::regprocedure)"
            ).fetchone(),
        }


def add_meshhook_project(dsn: str, *, with_user: bool = True) -> tuple[uuid.UUID, uuid.UUID]:
    """(project id, owner id): a MeshHook project, its owner also a Supabase user."""
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        if with_user:
            conn.execute("insert into auth.users (id, email) values (%s, %s)", (owner, f"{owner}@test.invalid"))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'meshhook project')",
                     (project_id, owner))
    return project_id, owner


def add_legacy_rows(dsn: str, project_id: uuid.UUID, rows: dict[str, bytes]) -> None:
    """Rows in MeshHook's public.secrets, the value's bytes as MeshHook's web code stores them."""
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        with conn.cursor() as cur:
            cur.executemany("insert into public.secrets (project_id, key, value_encrypted) values (%s, %s, %s)",
                            [(project_id, key, value) for key, value in rows.items()])


_TEMPLATE = "meshhook_shaped_template"
_copies = itertools.count(1)


@pytest.fixture(scope="session")
def meshhook_template(database) -> str:
    apply_migrations(create_meshhook_database(database.admin_dsn, _TEMPLATE), supabase_compat=True)
    return _TEMPLATE


@pytest.fixture
def meshhook_dsn(database, meshhook_template) -> str:
    """A new database with MeshHook's schema and this service's migrations applied."""
    return copy_database(database.admin_dsn, meshhook_template, f"meshhook_shaped_{os.getpid()}_{next(_copies)}")


@pytest.fixture
def cli_env(meshhook_dsn, jwt_secret, root_key_b64, monkeypatch) -> dict[str, str]:
    """The settings the command reads, set for in-process runs and returned for subprocesses."""
    values = {"DATABASE_URL": meshhook_dsn, "SUPABASE_JWT_SECRET": jwt_secret, "MESHHOOK_ROOT_KEY": root_key_b64}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
