"""KEK rotation (docs/architecture.md#a-rotation-end-to-end): make a new KEK active, re-wrap every DEK still under an older
KEK, then destroy the retired KEKs nothing references any more.

Three steps, each a series of short transactions, with no state outside the database: the
job is idempotent, and a rerun after a crash at any instant carries on where it stopped.

1. activate: decide under an EXCLUSIVE lock on the KEK table (the lock the first-start
   bootstrap and rekey-root take too) and, when due, create the new active KEK; the old one
   is retired in the same transaction (keystore.create_active_kek).
2. re-wrap (shared/keys/rewrap.py): batches of rows under a retired KEK, `FOR UPDATE SKIP
   LOCKED`, on a few threads; only the 32-byte DEKs are unwrapped and wrapped again (values
   are never decrypted), one UPDATE per batch. The database's require_active_kek trigger
   refuses a batch aimed at a KEK a newer rotation retired; the job then follows it.
3. destroy: per retired KEK, lock its row FOR UPDATE, re-check that no DEK references it,
   then drop the wrapped key for good.

Overlapping runs: the activation decision is serialised by the table lock and re-made after
it is taken, and `force` means "rotate unless the active KEK is younger than `settle`
(60 s)", so two runs started together make ONE new KEK and the later one just joins the
re-wrap. Re-wrap batches skip each other's rows; a final blocking pass waits for rows other
transactions held.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from shared.crypto.keyring import Keyring
from shared.crypto.root_keys import RootKey
from shared.keys.journal import audit_failure
from shared.keys.keystore import create_active_kek, load_keyring
from shared.keys.rewrap import DekIntegrityError, count_under_retired, rewrap_all
from shared.observability import metrics
from shared.store import keks as sql
from shared.store.audit import insert_system_event
from shared.store.database import Database

__all__ = ["DekIntegrityError", "Policy", "RotationReport", "rotate_keks"]

Progress = Callable[[dict[str, Any]], None]
AUDIT_EVERY = 10  # batches between two progress audit events
MAX_PASSES = 10  # re-wrap + destroy rounds before leaving the rest to the next run


@dataclass(frozen=True)
class Policy:
    max_age: timedelta = timedelta(days=90)
    force: bool = False
    settle: timedelta = timedelta(seconds=60)

    def due(self, age: timedelta | None) -> bool:
        """Whether to make a new KEK, given the active one's age (None: there is none)."""
        if age is None:
            return True
        return age >= (self.settle if self.force else self.max_age)


@dataclass
class RotationReport:
    job_id: str
    rotated: bool = False
    active_kek_id: int | None = None
    retired_kek_id: int | None = None
    rewrapped: int = 0
    batches: int = 0
    destroyed: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # retired KEKs still referenced
    complete: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rotate_keks(
    db: Database, root_key: RootKey, *, policy: Policy = Policy(), batch_size: int = 1000,
    workers: int = 2, progress: Progress | None = None, actor: str = "rotate-keks",
    deadline: float | None = None,
) -> RotationReport:
    """Run the rotation job. `deadline` (time.monotonic()) stops re-wrapping early; a rerun
    finishes. A wrong root key or a tampered KEK/DEK raises, and the failed step changed nothing.
    `db` needs a pool of at least `workers` connections."""
    if batch_size < 1 or workers < 1:
        raise ValueError("batch_size and workers must be at least 1")
    run = _Run(db, root_key, actor, progress or (lambda event: None))
    started = time.monotonic()
    run.audit("kek_rotation_start", force=policy.force, max_age_days=policy.max_age / timedelta(days=1))
    run.emit("start", force=policy.force)
    try:
        ring = run.activate(policy)
        ring = run.rewrap_and_destroy(ring, batch_size=batch_size, workers=workers, deadline=deadline)
    except BaseException as exc:
        metrics.count("rotation_failures")
        audit_failure(db, actor, "kek_rotation_failure", exc,
                      {"job_id": run.report.job_id, "rewrapped": run.report.rewrapped})
        raise
    report = run.report
    report.active_kek_id = ring.active_id
    report.seconds = round(time.monotonic() - started, 3)
    run.audit("kek_rotation_end", rotated=report.rotated, active_kek_id=report.active_kek_id,
              rewrapped=report.rewrapped, batches=report.batches, destroyed=report.destroyed,
              pending=report.pending, complete=report.complete)
    run.progress({"event": "end", **report.as_dict()})
    return report


class _Run:
    """One run of the job: its report, its progress lines and audit events (each tagged with
    the job id), and the steps that update them."""

    def __init__(self, db: Database, root_key: RootKey, actor: str, progress: Progress) -> None:
        self.db, self.root_key, self.actor, self.progress = db, root_key, actor, progress
        self.report = RotationReport(job_id=str(uuid.uuid4()))
        self.remaining = 0  # this pass's estimate of DEKs left, for progress only

    def audit(self, action: str, **details: Any) -> None:
        with self.db.as_system() as conn:
            insert_system_event(conn, self.actor, action, {"job_id": self.report.job_id, **details})

    def emit(self, event: str, **details: Any) -> None:
        self.progress({"event": event, "job_id": self.report.job_id, **details})

    def activate(self, policy: Policy) -> Keyring:
        report = self.report
        ring, age = _activate(self.db, self.root_key, policy, report, self.actor)
        metrics.gauge("kek_age_days", 0.0 if report.rotated or age is None else age / timedelta(days=1))
        if report.rotated:
            metrics.count("rotations")
        self.emit("activated" if report.rotated else "not_due", force=policy.force,
                  active_kek_id=report.active_kek_id, retired_kek_id=report.retired_kek_id,
                  age_seconds=None if report.rotated or age is None else round(age.total_seconds()))
        return ring

    def on_batch(self, moved: int, current: Keyring) -> None:
        report = self.report
        report.rewrapped += moved
        report.batches += 1
        self.remaining = max(self.remaining - moved, 0)
        metrics.count("rewrap_deks", moved)
        metrics.gauge("rewrap_remaining", self.remaining)
        self.emit("rewrap", batch=report.batches, rewrapped=report.rewrapped, remaining=self.remaining,
                  kek_id=current.active_id)
        if report.batches % AUDIT_EVERY == 0:
            self.audit("kek_rotation_progress", batches=report.batches, rewrapped=report.rewrapped)

    def rewrap_and_destroy(self, ring: Keyring, *, batch_size: int, workers: int,
                           deadline: float | None) -> Keyring:
        """Steps 2 and 3, repeated while a concurrent rotation keeps retiring KEKs."""
        report = self.report
        for _ in range(MAX_PASSES):
            with self.db.as_system() as conn:
                self.remaining = count_under_retired(conn, ring)
            metrics.gauge("rewrap_remaining", self.remaining)
            try:
                ring, finished = rewrap_all(self.db, self.root_key, ring, batch_size=batch_size,
                                            workers=workers, on_batch=self.on_batch, deadline=deadline)
            except Exception as exc:
                metrics.count("rewrap_failures")
                if isinstance(exc, DekIntegrityError):
                    metrics.count("integrity_failures")
                raise
            if not finished:
                report.pending = [k for k in ring.ids if k != ring.active_id]
                break
            report.pending = _destroy_unreferenced(self.db, report, self.progress, self.actor)
            if not report.pending:
                report.complete = True
                break
            ring = _reload(self.db, self.root_key, ring)
        return ring


def _activate(
    db: Database, root_key: RootKey, policy: Policy, report: RotationReport, actor: str,
) -> tuple[Keyring, timedelta | None]:
    """Step 1; returns the keyring and the age of the KEK found active. Unwrapping every live
    KEK first proves the root key before anything changes."""
    with db.as_system() as conn:
        ring = load_keyring(conn, root_key)
        age = sql.active_kek_age(conn)
        if policy.due(age):
            sql.lock_keks(conn)
            # Decide again: a run that held the lock may just have rotated (or rekeyed).
            ring = load_keyring(conn, root_key, ring)
            age = sql.active_kek_age(conn)
            if policy.due(age):
                report.retired_kek_id = ring.active_id if ring else None
                new_id = create_active_kek(conn, root_key)
                ring = load_keyring(conn, root_key, ring)
                report.rotated = True
                insert_system_event(conn, actor, "kek_activate", {
                    "job_id": report.job_id, "kek_id": new_id, "retired_kek_id": report.retired_kek_id})
    assert ring is not None
    report.active_kek_id = ring.active_id
    return ring, age


def _reload(db: Database, root_key: RootKey, ring: Keyring) -> Keyring:
    with db.as_system() as conn:
        fresh = load_keyring(conn, root_key, ring)
    assert fresh is not None
    return fresh


def _destroy_unreferenced(db: Database, report: RotationReport, emit: Progress, actor: str) -> list[int]:
    """Step 3. Returns the retired KEKs still referenced (by rows another run is moving)."""
    with db.as_system() as conn:
        candidates = sql.retired_keks(conn)
    kept = []
    for kek_id in candidates:
        with db.as_system() as conn:
            if not sql.lock_kek_if_live(conn, kek_id):
                continue  # another run destroyed it
            if sql.kek_in_use(conn, kek_id):
                kept.append(kek_id)
                continue
            sql.destroy_kek(conn, kek_id)
            insert_system_event(conn, actor, "kek_destroy", {"job_id": report.job_id, "kek_id": kek_id})
        report.destroyed.append(kek_id)
        emit({"event": "destroyed", "job_id": report.job_id, "kek_id": kek_id})
    return kept
