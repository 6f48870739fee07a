"""Migrations: named for the Supabase CLI, idempotent, safe to run concurrently."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from shared.store.migrate import (
    MIGRATIONS_DIR,
    BaselineMismatch,
    apply_migrations,
    discover,
)


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
    assert names == sorted(names) and names
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


# The baseline (migrations/20261202190000_baseline.sql) stands for the ten files it squashed.
BASELINE = discover()[0]


def set_ledger(dsn: str, versions: tuple[str, ...]) -> None:
    """As if `versions` had been applied instead of the baseline (the old chain's ledger)."""
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("delete from meshhook.schema_migrations where version = %s", (BASELINE.version,))
        for version in versions:
            conn.execute("insert into meshhook.schema_migrations (version, name) values (%s, %s)",
                         (version, f"{version}_replaced.sql"))


def ledger(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select version, name from meshhook.schema_migrations order by 1").fetchall()


def test_the_baseline_names_the_versions_it_replaces():
    assert BASELINE.name == "20261202190000_baseline.sql"
    assert len(BASELINE.replaces) == 11 and list(BASELINE.replaces) == sorted(BASELINE.replaces)
    assert max(BASELINE.replaces) < BASELINE.version
    assert not set(BASELINE.replaces) & {m.version for m in discover()}  # the files are gone
    assert all(m.replaces == () for m in discover()[1:])


def test_a_fresh_database_runs_the_baseline(database):
    dsn = database.fresh()
    with psycopg.connect(dsn, autocommit=True) as conn:  # start from nothing, not the template
        conn.execute("drop schema public cascade; create schema public; drop schema meshhook cascade;"
                     " drop schema auth cascade")
    assert apply_migrations(dsn, supabase_compat=True)[0] == f"applied {BASELINE.name}"
    assert ledger(dsn)[0] == (BASELINE.version, BASELINE.name)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regprocedure('meshhook.resolve_for_run(uuid, text[], text, text, text,"
                            " inet, text)') is not null").fetchone()[0]


def test_a_database_built_by_the_old_chain_gets_the_baseline_recorded_without_running_it(fresh_dsn):
    set_ledger(fresh_dsn, BASELINE.replaces)
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        # A marker the baseline would undo if it ran: it creates this policy.
        conn.execute("drop policy project_secrets_update on public.project_secrets")
    out = subprocess.run([sys.executable, "-m", "shared.cli.main", "migrate", "--supabase-compat"],
                         env={"DATABASE_URL": fresh_dsn, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (f"recorded {BASELINE.name} without running it: the database already has"
                                  " the 11 migrations it replaces")
    with psycopg.connect(fresh_dsn) as conn:
        assert not conn.execute("select count(*) from pg_policies where policyname = 'project_secrets_update'"
                                ).fetchone()[0]
    assert (BASELINE.version, BASELINE.name) in ledger(fresh_dsn)
    assert len(ledger(fresh_dsn)) == len(BASELINE.replaces) + len(discover())  # the old chain, then every file
    assert apply_migrations(fresh_dsn, supabase_compat=True) == []


def test_a_database_with_part_of_the_old_chain_is_refused_and_left_unchanged(fresh_dsn):
    set_ledger(fresh_dsn, BASELINE.replaces[:4])
    before, schema = ledger(fresh_dsn), schema_snapshot(fresh_dsn)
    with pytest.raises(BaselineMismatch) as refused:
        apply_migrations(fresh_dsn, supabase_compat=True)
    message = str(refused.value)
    assert BASELINE.name in message and "4 of them recorded" in message
    assert ", ".join(BASELINE.replaces[4:]) in message and BASELINE.replaces[3] not in message
    assert "previous release" in message and "Nothing was changed" in message
    assert ledger(fresh_dsn) == before and schema_snapshot(fresh_dsn) == schema
    out = subprocess.run([sys.executable, "-m", "shared.cli.main", "migrate"],
                         env={"DATABASE_URL": fresh_dsn, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and message in out.stderr and not out.stdout


def test_the_supabase_repair_in_the_runbook_names_exactly_the_replaced_versions():
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    (line,) = [x for x in runbook.splitlines() if x.startswith("supabase migration repair --status reverted ")]
    assert tuple(line.split()[5:]) == BASELINE.replaces
    assert f"supabase migration repair --status applied {BASELINE.version}" in runbook
