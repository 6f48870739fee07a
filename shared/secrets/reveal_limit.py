"""The reveal limit (docs/security.md, "Invariants"): per actor and project, the service key
included, exact under concurrency. Reveals and exports both call `enforce_reveal_limit`
inside the transaction that writes their audit row."""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.errors import RateLimited
from shared.secrets.limits import Limits
from shared.store import audit
from shared.store.database import Connection


def enforce_reveal_limit(conn: Connection, principal: Principal, project_id: uuid.UUID, limits: Limits) -> None:
    """RateLimited (with the seconds left in the window) if this actor has used up its
    reveals of the last minute in this project. Holds the (project, actor) lock until the
    caller's transaction ends, so the audit row written after it is counted by the next."""
    limit = limits.reveals_per_minute
    count, retry_after = audit.lock_and_count_reveals(conn, project_id, principal.actor_id, limit)
    if count >= limit:
        raise RateLimited(f"at most {limit} reveals a minute; retry in {retry_after} s", retry_after=retry_after)
