"""The version routes: a secret's kept versions, and a rollback to one of them."""

from __future__ import annotations

import uuid

from shared.api.deps import CurrentPrincipal, Service, VersionWrite, tag_version
from shared.api.errors import COMMON, responses
from shared.api.routes.table import RouteTable
from shared.api.schemas import RollbackSecret, SecretEnvelope, VersionList
from shared.secrets.versions import list_versions, rollback

routes = RouteTable(prefix="/api/projects/{project_id}/secrets", tags=["versions"])


@routes.get("/{secret_id}/versions", name="list_versions", response_model=VersionList,
            responses=responses(*COMMON, 403))
def versions(
    project_id: uuid.UUID, secret_id: uuid.UUID, principal: CurrentPrincipal, service: Service,
) -> VersionList:
    """The kept versions of a secret, newest first (never a value). `created_by.email` is
    given for a user who is still a member of the project."""
    return VersionList(versions=list_versions(service, principal, project_id, secret_id))


@routes.post("/{secret_id}/rollback", name="rollback_secret", response_model=SecretEnvelope,
             responses=responses(*COMMON, 403, 412, 413))
def rollback_secret(
    project_id: uuid.UUID, secret_id: uuid.UUID, body: RollbackSecret, write: VersionWrite,
) -> SecretEnvelope:
    """A new version holding a kept version's value (re-encrypted with a fresh key, never
    shown). `If-Match` as for PUT; 404 if that version is not kept."""
    meta = rollback(write.service, write.principal, write.request, project_id, secret_id, version=body.version,
                    if_match=write.if_match)
    return SecretEnvelope(secret=tag_version(write.response, meta))
