"""The secrets routes: create, list, get, update, delete, reveal (docs/api.md); versions
and rollback are in routes/versions.py, import, export and check in routes/bulk.py.

Each route is also deployed alone as a Lambda (functions/)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from shared.api.deps import (
    CurrentPrincipal,
    Requester,
    Service,
    VersionWrite,
    tag_version,
)
from shared.api.errors import COMMON, responses
from shared.api.routes.table import RouteTable
from shared.api.schemas import (
    CreateSecret,
    RevealedValue,
    RevealSecret,
    SecretEnvelope,
    SecretList,
    UpdateSecret,
)

routes = RouteTable(prefix="/api/projects/{project_id}/secrets", tags=["secrets"])


@routes.post("", name="create_secret", status_code=201, response_model=SecretEnvelope,
             responses=responses(*COMMON, 403, 409, 413))
def create_secret(
    project_id: uuid.UUID, body: CreateSecret, principal: CurrentPrincipal, service: Service,
    request: Requester, response: Response,
) -> SecretEnvelope:
    """Create a secret (editor or admin). The value is encrypted and never returned."""
    meta = service.create(principal, request, project_id, name=body.name, value=body.value,
                          description=body.description, rotation_period_days=body.rotation_period_days)
    return SecretEnvelope(secret=tag_version(response, meta))


@routes.get("", name="list_secrets", response_model=SecretList,
            responses=responses(*COMMON, 403))
def list_secrets(
    project_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
    overdue: Annotated[bool, Query(description="Only secrets whose rotation is overdue.")] = False,
) -> SecretList:
    """List the project's secrets, metadata only, sorted by name."""
    return SecretList(secrets=service.list(principal, project_id, overdue=overdue))


@routes.get("/{secret_id}", name="get_secret", response_model=SecretEnvelope,
            responses=responses(*COMMON, 403))
def get_secret(
    project_id: uuid.UUID, secret_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
    response: Response,
) -> SecretEnvelope:
    """One secret's metadata (never its value)."""
    meta = service.get(principal, project_id, secret_id)
    return SecretEnvelope(secret=tag_version(response, meta))


@routes.put("/{secret_id}", name="update_secret", response_model=SecretEnvelope,
            responses=responses(*COMMON, 403, 412, 413))
def update_secret(project_id: uuid.UUID, secret_id: uuid.UUID, body: UpdateSecret, write: VersionWrite) -> SecretEnvelope:
    """Rotate the value (version + 1) and/or change the description or rotation period.
    The name is fixed."""
    fields = {f: getattr(body, f) for f in ("description", "rotation_period_days") if f in body.model_fields_set}
    meta = write.service.update(write.principal, write.request, project_id, secret_id, value=body.value,
                                fields=fields, if_match=write.if_match)
    return SecretEnvelope(secret=tag_version(write.response, meta))


@routes.delete("/{secret_id}", name="delete_secret", status_code=204,
               response_class=Response, responses=responses(*COMMON, 403))
def delete_secret(
    project_id: uuid.UUID, secret_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
    request: Requester,
) -> Response:
    """Delete a secret and every trace of its value. Unrecoverable."""
    service.delete(principal, request, project_id, secret_id)
    return Response(status_code=204)


@routes.post("/{secret_id}/reveal", name="reveal_secret", response_model=RevealedValue,
             responses=responses(*COMMON, 403, 413, 429))
def reveal_secret(
    project_id: uuid.UUID, secret_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
    request: Requester, body: RevealSecret | None = None,
) -> RevealedValue:
    """The value of the current version, or of a kept older one, for admins. Audited (as
    `reveal`, or `copy` with that purpose) before it is returned; at most 60 a minute per user."""
    body = body or RevealSecret()
    return RevealedValue(value=service.reveal(principal, request, project_id, secret_id,
                                              version=body.version, purpose=body.purpose))
