"""Recording a key-management job's failure in the audit trail, after its transaction rolled back."""

from __future__ import annotations

from typing import Any

from shared.store.audit import insert_system_event
from shared.store.database import Database


def audit_failure(db: Database, actor: str, action: str, exc: BaseException, meta: dict[str, Any]) -> None:
    """Best effort, in a transaction of its own (the failed one has rolled back)."""
    meta = {**meta, "error": type(exc).__name__}
    cause = getattr(exc, "cause", None)  # RootKeyUnavailable: KMS's error code
    if cause is not None:
        meta["error_code"] = cause
    if hasattr(exc, "transient"):  # a rerun can finish (exit 75), or an operator must act (1)
        meta["transient"] = bool(exc.transient)
    secret_id = getattr(exc, "secret_id", None)  # DekIntegrityError names the tampered row
    if secret_id is not None:
        meta["secret_id"] = str(secret_id)
    try:
        with db.as_system() as conn:
            insert_system_event(conn, actor, action, meta, outcome="failure")
    except Exception:  # the database may be what failed; the caller re-raises the original
        pass
