"""What `rotate-keks --status` shows: the KEKs, how many DEKs each wraps, whether a rotation
is due or unfinished. Reads the database only; needs no root key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from shared.keys.rotate import Policy
from shared.store import keks as sql
from shared.store.database import Connection


def kek_status(conn: Connection, policy: Policy) -> dict[str, Any]:
    rows = sql.kek_overview(conn)
    keks = [
        {"id": r["id"], "state": "destroyed" if r["destroyed_at"] else r["state"],
         "root_key_id": r["root_key_id"], "created_at": _utc(r["created_at"]),
         "retired_at": _utc(r["retired_at"]), "destroyed_at": _utc(r["destroyed_at"]), "deks": r["deks"]}
        for r in rows
    ]
    age: timedelta | None = next((r["age"] for r in rows if r["state"] == "active" and not r["destroyed_at"]), None)
    active = next((k for k in keks if k["state"] == "active"), None)
    unfinished = [k["id"] for k in keks if k["state"] == "retired"]
    return {
        "active_kek_id": active["id"] if active else None,
        "active_age_days": round(age / timedelta(days=1), 2) if age is not None else None,
        "max_age_days": policy.max_age / timedelta(days=1),
        "rotation_due": policy.due(age),
        "unfinished": bool(unfinished),  # retired KEKs not yet destroyed: rerun to finish
        "deks_under_retired": sum(k["deks"] for k in keks if k["state"] == "retired"),
        "keks": keks,
    }


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None
