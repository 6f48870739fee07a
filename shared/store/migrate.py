"""Apply the plain-SQL migrations in `migrations/` in order, once each.

The ledger lives in `meshhook.schema_migrations`. An advisory lock serialises concurrent
runs (two Lambdas deploying at once, two developers), so the second waits and then finds
nothing left to do. Each migration and its ledger row commit together or not at all.

A baseline migration squashes a chain of older ones: its first line `-- replaces: V1 V2 …`
names their versions. A database that has none of them recorded runs the baseline; one that
has all of them (built by the old files) gets the baseline recorded WITHOUT running it; one
that has only some is refused before anything changes (BaselineMismatch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg

# The SQL ships inside the package (shared/store/migrations links to the top-level
# migrations/ folder of a checkout), so an installed `meshhook-secrets migrate` finds it.
MIGRATIONS_DIR = Path(str(resources.files("shared.store") / "migrations"))
COMPAT_SCRIPT = MIGRATIONS_DIR / "compat" / "supabase_compat.sql"
_NAME = re.compile(r"^(\d{14})_[a-z0-9_]+\.sql$")
_REPLACES = re.compile(r"-- replaces:((?: \d{14})+)[ \t]*")
# Arbitrary constant: "meshhook" in ASCII, so it doesn't collide with other apps' locks.
_LOCK_KEY = 0x6D657368686F6F6B


class BaselineMismatch(RuntimeError):
    """The database ran part of the chain a baseline replaces: neither running the baseline
    nor recording it would leave it with the schema the baseline describes."""


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def replaces(self) -> tuple[str, ...]:
        """The versions this baseline stands for (its first line), or () for a plain migration."""
        with self.path.open() as sql:
            match = _REPLACES.fullmatch(sql.readline().rstrip("\n"))
        return tuple(match.group(1).split()) if match else ()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name not in YYYYMMDDHHMMSS_name.sql form: {path.name}")
        found.append(Migration(match.group(1), path))
    return found


def _plan(migrations: list[Migration], done: set[str]) -> list[tuple[Migration, bool]]:
    """What is missing, each with whether to run it (False: record a baseline as applied)."""
    steps = []
    for migration in migrations:
        if migration.version in done:
            continue
        replaced = migration.replaces
        recorded = [v for v in replaced if v in done]
        if recorded and len(recorded) < len(replaced):
            missing = [v for v in replaced if v not in done]
            raise BaselineMismatch(
                f"{migration.name} replaces {len(replaced)} migrations; this database has"
                f" {len(recorded)} of them recorded and lacks {', '.join(missing)}. Nothing was"
                " changed. Upgrade it with the previous release of meshhook-secrets first (its"
                " migrations bring it to all of them), then run this one again."
            )
        steps.append((migration, not recorded))
    return steps


def _ledger(conn: psycopg.Connection) -> set[str]:
    if conn.execute("select to_regclass('meshhook.schema_migrations')").fetchone()[0] is None:
        return set()
    return {row[0] for row in conn.execute("select version from meshhook.schema_migrations")}


def apply_migrations(dsn: str, *, supabase_compat: bool = False) -> list[str]:
    """Apply what is missing; returns a line per migration, "applied NAME" or "recorded NAME
    …" for a baseline whose versions were all applied (empty when up to date)."""
    report: list[str] = []
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            steps = _plan(discover(), _ledger(conn))  # refuses before changing anything
            if supabase_compat:
                with conn.transaction():
                    conn.execute(COMPAT_SCRIPT.read_text())
            with conn.transaction():
                conn.execute("create schema if not exists meshhook")
                conn.execute(
                    "create table if not exists meshhook.schema_migrations ("
                    " version text primary key, name text not null,"
                    " applied_at timestamptz not null default now())"
                )
            for migration, run in steps:
                with conn.transaction():
                    if run:
                        conn.execute(migration.path.read_text())
                    conn.execute(
                        "insert into meshhook.schema_migrations (version, name) values (%s, %s)",
                        (migration.version, migration.name),
                    )
                report.append(f"applied {migration.name}" if run else
                              f"recorded {migration.name} without running it: the database already"
                              f" has the {len(migration.replaces)} migrations it replaces")
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return report
