"""Scheduled KEK rotation — Lambda handler (serverless.yml: a daily schedule, no HTTP route).

Rotates when the active KEK is older than MESHHOOK_KEK_MAX_AGE_DAYS (90), and finishes any
re-wrap an earlier run left; a daily run costs one query and two audit rows when nothing is
due. `{"force": true}` in a manual invocation rotates regardless of age (see
docs/operations.md). The run stops re-wrapping shortly before the Lambda's own timeout; the
next run carries on from the database, so nothing is ever half-done.

Progress lines go through the service's logger (JSON, with the Lambda context); the run's
metrics (KEK age, re-wrap progress, failures) leave as EMF lines when it ends, failed or not.
"""

from __future__ import annotations

import functools
import time
from datetime import timedelta
from typing import Any

from shared.coldstart import resume_collector
from shared.container import default_container
from shared.keys.rotate import Policy, rotate_keks

STOP_BEFORE_TIMEOUT_S = 30.0


def _deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return time.monotonic() + max(remaining() / 1000 - STOP_BEFORE_TIMEOUT_S, 1.0)


def _log_line(event: dict[str, Any]) -> None:
    from shared.observability.logs import log_event

    log_event("kek_rotation", event)


def _run(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    container = default_container()  # reused by a warm container: pool, KMS client
    policy = Policy(max_age=timedelta(days=container.settings.kek_max_age_days),
                    force=isinstance(event, dict) and event.get("force") is True)
    report = rotate_keks(
        container.db, container.keys.root_key, policy=policy, actor="scheduled",
        workers=min(2, container.settings.db_pool_max), deadline=_deadline(context),
        progress=_log_line,
    )
    return report.as_dict()


@functools.cache
def _observed():
    from shared.observability.emf import EmfBackend
    from shared.observability.lambda_context import with_lambda_context

    backend = EmfBackend()
    return backend, with_lambda_context(_run, backend)


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    from shared.observability import metrics

    backend, run = _observed()
    # The process default, not a per-request binding: the job counts from its own thread
    # and from the re-wrap callbacks. Restored after, for a process that runs other code.
    previous = metrics.install(backend)
    try:
        return run(event, context)
    finally:
        metrics.install(previous)


resume_collector()  # the import is done (functions/ paused the collector; shared/coldstart.py)
