"""Every SQL statement on the version rows: one row per kept version of a secret, holding
its wrapped DEK and ciphertext (bound to project, secret and version number).

Version rows are never updated on the request path (the API role holds no UPDATE on them):
a new value is a new row, an old one is deleted when it falls out of the kept window. Only
KEK rotation (shared/store/keks.py) rewrites their DEK columns, as the service's own role.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.auth.principal import Principal
from shared.crypto.envelope import Binding, Sealed
from shared.store.batch import defer
from shared.store.database import Connection
from shared.store.models import Actor, SecretMeta, VersionMeta
from shared.store.secrets import META, META_COLUMNS


@dataclass(frozen=True, slots=True)
class NewVersion:
    secret_id: uuid.UUID
    version: int
    sealed: Sealed


def insert_versions(conn: Connection, project_id: uuid.UUID, principal: Principal, new: list[NewVersion]) -> None:
    """All the rows in one statement (`meshhook.insert_versions`), each recorded as made by
    `principal` (deferred: it goes with the next statement or the COMMIT)."""
    defer(conn,
        "select meshhook.insert_versions(%s, %s, %s, %s::uuid[], %s::int[], %s::bigint[], %s::bytea[], %s::bytea[])",
        (project_id, principal.kind, principal.actor_id, [n.secret_id for n in new],
         [n.version for n in new], [n.sealed.kek_id for n in new],
         [n.sealed.wrapped_dek for n in new], [n.sealed.ciphertext for n in new]),
    )


def get_sealed(
    conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID, version: int | None = None,
) -> tuple[SecretMeta, Binding, Sealed] | None:
    """A secret's metadata and the sealed value of one kept version (the current one by
    default). None when the secret, or that version, does not exist."""
    row = conn.execute(
        f"select {META}, v.version, v.kek_id, v.wrapped_dek, v.ciphertext"
        " from public.project_secrets s join public.project_secret_versions v on v.secret_id = s.id"
        " where s.project_id = %s and s.id = %s and v.version = coalesce(%s, s.version)",
        (project_id, secret_id, version),
    ).fetchone()
    if row is None:
        return None
    meta = SecretMeta(*row[:META_COLUMNS])
    version_no, kek_id, dek, ct = row[META_COLUMNS:]
    return meta, Binding(meta.project_id, meta.id, version_no), Sealed(kek_id, bytes(dek), bytes(ct))


def current_sealed(
    conn: Connection, project_id: uuid.UUID, lowered: list[str] | None,
) -> list[tuple[str, Binding, Sealed]]:
    """(name, binding, sealed) of the current version of the named secrets (all when
    `lowered` is None), sorted by name."""
    rows = conn.execute(
        "select s.name, s.id, s.version, v.kek_id, v.wrapped_dek, v.ciphertext"
        " from public.project_secrets s"
        " join public.project_secret_versions v on v.secret_id = s.id and v.version = s.version"
        " where s.project_id = %s and (%s::text[] is null or lower(s.name) = any(%s::text[]))"
        " order by lower(s.name), s.name",
        (project_id, lowered, lowered),
    ).fetchall()
    return [(r[0], Binding(project_id, r[1], r[2]), Sealed(r[3], bytes(r[4]), bytes(r[5]))) for r in rows]


def list_versions(conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID) -> list[VersionMeta]:
    """The kept versions of a secret, newest first."""
    rows = conn.execute(
        "select v.version, v.created_at, v.created_by_type, v.created_by_id,"
        " case when v.created_by_type = 'user' then meshhook.member_email(v.project_id, v.created_by_id) end,"
        " v.version = s.version"
        " from public.project_secret_versions v join public.project_secrets s on s.id = v.secret_id"
        " where v.project_id = %s and v.secret_id = %s order by v.version desc",
        (project_id, secret_id),
    ).fetchall()
    return [VersionMeta(r[0], r[1], Actor(r[2], r[3], r[4]), r[5]) for r in rows]

