"""Apply the plain-SQL migrations in `migrations/` in order, once each.

The ledger lives in `meshhook.schema_migrations`. An advisory lock serialises concurrent
runs (two Lambdas deploying at once, two developers), so the second waits and then finds
nothing left to do. Each migration and its ledger row commit together or not at all.
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
# Arbitrary constant: "meshhook" in ASCII, so it doesn't collide with other apps' locks.
_LOCK_KEY = 0x6D657368686F6F6B


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name not in YYYYMMDDHHMMSS_name.sql form: {path.name}")
        found.append(Migration(match.group(1), path))
    return found


def apply_migrations(dsn: str, *, supabase_compat: bool = False) -> list[str]:
    """Apply what is missing; returns the names applied (empty when up to date)."""
    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
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
            done = {row[0] for row in conn.execute("select version from meshhook.schema_migrations")}
            for migration in discover():
                if migration.version in done:
                    continue
                with conn.transaction():
                    conn.execute(migration.path.read_text())
                    conn.execute(
                        "insert into meshhook.schema_migrations (version, name) values (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied.append(migration.name)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied
