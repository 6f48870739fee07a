"""Routes for workflow runs and auditors: resolve and the audit query (DESIGN §4, §5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from shared.api.deps import CurrentPrincipal, Requester, Service
from shared.api.errors import responses
from shared.api.schemas import AuditEventList, AuditEventOut, ResolvedSecrets, ResolveSecrets
from shared.secrets.audit import MAX_PAGE, audit_events
from shared.secrets.resolve import resolve_secrets

router = APIRouter(prefix="/api/projects/{project_id}/secrets", tags=["runtime"])


@router.post("/resolve", name="resolve_secrets", response_model=ResolvedSecrets,
             responses=responses(400, 401, 403, 404, 413, 422, 500, 503))
def resolve(
    project_id: uuid.UUID, body: ResolveSecrets, principal: CurrentPrincipal, service: Service,
    request: Requester,
) -> ResolvedSecrets:
    """Values for a workflow run of this project (runner token) or the service role. Audited."""
    return ResolvedSecrets(secrets=resolve_secrets(service, principal, request, project_id, body.names))


@router.get("/audit", name="audit_events", response_model=AuditEventList,
            responses=responses(400, 401, 403, 404, 422, 500, 503))
def audit(
    project_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
    secret_id: Annotated[uuid.UUID | None, Query(description="Only events of this secret.")] = None,
    actor: Annotated[str | None, Query(max_length=200, description="A user id or a run id.")] = None,
    action: Annotated[str | None, Query(max_length=40, description=(
        "create, update, rotate, delete, reveal or resolve."))] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601; events at or after.")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; events before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page.")] = None,
) -> AuditEventList:
    """The project's audit trail, newest first (admins)."""
    page = audit_events(service, principal, project_id, secret_id=secret_id, actor=actor,
                        action=action, since=since, until=until, limit=limit, cursor=cursor)
    return AuditEventList(events=[AuditEventOut.of(e) for e in page.events], next_cursor=page.next_cursor)
