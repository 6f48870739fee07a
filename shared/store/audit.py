"""Every SQL statement on the audit table: the secrets path's events, the jobs' events,
the audit query, and the count the reveal limit reads.

The table is insert-only for every role the API uses (see the row-level security
migration); nothing here updates or deletes a row.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg.types.json import Jsonb

from shared.auth.principal import Principal
from shared.store.batch import defer
from shared.store.database import Connection
from shared.store.models import AuditEvent, RequestInfo


def lock_and_count_reveals(
    conn: Connection, project_id: uuid.UUID, actor_id: str | None, limit: int,
) -> tuple[int, int]:
    """(reveals by this actor in this project in the last minute, seconds until one more
    would fit under `limit`), counted under a transaction-level advisory lock on
    (project, actor): parallel reveals by one actor queue here until the one ahead commits
    its audit row (or rolls back), so the count each sees is exact. The lock ends with the
    transaction, which also makes it safe through a transaction-mode pooler. Each reveal
    and copy counts one, each export one (however many secrets it wrote, one event each,
    sharing the export's `export_id`). As the count never exceeds the limit, one more fits
    when the oldest counted event leaves the window."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                 (f"meshhook.reveal:{project_id}:{actor_id}",))
    count, retry_after = conn.execute(
        "select count(*) filter (where action <> 'export')"
        " + count(distinct metadata ->> 'export_id') filter (where action = 'export'),"
        " ceil(extract(epoch from min(created_at) + interval '1 minute' - clock_timestamp()))::int"
        " from public.secret_audit_events where project_id = %s and actor_id = %s"
        " and action in ('reveal', 'copy', 'export') and outcome = 'success'"
        " and created_at > now() - interval '1 minute'",
        (project_id, actor_id),
    ).fetchone()
    return count, max(int(retry_after or 1), 1)


def insert_audit(
    conn: Connection, principal: Principal, request: RequestInfo, *,
    project_id: uuid.UUID | None, action: str, outcome: str = "success",
    secret_id: uuid.UUID | None = None, secret_name: str | None | NameOfRow = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Queued on a caller's Batch: it commits with the transaction, before any value the
    transaction read can leave the service. `secret_name=NAME_OF_ROW`: the name is read
    from the secret's row by the statement itself (a write that never read the row)."""
    of_row = isinstance(secret_name, NameOfRow)
    _insert_events(conn, principal, request, project_id, action, outcome,
                   [(secret_id, None if of_row else secret_name, metadata or {})], name_of_row=of_row)


class NameOfRow:
    """See insert_audit."""


NAME_OF_ROW = NameOfRow()


def insert_audit_many(
    conn: Connection, principal: Principal, request: RequestInfo, *, project_id: uuid.UUID,
    action: str, events: list[tuple[uuid.UUID, str, dict[str, Any]]],
) -> None:
    """One successful event per (secret id, secret name, metadata), in one statement."""
    _insert_events(conn, principal, request, project_id, action, "success", events, name_of_row=False)


def _insert_events(
    conn: Connection, principal: Principal, request: RequestInfo, project_id: uuid.UUID | None,
    action: str, outcome: str, events: list[tuple[uuid.UUID | None, str | None, dict[str, Any]]], *,
    name_of_row: bool,
) -> None:
    """`meshhook.insert_events` (migration ..._cached_write_plans.sql), deferred."""
    defer(conn,
        "select meshhook.insert_events(%s, %s, %s, %s, %s, %s, %s::inet, %s, %s::uuid[], %s::text[], %s::jsonb[], %s)",
        (project_id, principal.kind, principal.actor_id, principal.run_id, action, outcome,
         request.ip_address, request.user_agent, [e[0] for e in events], [e[1] for e in events],
         [Jsonb(e[2]) for e in events], name_of_row),
    )


_AUDIT_COLUMNS = (
    "a.id, a.project_id, {secret_id}, {secret_name}, a.actor_type, a.actor_id,"
    " case when a.actor_type = 'user' then meshhook.member_email(a.project_id, a.actor_id) end,"
    " a.run_id, a.action, a.outcome, {metadata}, host(a.ip_address), a.user_agent, a.created_at"
)
_AS_STORED = _AUDIT_COLUMNS.format(secret_id="a.secret_id", secret_name="a.secret_name", metadata="a.metadata")
# A resolve of several secrets is one row naming them all (secret_ids, metadata.secrets);
# seen through one secret's filter it reads as that secret's own event, as when each
# secret had a row: its id, its name, {"version": its version}.
_AS_ONE_SECRETS = _AUDIT_COLUMNS.format(
    secret_id="coalesce(a.secret_id, (one.e ->> 'id')::uuid)",
    secret_name="coalesce(a.secret_name, one.e ->> 'name')",
    metadata="case when one.e is null then a.metadata else jsonb_build_object('version', one.e -> 'version') end",
)
_ONE = (" left join lateral (select e from jsonb_array_elements(case when a.secret_id is null"
        " then a.metadata -> 'secrets' end) e where e ->> 'id' = %s::text limit 1) one on true")


def query_audit(
    conn: Connection, project_id: uuid.UUID, *, secret_id: uuid.UUID | None,
    actor: str | None, action: str | None, since: Any, until: Any, before_id: int | None, limit: int,
) -> list[AuditEvent]:
    """Newest first, keyset-paginated on id (ids only grow, so pages neither repeat nor skip).
    An event is one secret's when it names it alone (secret_id) or among others (secret_ids:
    a resolve), each match found through its own index."""
    where = ["a.project_id = %s"]
    params: list[Any] = [project_id]
    if secret_id is not None:
        where.append("(a.secret_id = %s or a.secret_ids @> array[%s::uuid])")
        params += [secret_id, secret_id]
    for clause, value in (
        ("a.actor_id = %s", actor), ("a.action = %s", action),
        ("a.created_at >= %s", since), ("a.created_at < %s", until), ("a.id < %s", before_id),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    params.append(limit)
    if secret_id is None:
        source, columns = "public.secret_audit_events a", _AS_STORED
    else:
        source, columns = f"public.secret_audit_events a{_ONE}", _AS_ONE_SECRETS
        params.insert(0, secret_id)
    rows = conn.execute(
        f"select {columns} from {source} where {' and '.join(where)} order by a.id desc limit %s",
        params,
    ).fetchall()
    return [AuditEvent(*r) for r in rows]


def insert_system_event(
    conn: Connection, actor: str, action: str, metadata: dict[str, Any], outcome: str = "success",
) -> None:
    """An event of the service's own jobs (KEK rotation, root rekey): actor_type 'system',
    no project. Metadata holds ids, counts and error class names, never key material."""
    conn.execute(
        "insert into public.secret_audit_events (actor_type, actor_id, action, outcome, metadata)"
        " values ('system', %s, %s, %s, %s)",
        (actor, action, outcome, Jsonb(metadata)),
    )
