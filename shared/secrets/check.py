"""Which secrets a workflow step's config references, and which of them don't exist: what
a workflow editor warns about before a run fails on an unknown `{{secrets.NAME}}`.

The placeholder grammar is the runtime's own (shared/runtime/templating.py), so the check
and a run can never disagree. Only names are read: no value is decrypted, nothing is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.auth.principal import Principal
from shared.errors import ValidationFailed
from shared.runtime.templating import MalformedPlaceholderError, find_secret_names
from shared.secrets.context import SecretsContext
from shared.store import secrets as repo


def check_references(
    service: SecretsContext, principal: Principal, project_id: uuid.UUID, config: Any,
) -> tuple[list[str], list[str]]:
    """(referenced, missing), both sorted. Names match ignoring case, as resolve does."""
    try:
        names = find_secret_names(config)
    except MalformedPlaceholderError as exc:
        raise ValidationFailed(str(exc)) from None
    except RecursionError:
        raise ValidationFailed("config is nested too deeply") from None
    with service.tx(principal) as conn:
        service.require(conn, project_id, "viewer", runner=True)
        found = repo.by_lowered_names(conn, project_id, sorted({n.lower() for n in names})) if names else {}
    return names, [n for n in names if n.lower() not in found]
