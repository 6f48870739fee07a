"""Audit events of the service's own jobs (KEK rotation, root rekey): actor_type 'system',
project_id NULL. Metadata holds ids, counts and error class names, never key material."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared.store.database import Database


def audit_system(
    conn: psycopg.Connection, actor: str, action: str, metadata: dict[str, Any],
    outcome: str = "success",
) -> None:
    conn.execute(
        "insert into public.secret_audit_events (actor_type, actor_id, action, outcome, metadata)"
        " values ('system', %s, %s, %s, %s)",
        (actor, action, outcome, Jsonb(metadata)),
    )


def audit_failure(db: Database, actor: str, action: str, exc: BaseException, meta: dict[str, Any]) -> None:
    """Best effort, in a transaction of its own (the failed one has rolled back)."""
    meta = {**meta, "error": type(exc).__name__}
    secret_id = getattr(exc, "secret_id", None)  # DekIntegrityError names the tampered row
    if secret_id is not None:
        meta["secret_id"] = str(secret_id)
    try:
        with db.as_system() as conn:
            audit_system(conn, actor, action, meta, outcome="failure")
    except Exception:  # the database may be what failed; the caller re-raises the original
        pass
