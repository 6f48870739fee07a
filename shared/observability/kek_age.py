"""The active KEK's age as a gauge, read at start-up (serve/dev; the rotation job reports
it after each run)."""

from __future__ import annotations

import logging
from datetime import timedelta

from shared.observability.metrics import Backend
from shared.store import keks
from shared.store.database import Database

log = logging.getLogger("meshhook_secrets.observability")


def record_kek_age(db: Database, backend: Backend) -> float | None:
    """Days; None when no KEK is active yet or the database cannot be read (start-up goes on:
    the first request reports the database's state properly)."""
    try:
        with db.as_system() as conn:
            age = keks.active_kek_age(conn)
    except Exception as exc:
        log.warning("KEK age not read at start-up: %s", type(exc).__name__)
        return None
    if age is None:
        return None
    days = age / timedelta(days=1)
    backend.gauge("kek_age_days", days)
    return days
