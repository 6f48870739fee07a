"""Resolve a workflow run's secrets: every requested name in one database statement, its
COMMIT in the same round trip, then the values decrypted.

Allowed for a runner token of the project and for Supabase's service_role. A user gets
Forbidden (users reveal, runs resolve); a runner of another project gets NotFound. If any
name is unknown, nothing is returned and nothing is recorded: the error names them all.
"""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.crypto.envelope import Binding, Sealed
from shared.crypto.keyring import Keyring
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.observability import metrics
from shared.secrets.context import SecretsContext
from shared.secrets.limits import check_name
from shared.secrets.sealing import IntegrityFailure
from shared.store import secrets as repo
from shared.store.errors import UnknownNames
from shared.store.models import RequestInfo


def resolve_secrets(
    service: SecretsContext, principal: Principal, request: RequestInfo, project_id: uuid.UUID,
    names: list[str],
) -> dict[str, str]:
    if not names:
        raise ValidationFailed("names must list at least one secret")
    if len(names) > service.limits.max_resolve_names:
        raise ValidationFailed(f"at most {service.limits.max_resolve_names} names per request")
    for name in names:
        check_name(name)
    # Names are unique ignoring case, so a lookup ignoring case is unambiguous.
    wanted: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        wanted.setdefault(name.lower(), []).append(name)

    rows = _read_and_audit(service, principal, request, project_id, wanted)

    def open_all(ring: Keyring) -> dict[str, str]:
        values = {}
        for lowered, binding, sealed in rows:
            try:
                value = service.decrypt(ring, binding, sealed)
            except IntegrityFailure:  # the event says resolved, this one that it failed
                service.audit_refusal(principal, request, project_id, "resolve", binding.secret_id,
                                      outcome="failure")
                raise
            for requested in wanted[lowered]:
                values[requested] = value
        return values

    # A keyring older than a rotation in another process is reloaded and the rows opened
    # again: the database work (and its audit event) is done once.
    values = service.with_keyring(open_all)
    metrics.count("secrets_resolved", len(values))
    return values


def _read_and_audit(
    service: SecretsContext, principal: Principal, request: RequestInfo, project_id: uuid.UUID,
    wanted: dict[str, list[str]],
) -> list[tuple[str, Binding, Sealed]]:
    """The sealed rows, with the audit event COMMITTED in the same round trip: durable before
    any value is even decrypted, so none can leave unrecorded."""
    try:
        with service.tx(principal) as conn:
            if principal.kind == "runner" and principal.project_id != project_id:
                raise NotFound("project not found")
            if principal.kind == "user":
                if repo.caller_project_role(conn, project_id) is None:
                    raise NotFound("project not found")
                raise Forbidden("only a workflow run of this project or the service role may resolve")
            return repo.resolve_sealed(conn, principal, request, project_id, list(wanted))
    except UnknownNames as exc:  # nothing was stamped or recorded
        if principal.kind == "service":
            with service.tx(principal) as conn:
                if repo.caller_project_role(conn, project_id) is None:
                    raise NotFound("project not found") from None
        missing = sorted(n for lowered in exc.lowered for n in wanted.get(lowered, ()))
        raise NotFound("unknown secrets: " + ", ".join(missing)) from None
