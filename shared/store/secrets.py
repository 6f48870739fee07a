"""Every SQL statement of the secrets path, kept together (no ORM).

Functions take a connection already inside a transaction (see shared/store/database.py) and return
plain data. Row-level security applies underneath: these statements filter by project
anyway, and the policies would hide other projects' rows if one forgot to.

A secret is a `project_secrets` row (metadata and the number of its current version) and up
to MESHHOOK_MAX_VERSIONS `project_secret_versions` rows (shared/store/versions.py), each
holding one version's wrapped DEK and ciphertext. Statements that write many secrets (import)
take arrays and run once per batch, not once per secret.

The writes are PL/pgSQL functions (migration ..._cached_write_plans.sql) called from here:
Postgres keeps a function's plans for the life of the connection, while a statement sent as
text is parsed and planned, its row-level security policies included, on every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.auth.principal import Principal
from shared.crypto.envelope import Binding, Sealed
from shared.store.batch import Result, later, read
from shared.store.database import Connection
from shared.store.models import RequestInfo, SecretMeta

_DUE = "s.version_created_at + make_interval(days => s.rotation_period_days)"
META = (
    "s.id, s.project_id, s.name, s.description, s.version, s.created_at, s.updated_at,"
    f" s.last_used_at, s.rotation_period_days, {_DUE}, coalesce({_DUE} <= now(), false)"
)
META_COLUMNS = 11


@dataclass(frozen=True, slots=True)
class NewSecret:
    id: uuid.UUID
    name: str
    description: str | None
    rotation_period_days: int | None


_ROLE = "select name, role from meshhook.project_for_caller(%s)"


def caller_project_role(conn: Connection, project_id: uuid.UUID) -> tuple[str, str] | None:
    """(project name, caller's role) when the caller belongs to the project, else None."""
    return role_of(conn.execute(_ROLE, (project_id,)))


def queue_caller_project_role(conn: Connection, project_id: uuid.UUID) -> Result:
    """The same, read later (role_of): it travels with the statements queued after it."""
    return later(conn, _ROLE, (project_id,))


def role_of(result: Result) -> tuple[str, str] | None:
    row = result.fetchone()
    return (row[0], row[1]) if row else None


def lock_project_for_create(conn: Connection, project_id: uuid.UUID) -> int:
    """Serialise creates within one project (so the per-project limit holds); count rows,
    under the lock (meshhook.require_room without a limit never fails)."""
    return conn.execute("select meshhook.require_room(%s, null, 0)", (project_id,)).fetchone()[0]


def queue_require_role(conn: Connection, project_id: uuid.UUID, need: str) -> None:
    """The role check as a statement that fails (NotFound / Forbidden once translated), so
    the writes queued behind it run only for a caller it lets through."""
    later(conn, "select meshhook.require_role(%s, %s)", (project_id, need))


def queue_require_room(conn: Connection, project_id: uuid.UUID, limit: int, adding: int) -> None:
    """Take the project's create lock and fail (NoRoom) if `adding` more would pass `limit`."""
    later(conn, "select meshhook.require_room(%s, %s, %s)", (project_id, limit, adding))


def queue_require_version(conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID, version: int) -> None:
    """Lock the secret's row and fail unless it is at `version`: NotFound if there is no
    such secret, VersionMoved (with the version it is at) if another write came first."""
    later(conn, "select meshhook.require_version(%s, %s, %s)", (project_id, secret_id, version))


def metas(result: Result) -> list[SecretMeta]:
    """The rows of a statement returning META, once read."""
    return [SecretMeta(*r) for r in result.fetchall()]


def insert_secrets(conn: Connection, project_id: uuid.UUID, new: list[NewSecret]) -> Result:
    """Metadata rows at version 1, in one statement (`meshhook.insert_secrets`); their versions
    go in with insert_versions. Read later (metas): the versions and the audit row travel with it."""
    return later(conn,
        f"select {META} from meshhook.insert_secrets(%s, %s::uuid[], %s::text[], %s::text[], %s::int[]) s",
        (project_id, [n.id for n in new], [n.name for n in new], [n.description for n in new],
         [n.rotation_period_days for n in new]),
    )


def list_secrets(
    conn: Connection, project_id: uuid.UUID, *, overdue: bool = False, then_commit: bool = False,
) -> list[SecretMeta]:
    only = f" and {_DUE} <= now()" if overdue else ""
    rows = read(conn,
        f"select {META} from public.project_secrets s where s.project_id = %s{only}"
        " order by lower(s.name), s.name",
        (project_id,), then_commit=then_commit,
    ).fetchall()
    return [SecretMeta(*r) for r in rows]


def get_secret(
    conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID, *, for_update: bool = False,
    then_commit: bool = False,
) -> SecretMeta | None:
    lock = " for update" if for_update else ""
    row = read(conn,
        f"select {META} from public.project_secrets s where s.project_id = %s and s.id = %s{lock}",
        (project_id, secret_id), then_commit=then_commit,
    ).fetchone()
    return SecretMeta(*row) if row else None


def by_lowered_names(
    conn: Connection, project_id: uuid.UUID, lowered: list[str], *, for_update: bool = False
) -> dict[str, SecretMeta]:
    """The project's secrets among these names (lower case), keyed by lowered name."""
    lock = " for update" if for_update else ""
    rows = conn.execute(
        f"select {META} from public.project_secrets s"
        f" where s.project_id = %s and lower(s.name) = any(%s::text[]) order by s.id{lock}",
        (project_id, lowered),
    ).fetchall()
    return {r[2].lower(): SecretMeta(*r) for r in rows}


def set_current_versions(conn: Connection, current: dict[uuid.UUID, int], keep: int) -> Result:
    """Point each secret at its new current version (a rotation, a rollback, an import) and
    destroy its versions older than the last `keep` (`meshhook.set_current_versions`); read
    later (metas)."""
    return later(conn, f"select {META} from meshhook.set_current_versions(%s::uuid[], %s::int[], %s) s",
                 (list(current), list(current.values()), keep))


_EDITABLE = ("description", "rotation_period_days")


def update_fields(conn: Connection, secret_id: uuid.UUID, fields: dict[str, object]) -> Result:
    """Change metadata fields (description, rotation_period_days); the version stays. Read
    later (metas)."""
    assert fields and set(fields) <= set(_EDITABLE), fields
    assignments = ", ".join(f"{name} = %s" for name in fields)
    return later(conn,
        f"update public.project_secrets s set {assignments}, updated_at = now()"
        f" where s.id = %s returning {META}",
        (*fields.values(), secret_id),
    )


def delete_secret(conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID) -> str | None:
    """Delete a secret; every version row goes with it (ON DELETE CASCADE)."""
    row = conn.execute(
        "delete from public.project_secrets where project_id = %s and id = %s returning name",
        (project_id, secret_id),
    ).fetchone()
    return row[0] if row else None


def resolve_sealed(
    conn: Connection, principal: Principal, request: RequestInfo, project_id: uuid.UUID,
    lowered_names: list[str],
) -> list[tuple[str, Binding, Sealed]]:
    """In ONE statement, and with the COMMIT in the same round trip: fetch the current
    versions' sealed values, stamp last_used_at (at most once a minute, never waiting on
    another run), write the audit event. If a name is missing the statement fails
    (UnknownNames) and all of it rolls back. The SQL is `meshhook.resolve_for_run` (migrations/
    ..._baseline.sql, "The service's functions"), a function so that its plan is cached per
    session, and `meshhook.require_every_name` (beside it)."""
    rows = read(conn, _RESOLVE, (lowered_names, project_id, principal.kind, principal.actor_id,
                                 principal.run_id, request.ip_address, request.user_agent),
                then_commit=True).fetchall()
    return [(r[0], Binding(project_id, r[1], r[2]), Sealed(r[3], bytes(r[4]), bytes(r[5]))) for r in rows]


# The names are bound once (w); only the columns opening a value come back.
_RESOLVE = (
    "with w(names) as (select %s::text[]),"
    " r as materialized (select * from meshhook.resolve_for_run(%s, (select names from w), %s, %s, %s, %s::inet, %s))"
    " select r.lowered_name, r.id, r.version, r.kek_id, r.wrapped_dek, r.ciphertext from r"
    " where meshhook.require_every_name((select array_agg(lowered_name) from r), (select names from w))"
)
