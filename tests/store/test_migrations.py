"""Migrations: named for the Supabase CLI, idempotent, safe to run concurrently."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import psycopg

from shared.store.migrate import MIGRATIONS_DIR, apply_migrations, discover


def schema_snapshot(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
            " where table_schema in ('public', 'meshhook', 'auth') order by 1, 2, 3"
        ).fetchall() + conn.execute(
            "select schemaname, tablename, policyname, cmd from pg_policies order by 1, 2, 3"
        ).fetchall()


def test_files_follow_the_supabase_cli_naming():
    names = [m.name for m in discover()]
    assert names == sorted(names) and len(names) >= 3
    assert not any("compat" in n for n in names), "the compatibility script is not a Supabase migration"
    assert (MIGRATIONS_DIR / "compat" / "supabase_compat.sql").is_file()


def test_applying_twice_changes_nothing(fresh_dsn):
    before = schema_snapshot(fresh_dsn)
    assert apply_migrations(fresh_dsn, supabase_compat=True) == []
    assert schema_snapshot(fresh_dsn) == before


def test_two_concurrent_runs_on_an_empty_database_both_succeed(database):
    dsn = database.fresh()
    with psycopg.connect(dsn, autocommit=True) as conn:  # start from nothing, not the template
        conn.execute("drop schema public cascade; create schema public; drop schema meshhook cascade;"
                     " drop schema auth cascade")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: apply_migrations(dsn, supabase_compat=True), range(2)))
    assert sorted(len(r) for r in results) == [0, len(discover())]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from meshhook.schema_migrations").fetchone()[0] == len(discover())


def test_cli_migrate_is_a_no_op_when_up_to_date(fresh_dsn):
    out = subprocess.run([sys.executable, "-m", "shared.cli.main", "migrate", "--supabase-compat"],
                         env={"DATABASE_URL": fresh_dsn, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "up to date"
