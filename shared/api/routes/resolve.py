"""The resolve route: a workflow run's secrets by name, in one call (docs/integration.md)."""

from __future__ import annotations

import uuid

from shared.api.deps import CurrentPrincipal, Requester, Service
from shared.api.errors import responses
from shared.api.routes.table import RouteTable
from shared.api.schemas import ResolvedSecrets, ResolveSecrets
from shared.secrets.resolve import resolve_secrets

routes = RouteTable(prefix="/api/projects/{project_id}/secrets", tags=["runtime"])


@routes.post("/resolve", name="resolve_secrets", response_model=ResolvedSecrets,
             responses=responses(400, 401, 403, 404, 413, 422, 500, 503))
def resolve(
    project_id: uuid.UUID, body: ResolveSecrets, principal: CurrentPrincipal, service: Service,
    request: Requester,
) -> ResolvedSecrets:
    """Values for a workflow run of this project (runner token) or the service role. Audited."""
    return ResolvedSecrets(secrets=resolve_secrets(service, principal, request, project_id, body.names))
