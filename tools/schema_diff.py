"""Compare the schema a baseline migration builds with the one its replaced chain built.

`python -m tools.schema_diff REV` (REV: a git revision that still holds the old files, e.g.
`main` before the squash) starts an embedded Postgres, builds database A from the replaced
versions as REV had them and database B from the baseline alone (migrations/'s first file),
each file in its own transaction after the Supabase compatibility script, and compares
`pg_dump --schema-only --no-owner` and the catalogs that say who may do what. Prints a
count per catalog and every difference; exits 1 on any.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from shared.cli.dev.embedded import pg_bin, start_embedded_postgres
from shared.store.migrate import COMPAT_SCRIPT, discover

_SCHEMAS = "('public', 'meshhook', 'auth')"
CATALOGS = {
    "policies": "select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check"
                " from pg_policies",
    "table grants": "select grantee, table_schema, table_name, privilege_type from"
                    f" information_schema.role_table_grants where table_schema in {_SCHEMAS}",
    "column grants": "select grantee, table_schema, table_name, column_name, privilege_type from"
                     f" information_schema.column_privileges where table_schema in {_SCHEMAS}",
    "routine grants": "select grantee, routine_schema, routine_name, privilege_type from"
                      f" information_schema.routine_privileges where routine_schema in {_SCHEMAS}",
    "functions": "select p.oid::regprocedure::text, p.prosrc, p.prosecdef, p.provolatile, p.proconfig::text,"
                 " pg_get_function_result(p.oid), coalesce(p.proacl::text, 'default') from pg_proc p"
                 " where p.pronamespace in ('meshhook'::regnamespace, 'public'::regnamespace)",
    "sequences": "select c.oid::regclass::text, coalesce(c.relacl::text, 'default') from pg_class c"
                 f" where c.relkind = 'S' and c.relnamespace::regnamespace::text in {_SCHEMAS}",
    "indexes": f"select schemaname, tablename, indexname, indexdef from pg_indexes where schemaname in {_SCHEMAS}",
    # Position among the live columns: the old chain's dropped ones leave gaps in attnum.
    "columns": "select attrelid::regclass::text, row_number() over (partition by attrelid order by attnum),"
               " attname, format_type(atttypid, atttypmod) from"
               " pg_attribute a join pg_class c on c.oid = a.attrelid where a.attnum > 0 and not attisdropped"
               f" and c.relkind = 'r' and c.relnamespace::regnamespace::text in {_SCHEMAS}",
    "triggers": "select tgname, pg_get_triggerdef(oid) from pg_trigger where not tgisinternal",
    "tables": "select c.oid::regclass::text, c.relrowsecurity, coalesce(c.relacl::text, 'default') from pg_class c"
              f" where c.relkind = 'r' and c.relnamespace::regnamespace::text in {_SCHEMAS}",
}


def _old_chain(rev: str) -> list[str]:
    """The files the baseline replaces, as `rev` had them."""
    names = subprocess.run(["git", "ls-tree", "--name-only", rev, "migrations/"], check=True,
                           capture_output=True, text=True).stdout.split()
    texts = []
    for version in discover()[0].replaces:
        (name,) = [n for n in names if Path(n).name.startswith(version + "_")]
        texts.append(subprocess.run(["git", "show", f"{rev}:{name}"], check=True, capture_output=True,
                                    text=True).stdout)
    return texts


def _build(dsn: str, migrations: list[str]) -> None:
    """Each file in its own transaction, as shared/store/migrate.py runs them."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(COMPAT_SCRIPT.read_text())
        for sql in migrations:
            with conn.transaction():
                conn.execute(sql)


def _dump(dsn: str) -> list[str]:
    out = subprocess.run([pg_bin("pg_dump"), "--schema-only", "--no-owner", "--dbname", dsn],
                         check=True, capture_output=True, text=True).stdout
    # \restrict / \unrestrict carry a random key per dump.
    return [line for line in out.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))]


def main(rev: str) -> int:
    admin = start_embedded_postgres(Path(tempfile.mkdtemp(prefix="meshhook-diff-")) / "data")
    dsns = {}
    with psycopg.connect(admin, autocommit=True) as conn:
        for db in ("schema_old", "schema_new"):
            conn.execute(f"drop database if exists {db}")
            conn.execute(f"create database {db}")
            dsns[db] = make_conninfo(admin, dbname=db)
    _build(dsns["schema_old"], _old_chain(rev))
    _build(dsns["schema_new"], [discover()[0].path.read_text()])
    differences = 0
    for label, query in CATALOGS.items():
        rows = {}
        for db, dsn in dsns.items():
            with psycopg.connect(dsn) as conn:
                rows[db] = sorted(conn.execute(query).fetchall(), key=repr)
        same = rows["schema_old"] == rows["schema_new"]
        differences += not same
        print(f"{label}: {len(rows['schema_old'])} old, {len(rows['schema_new'])} new, {'same' if same else 'DIFFER'}")
        for line in [] if same else difflib.unified_diff([repr(r) for r in rows["schema_old"]],
                                                        [repr(r) for r in rows["schema_new"]], lineterm=""):
            print("  " + line)
    old, new = _dump(dsns["schema_old"]), _dump(dsns["schema_new"])
    diff = list(difflib.unified_diff(old, new, "old chain", "baseline", lineterm=""))
    print(f"pg_dump --schema-only: {len(old)} lines old, {len(new)} new, {len(diff)} diff lines")
    print("\n".join(diff))
    return 1 if differences or diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "main"))
