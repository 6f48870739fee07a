"""`import-legacy`: move MeshHook's plaintext `public.secrets` rows into encrypted project
secrets, then delete them.

A page of rows (in (project_id, key) order) is ONE transaction: for each row imported, the
secret, its sealed version 1, its `import` audit event (metadata source=legacy) and the
deletion of the legacy row commit together or not at all. So a run killed at any instant
leaves every row either imported and gone or untouched, and the next run, seeing only the
rows still there, imports each exactly once. A row reported (invalid name, name taken, not
UTF-8, ...) stays for the operator; a rerun reports it again.

A dry run walks the same pages in read-only transactions and never loads a key (the first
keyring load creates a KEK): it writes nothing at all.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

from shared.crypto.keyring import Keyring
from shared.secrets.legacy_rows import IMPORTED, ProjectNames, RowReport, decide
from shared.secrets.service import SecretsService
from shared.secrets.writes import add_secrets
from shared.store import audit, legacy
from shared.store import secrets as repo
from shared.store.database import Connection
from shared.store.models import RequestInfo
from shared.store.secrets import NewSecret

ACTOR_ID = "import-legacy"
REQUEST = RequestInfo(user_agent="meshhook-secrets import-legacy")


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The actor of the versions and audit events this job writes: the store reads only
    these three fields of a Principal, and `system` is the actor type of the service's
    own jobs (as KEK rotation's events)."""

    kind: str = "system"
    actor_id: str = ACTOR_ID
    run_id: str | None = None


ACTOR = SystemActor()


@dataclass
class Summary:
    apply: bool
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"apply": self.apply, "rows": self.rows, "counts": dict(self.counts),
                "left": self.rows - self.counts[IMPORTED], "seconds": round(self.seconds, 3),
                "rows_per_second": round(self.rows_per_second, 1)}


@dataclass
class Run:
    service: SecretsService
    apply: bool
    project_id: uuid.UUID | None = None
    rename_invalid: bool = False
    batch_size: int = 100
    # Dry run: the names earlier pages would have placed, which the database doesn't show.
    planned: dict[uuid.UUID, set[str]] = field(default_factory=dict)

    def page(self, conn: Connection, ring: Keyring | None, after: tuple[uuid.UUID, str] | None,
             ) -> tuple[list[RowReport], tuple[uuid.UUID, str] | None]:
        rows = legacy.next_page(conn, after, self.batch_size, project_id=self.project_id, lock=self.apply)
        reports: list[RowReport] = []
        for project_id, group in groupby(rows, key=lambda r: r.project_id):
            reports += self.project_rows(conn, ring, project_id, list(group))
        return reports, ((rows[-1].project_id, rows[-1].key) if rows else None)

    def project_rows(self, conn: Connection, ring: Keyring | None, project_id: uuid.UUID,
                     rows: list[legacy.LegacyRow]) -> list[RowReport]:
        if self.apply:  # serialise with the API's creates in this project, as they do
            repo.lock_project_for_create(conn, project_id)
        # An import reads what earlier pages committed; a retried page must not see its own
        # rolled-back attempt, so only a dry run keeps names of its own.
        planned = set() if self.apply else self.planned.setdefault(project_id, set())
        names = ProjectNames({m.name.lower() for m in repo.list_secrets(conn, project_id)} | planned,
                             legacy.lowered_keys(conn, project_id))
        reports, new = [], []
        for row in rows:
            report, raw = decide(row, names, self.service.limits, rename_invalid=self.rename_invalid)
            reports.append(report)
            if raw is not None:
                names.taken.add(report.name.lower())
                planned.add(report.name.lower())
                new.append((NewSecret(uuid.uuid4(), report.name, None, None), raw, row.key))
        if self.apply and new:
            assert ring is not None
            metas = repo.metas(add_secrets(conn, ring, ACTOR, project_id,  # type: ignore[arg-type]
                                           [(n, raw) for n, raw, _ in new]))
            audit.insert_audit_many(conn, ACTOR, REQUEST, project_id=project_id,  # type: ignore[arg-type]
                                    action="import", events=[
                (m.id, m.name, {"version": 1, "result": "created", "source": "legacy", "legacy_key": key})
                for m, (_, _, key) in zip(metas, new)])
            deleted = legacy.delete_rows(conn, project_id, [key for _, _, key in new])
            assert deleted == len(new), "a locked legacy row vanished"
        return reports

    def next(self, after: tuple[uuid.UUID, str] | None) -> tuple[list[RowReport], tuple[uuid.UUID, str] | None]:
        """One page, committed (import) or looked at (dry run)."""
        if not self.apply:
            with self.service.db.as_system() as conn:
                conn.execute("set transaction read only")
                return self.page(conn, None, after)

        def operation(ring: Keyring):
            with self.service.db.as_system() as conn:
                return self.page(conn, ring, after)

        return self.service.with_keyring(operation)


class NoLegacyTable(Exception):
    """The database has no public.secrets: nothing to import."""


def import_legacy(run: Run, on_row: Callable[[RowReport], None] = lambda r: None) -> Summary:
    """Every row once, in order; `on_row` hears each after its page committed."""
    with run.service.db.as_system() as conn:
        if not legacy.table_exists(conn):
            raise NoLegacyTable("public.secrets does not exist: nothing to import")
    summary = Summary(run.apply)
    started = time.perf_counter()
    after = None
    while True:
        reports, after = run.next(after)
        for report in reports:
            summary.counts[report.status] += 1
            on_row(report)
        if after is None:
            break
    summary.seconds = time.perf_counter() - started
    return summary
