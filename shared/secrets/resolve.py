"""Resolve a workflow run's secrets: every requested name in one database statement.

Allowed for a runner token of the project and for Supabase's service_role. A user gets
Forbidden (users reveal, runs resolve); a runner of another project gets NotFound. If any
name is unknown, nothing is returned and nothing is recorded: the error names them all.
"""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.crypto.keyring import Keyring
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.observability import metrics
from shared.secrets.context import SecretsContext
from shared.secrets.limits import check_name
from shared.store import secrets as repo
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

    def operation(ring: Keyring) -> dict[str, str]:
        with service.tx(principal) as conn:
            if principal.kind == "runner" and principal.project_id != project_id:
                raise NotFound("project not found")
            if principal.kind == "user":
                if repo.caller_project_role(conn, project_id) is None:
                    raise NotFound("project not found")
                raise Forbidden("only a workflow run of this project or the service role may resolve")
            rows = repo.resolve_sealed(conn, principal, request, project_id, list(wanted))
            found = {lowered for lowered, _, _ in rows}
            missing = sorted(n for lowered, group in wanted.items() if lowered not in found for n in group)
            if missing:
                if principal.kind == "service" and repo.caller_project_role(conn, project_id) is None:
                    raise NotFound("project not found")
                # Raising rolls back the last_used_at stamps and the audit rows.
                raise NotFound("unknown secrets: " + ", ".join(missing))
            values = {}
            for lowered, binding, sealed in rows:
                value = service.decrypt(ring, binding, sealed)
                for requested in wanted[lowered]:
                    values[requested] = value
        return values

    values = service.with_keyring(operation)
    metrics.count("secrets_resolved", len(values))
    return values
