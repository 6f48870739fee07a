"""Every SQL statement on MeshHook's own `public.secrets` table (the legacy store that
`import-legacy` empties): `project_id`, `key`, `value_encrypted` (bytea holding the UTF-8
plaintext, whatever its name says), unique per (project_id, key).

Rows are read in (project_id, key) order, a page at a time after the last pair seen
(keyset pagination), so a dry run and an import walk the table the same way and a page
costs the same wherever it starts. An import locks its page `FOR UPDATE SKIP LOCKED`: two
runs at once split the rows instead of importing one twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shared.store.database import Connection


@dataclass(frozen=True, slots=True)
class LegacyRow:
    project_id: uuid.UUID
    key: str
    value: bytes = field(repr=False)  # plaintext: never in a repr
    project_exists: bool


def table_exists(conn: Connection) -> bool:
    return conn.execute("select to_regclass('public.secrets') is not null").fetchone()[0]


def next_page(
    conn: Connection, after: tuple[uuid.UUID, str] | None, limit: int, *,
    project_id: uuid.UUID | None = None, lock: bool = False,
) -> list[LegacyRow]:
    """Up to `limit` rows after the pair `after` (from the start when None), with whether
    their project exists (MeshHook's foreign key makes that true, unless someone dropped it)."""
    pid, key = after if after is not None else (None, None)
    locking = " for update of s skip locked" if lock else ""
    rows = conn.execute(
        "select s.project_id, s.key, s.value_encrypted, p.id is not null"
        " from public.secrets s left join public.projects p on p.id = s.project_id"
        " where (%s::uuid is null or (s.project_id, s.key) > (%s::uuid, %s::text))"
        " and (%s::uuid is null or s.project_id = %s::uuid)"
        f" order by s.project_id, s.key limit %s{locking}",
        (pid, pid, key, project_id, project_id, limit),
    ).fetchall()
    return [LegacyRow(r[0], r[1], bytes(r[2]), r[3]) for r in rows]


def lowered_keys(conn: Connection, project_id: uuid.UUID) -> set[str]:
    """Every key the project still has here, in lower case."""
    rows = conn.execute("select lower(key) from public.secrets where project_id = %s", (project_id,))
    return {r[0] for r in rows}


def delete_rows(conn: Connection, project_id: uuid.UUID, keys: list[str]) -> int:
    """Delete the imported rows (their plaintext goes with them); how many."""
    return conn.execute(
        "delete from public.secrets where project_id = %s and key = any(%s::text[])",
        (project_id, keys),
    ).rowcount


def count_rows(conn: Connection, project_id: uuid.UUID | None = None) -> int:
    return conn.execute(
        "select count(*) from public.secrets where %s::uuid is null or project_id = %s::uuid",
        (project_id, project_id),
    ).fetchone()[0]
