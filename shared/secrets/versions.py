"""A secret's versions: list them, reveal one, roll back to one.

Every new value is a new version with its own DEK, bound to its own number; the last
`Limits.max_versions` are kept (writes.add_versions destroys older ones). A rollback
is a new version holding an older version's value: opened under the old binding, sealed
again with a fresh DEK under the new one, never shown to anyone. Each function takes the
operations' context (SecretsContext: the database, the keys, the limits).
"""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.crypto.keyring import Keyring
from shared.errors import NotFound, ValidationFailed
from shared.secrets.context import SecretsContext
from shared.secrets.writes import add_versions
from shared.store import audit, versions
from shared.store import secrets as repo
from shared.store.models import RequestInfo, SecretMeta, VersionMeta

PURPOSES = ("reveal", "copy")


def list_versions(
    service: SecretsContext, principal: Principal, project_id: uuid.UUID, secret_id: uuid.UUID,
) -> list[VersionMeta]:
    with service.tx(principal) as conn:
        service.require(conn, project_id, "viewer")
        found = versions.list_versions(conn, project_id, secret_id)
    if not found:
        raise NotFound("secret not found")
    return found


def reveal(
    service: SecretsContext, principal: Principal, request: RequestInfo, project_id: uuid.UUID,
    secret_id: uuid.UUID, *, version: int | None = None, purpose: str = "reveal",
) -> str:
    """The value, for an admin, audited as `purpose` with the version revealed; the audit
    row commits before the value is returned. Counts against the reveal rate limit."""
    if purpose not in PURPOSES:
        raise ValidationFailed("purpose must be reveal or copy")

    def operation(ring: Keyring) -> str:
        with service.tx(principal) as conn:
            service.require(conn, project_id, "admin")
            service.check_reveal_rate(conn, principal, project_id)
            found = versions.get_sealed(conn, project_id, secret_id, version)
            if found is None:
                if version is not None and repo.get_secret(conn, project_id, secret_id):
                    raise NotFound(f"version {version} is not kept")
                raise NotFound("secret not found")
            meta, binding, sealed = found
            value = service.decrypt(ring, binding, sealed)
            audit.insert_audit(conn, principal, request, project_id=project_id, action=purpose,
                               secret_id=secret_id, secret_name=meta.name,
                               metadata={"version": binding.version})
        return value

    return service.guarded(principal, request, project_id, purpose, secret_id, operation)


def rollback(
    service: SecretsContext, principal: Principal, request: RequestInfo, project_id: uuid.UUID,
    secret_id: uuid.UUID, *, version: int, if_match: int | None = None,
) -> SecretMeta:
    """A new current version holding kept version `version`'s value (editor+)."""

    def operation(ring: Keyring) -> SecretMeta:
        with service.tx(principal) as conn:
            service.require(conn, project_id, "editor")
            current = service.locked_current(conn, project_id, secret_id, if_match)
            found = versions.get_sealed(conn, project_id, secret_id, version)
            if found is None:
                raise NotFound(f"version {version} is not kept")
            _, binding, sealed = found
            raw = service.decrypt(ring, binding, sealed).encode("utf-8")
            written = add_versions(conn, ring, principal, project_id, [(current.id, current.version, raw)],
                                   service.limits.max_versions)
            audit.insert_audit(conn, principal, request, project_id=project_id, action="rollback",
                               secret_id=secret_id, secret_name=current.name,
                               metadata={"version": current.version + 1, "from_version": version})
            conn.commit()
        return repo.metas(written)[0]

    return service.guarded(principal, request, project_id, "rollback", secret_id, operation)
