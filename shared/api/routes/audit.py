"""The audit route: a project's audit trail, for its admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query

from shared.api.deps import CurrentPrincipal, Service
from shared.api.errors import responses
from shared.api.routes.table import RouteTable
from shared.api.schemas import AuditEventList
from shared.secrets.audit import ACTIONS, MAX_PAGE, audit_events

routes = RouteTable(prefix="/api/projects/{project_id}/secrets", tags=["audit"])


@routes.get("/audit", name="audit_events", response_model=AuditEventList,
            responses=responses(400, 401, 403, 404, 422, 500, 503))
def audit(
    project_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
    secret_id: Annotated[uuid.UUID | None, Query(description="Only events of this secret.")] = None,
    actor: Annotated[str | None, Query(max_length=200, description="A user id or a run id.")] = None,
    action: Annotated[str | None, Query(max_length=40, description=(
        "One of " + ", ".join(ACTIONS) + "; any other is a 422."))] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601; events at or after.")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; events before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page.")] = None,
) -> AuditEventList:
    """The project's audit trail, newest first (admins)."""
    page = audit_events(service, principal, project_id, secret_id=secret_id, actor=actor,
                        action=action, since=since, until=until, limit=limit, cursor=cursor)
    return AuditEventList(events=page.events, next_cursor=page.next_cursor)
