"""The project route: what the UI asks first (the project's name and the caller's role)."""

from __future__ import annotations

import uuid

from shared.api.deps import CurrentPrincipal, Service
from shared.api.errors import COMMON, responses
from shared.api.routes.table import RouteTable
from shared.api.schemas import ProjectEnvelope, ProjectOut

routes = RouteTable(prefix="/api/projects/{project_id}", tags=["projects"])


@routes.get("", name="get_project", response_model=ProjectEnvelope, responses=responses(*COMMON))
def get_project(project_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> ProjectEnvelope:
    """The project and the caller's role in it."""
    name, role = service.project_role(principal, project_id)
    return ProjectEnvelope(project=ProjectOut(id=project_id, name=name, role=role))
