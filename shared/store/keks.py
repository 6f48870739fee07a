"""Every SQL statement on the KEK table, and the DEK columns that KEK rotation moves (one
row per kept secret version: project_secret_versions).

Key management (shared/keys/) decides; these statements only read and write rows. The
wrapped KEKs and DEKs they carry are opaque bytes here: nothing in this module unwraps.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from shared.store.database import Connection

KekRow = tuple[int, str, bytes, str]  # id, state, wrapped_key, root_key_id
DekRow = tuple[uuid.UUID, uuid.UUID, int, int, bytes]  # secret id, project id, version, kek id, wrapped DEK
VERSIONS = "public.project_secret_versions"


def lock_keks(conn: Connection) -> None:
    """The one lock that serialises KEK changes: first-start bootstrap, rotation's
    activation and root rekey all take it, so only one of them changes KEKs at a time."""
    conn.execute("lock table public.secret_keks in exclusive mode")


def live_keks(conn: Connection) -> list[KekRow]:
    """KEKs not yet destroyed, oldest first."""
    rows = conn.execute(
        "select id, state, wrapped_key, root_key_id from public.secret_keks"
        " where destroyed_at is null order by id"
    ).fetchall()
    return [(r[0], r[1], bytes(r[2]), r[3]) for r in rows]


def retire_active(conn: Connection) -> None:
    conn.execute(
        "update public.secret_keks set state = 'retired', retired_at = now() where state = 'active'"
    )


def reserve_kek_id(conn: Connection) -> int:
    """The next KEK id; it is part of the wrapping context, so it is taken before wrapping."""
    return conn.execute(
        "select nextval(pg_get_serial_sequence('public.secret_keks', 'id'))"
    ).fetchone()[0]


def insert_active_kek(conn: Connection, kek_id: int, wrapped: bytes, root_key_id: str) -> None:
    conn.execute(
        "insert into public.secret_keks (id, state, wrapped_key, root_key_id)"
        " overriding system value values (%s, 'active', %s, %s)",
        (kek_id, wrapped, root_key_id),
    )


def active_kek_age(conn: Connection) -> timedelta | None:
    row = conn.execute(
        "select clock_timestamp() - created_at from public.secret_keks where state = 'active'"
    ).fetchone()
    return row[0] if row else None


def set_wrapped_kek(conn: Connection, kek_id: int, wrapped: bytes, root_key_id: str) -> None:
    conn.execute(
        "update public.secret_keks set wrapped_key = %s, root_key_id = %s where id = %s",
        (wrapped, root_key_id, kek_id),
    )


def retired_keks(conn: Connection) -> list[int]:
    """Retired KEKs whose wrapped key still exists."""
    return [r[0] for r in conn.execute(
        "select id from public.secret_keks where state = 'retired' and destroyed_at is null order by id"
    ).fetchall()]


def lock_kek_if_live(conn: Connection, kek_id: int) -> bool:
    """Lock one KEK row; False if it is already destroyed. FOR UPDATE waits for writers
    still holding the KEK FOR SHARE (the database's require_active_kek trigger)."""
    row = conn.execute(
        "select destroyed_at is null from public.secret_keks where id = %s for update", (kek_id,)
    ).fetchone()
    return bool(row and row[0])


def kek_in_use(conn: Connection, kek_id: int) -> bool:
    return conn.execute(
        f"select exists (select 1 from {VERSIONS} where kek_id = %s)", (kek_id,)
    ).fetchone()[0]


def destroy_kek(conn: Connection, kek_id: int) -> None:
    conn.execute(
        "update public.secret_keks set wrapped_key = null, destroyed_at = now() where id = %s", (kek_id,)
    )


def count_deks_under(conn: Connection, kek_ids: list[int]) -> int:
    return conn.execute(
        f"select count(*) from {VERSIONS} where kek_id = any(%s)", (kek_ids,)
    ).fetchone()[0]


def lock_deks_under(conn: Connection, kek_ids: list[int], limit: int, *, wait: bool) -> list[DekRow]:
    """Up to `limit` version rows whose DEK is wrapped by one of `kek_ids`, locked. Without
    `wait`, rows another transaction holds are skipped (concurrent runs take disjoint rows)."""
    lock = " limit %s for update" + ("" if wait else " skip locked")
    rows = conn.execute(
        f"select secret_id, project_id, version, kek_id, wrapped_dek from {VERSIONS}"
        " where kek_id = any(%s)" + lock,
        (kek_ids, limit),
    ).fetchall()
    return [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]


def set_deks(
    conn: Connection, kek_id: int, keys: list[tuple[uuid.UUID, int]], deks: list[bytes]
) -> None:
    """One UPDATE for the whole batch, joined to the new DEKs by (secret id, version)."""
    conn.execute(
        f"update {VERSIONS} s set kek_id = %s, wrapped_dek = u.dek"
        " from unnest(%b::uuid[], %b::int[], %b::bytea[]) as u(id, version, dek)"
        " where s.secret_id = u.id and s.version = u.version",
        (kek_id, [k[0] for k in keys], [k[1] for k in keys], deks),
    )


def kek_overview(conn: Connection) -> list[dict[str, Any]]:
    """Every KEK with its age and how many DEKs it wraps (the status view)."""
    rows = conn.execute(
        """
        select k.id, k.state, k.root_key_id, k.created_at, k.retired_at, k.destroyed_at,
               clock_timestamp() - k.created_at, coalesce(c.deks, 0)
          from public.secret_keks k
          left join (select kek_id, count(*) as deks from public.project_secret_versions
                      group by kek_id) c
                 on c.kek_id = k.id
         order by k.id
        """
    ).fetchall()
    keys = ("id", "state", "root_key_id", "created_at", "retired_at", "destroyed_at", "age", "deks")
    return [dict(zip(keys, r, strict=True)) for r in rows]
