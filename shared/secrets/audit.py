"""Reading the audit trail: admins of a project, newest first, cursor-paginated.

The cursor is opaque to clients (base64 of the last id seen). Ids only grow, so paging
with `id < cursor` neither repeats nor skips an event while new ones are written.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from shared.auth.principal import Principal
from shared.errors import BadRequest, ValidationFailed
from shared.secrets.context import SecretsContext
from shared.store import audit
from shared.store.models import AuditPage

MAX_PAGE = 200
# Every action a project's trail can hold (system jobs' events have no project).
ACTIONS = ("create", "update", "rotate", "rollback", "delete", "reveal", "copy", "export", "import",
           "resolve")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, value = raw.partition(":")
        if version != "v1" or not value.isdigit():
            raise ValueError
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("cursor is not one this API returned") from None


def audit_events(
    service: SecretsContext, principal: Principal, project_id: uuid.UUID, *,
    secret_id: uuid.UUID | None = None, actor: str | None = None, action: str | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    for field, text in (("actor", actor), ("action", action)):
        if text is not None and "\x00" in text:  # Postgres text cannot hold NUL: a 500 otherwise
            raise ValidationFailed(f"{field} must not contain NUL characters")
    if action is not None and action not in ACTIONS:
        raise ValidationFailed("action must be one of " + ", ".join(ACTIONS))
    before_id = decode_cursor(cursor) if cursor else None
    limit = max(1, min(limit, MAX_PAGE))
    with service.tx(principal) as conn:
        service.require(conn, project_id, "admin")
        events = audit.query_audit(conn, project_id, secret_id=secret_id, actor=actor, action=action,
                                   since=since, until=until, before_id=before_id, limit=limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(events, encode_cursor(events[-1].id) if more else None)
