"""What `rotate-keks --status` shows: the KEKs, how many DEKs each wraps, whether a rotation
is due or unfinished. Reads the database only; needs no root key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

from shared.keys.rotate import Policy


def kek_status(conn: psycopg.Connection, policy: Policy) -> dict[str, Any]:
    rows = conn.execute(
        """
        select k.id, k.state, k.root_key_id, k.created_at, k.retired_at, k.destroyed_at,
               clock_timestamp() - k.created_at, coalesce(c.deks, 0)
          from public.secret_keks k
          left join (select kek_id, count(*) as deks from public.project_secrets group by kek_id) c
                 on c.kek_id = k.id
         order by k.id
        """
    ).fetchall()
    keks = [
        {"id": r[0], "state": "destroyed" if r[5] else r[1], "root_key_id": r[2],
         "created_at": _utc(r[3]), "retired_at": _utc(r[4]), "destroyed_at": _utc(r[5]),
         "deks": r[7], "_age": r[6]}
        for r in rows
    ]
    active = next((k for k in keks if k["state"] == "active"), None)
    age: timedelta | None = active["_age"] if active else None
    for k in keks:
        del k["_age"]
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
