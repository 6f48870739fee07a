"""Every SQL statement of the secrets path, kept together (no ORM).

Functions take a connection already inside a transaction (see shared/store/database.py) and return
plain data. Row-level security applies underneath: these statements filter by project
anyway, and the policies would hide other projects' rows if one forgot to.
"""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.crypto.envelope import Sealed
from shared.store.database import Connection
from shared.store.models import RequestInfo, SecretMeta

_META = "id, project_id, name, description, version, created_at, updated_at, last_used_at"


def caller_project_role(conn: Connection, project_id: uuid.UUID) -> tuple[str, str] | None:
    """(project name, caller's role) when the caller belongs to the project, else None."""
    row = conn.execute(
        "select name, role from meshhook.project_for_caller(%s)", (project_id,)
    ).fetchone()
    return (row[0], row[1]) if row else None


def lock_project_for_create(conn: Connection, project_id: uuid.UUID) -> int:
    """Serialise creates within one project (so the per-project limit holds); count rows."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s::text, 0))", (project_id,))
    return conn.execute(
        "select count(*) from public.project_secrets where project_id = %s", (project_id,)
    ).fetchone()[0]


def insert_secret(
    conn: Connection, secret_id: uuid.UUID, project_id: uuid.UUID, name: str,
    description: str | None, sealed: Sealed,
) -> SecretMeta:
    row = conn.execute(
        "insert into public.project_secrets"
        " (id, project_id, name, description, version, kek_id, wrapped_dek, ciphertext)"
        f" values (%s, %s, %s, %s, 1, %s, %s, %s) returning {_META}",
        (secret_id, project_id, name, description, sealed.kek_id, sealed.wrapped_dek, sealed.ciphertext),
    ).fetchone()
    return SecretMeta(*row)


def list_secrets(conn: Connection, project_id: uuid.UUID) -> list[SecretMeta]:
    rows = conn.execute(
        f"select {_META} from public.project_secrets where project_id = %s order by lower(name), name",
        (project_id,),
    ).fetchall()
    return [SecretMeta(*r) for r in rows]


def get_secret(
    conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID, *, for_update: bool = False
) -> SecretMeta | None:
    lock = " for update" if for_update else ""
    row = conn.execute(
        f"select {_META} from public.project_secrets where project_id = %s and id = %s{lock}",
        (project_id, secret_id),
    ).fetchone()
    return SecretMeta(*row) if row else None


def get_sealed(
    conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID
) -> tuple[SecretMeta, Sealed] | None:
    row = conn.execute(
        f"select {_META}, kek_id, wrapped_dek, ciphertext from public.project_secrets"
        " where project_id = %s and id = %s",
        (project_id, secret_id),
    ).fetchone()
    if row is None:
        return None
    return SecretMeta(*row[:8]), Sealed(row[8], bytes(row[9]), bytes(row[10]))


def update_value(
    conn: Connection, secret_id: uuid.UUID, version: int, sealed: Sealed,
    description: str | None, set_description: bool,
) -> SecretMeta:
    row = conn.execute(
        "update public.project_secrets set version = %s, kek_id = %s, wrapped_dek = %s,"
        " ciphertext = %s, updated_at = now(),"
        " description = case when %s then %s else description end"
        f" where id = %s returning {_META}",
        (version, sealed.kek_id, sealed.wrapped_dek, sealed.ciphertext,
         set_description, description, secret_id),
    ).fetchone()
    return SecretMeta(*row)


def update_description(conn: Connection, secret_id: uuid.UUID, description: str | None) -> SecretMeta:
    row = conn.execute(
        f"update public.project_secrets set description = %s, updated_at = now() where id = %s returning {_META}",
        (description, secret_id),
    ).fetchone()
    return SecretMeta(*row)


def delete_secret(conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID) -> str | None:
    row = conn.execute(
        "delete from public.project_secrets where project_id = %s and id = %s returning name",
        (project_id, secret_id),
    ).fetchone()
    return row[0] if row else None


def resolve_sealed(
    conn: Connection, principal: Principal, request: RequestInfo, project_id: uuid.UUID,
    lowered_names: list[str],
) -> list[tuple[str, SecretMeta, Sealed]]:
    """In ONE statement: fetch the sealed values, stamp last_used_at (at most once a minute,
    never waiting on another run), write an audit row per secret. The caller rolls all of
    it back if any name was missing. The SQL is `meshhook.resolve_for_run` (migration
    ..._resolve_function.sql), a function so that its plan is cached per session."""
    rows = conn.execute(
        "select * from meshhook.resolve_for_run(%s, %s::text[], %s, %s, %s, %s::inet, %s)",
        (project_id, lowered_names, principal.kind, principal.actor_id, principal.run_id,
         request.ip_address, request.user_agent),
    ).fetchall()
    return [(r[0], SecretMeta(*r[1:9]), Sealed(r[9], bytes(r[10]), bytes(r[11]))) for r in rows]
