"""Step 2 of KEK rotation: move every DEK under a retired KEK to the active KEK: the DEK
of every kept version of every secret (a row of project_secret_versions), in one pass.

A batch is one transaction: lock up to N rows under retired KEKs (`FOR UPDATE SKIP LOCKED`,
so concurrent runs and workers take disjoint rows and never wait on API writers), unwrap
and re-wrap their 32-byte DEKs in Python (values are never decrypted), write them back in
ONE UPDATE joined to `unnest` of the ids and new DEKs. Setting kek_id fires the
database's require_active_kek trigger, so a batch aimed at a KEK a newer run has retired
is refused (MH001); the job reloads its keyring and carries on.

Batches run on a few threads (each its own connection: the database work is most of the
cost). When no unlocked row is left, one blocking pass waits for rows other
transactions held (a deadlock between two such passes is retried), so "finished" means no
DEK is left under a retired KEK this keyring knows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from shared.crypto.aead import DecryptionError
from shared.crypto.envelope import Binding, rewrap_dek
from shared.crypto.keyring import Keyring
from shared.crypto.root_keys import RootKey
from shared.keys.keystore import load_keyring
from shared.store import keks as sql
from shared.store.database import Connection, Database
from shared.store.errors import Deadlock, KekRetired

# The target KEK was retired by a newer run, or two waiting passes collided.
RETRYABLE = (KekRetired, Deadlock)
MAX_RETRIES = 5


class DekIntegrityError(Exception):
    """A stored DEK failed authentication (tampering). The batch rolls back; nothing is lost."""

    def __init__(self, secret_id: uuid.UUID) -> None:
        super().__init__(f"the DEK of secret {secret_id} failed its integrity check")
        self.secret_id = secret_id


def retired_ids(ring: Keyring) -> list[int]:
    return [kek_id for kek_id in ring.ids if kek_id != ring.active_id]


def count_under_retired(conn: Connection, ring: Keyring) -> int:
    return sql.count_deks_under(conn, retired_ids(ring))


def rewrap_batch(conn: Connection, ring: Keyring, limit: int, *, wait: bool = False) -> int:
    """Move up to `limit` DEKs from retired KEKs to the active one; how many moved."""
    old = retired_ids(ring)
    if not old:
        return 0
    rows = sql.lock_deks_under(conn, old, limit, wait=wait)
    if not rows:
        return 0
    keys, deks = [], []
    for secret_id, project_id, version, kek_id, wrapped in rows:
        try:
            deks.append(rewrap_dek(ring, kek_id, wrapped, Binding(project_id, secret_id, version)))
        except DecryptionError:
            raise DekIntegrityError(secret_id) from None
        keys.append((secret_id, version))
    sql.set_deks(conn, ring.active_id, keys, deks)
    return len(rows)


def _one_batch(db: Database, ring: Keyring, limit: int, wait: bool) -> int:
    with db.as_system() as conn:
        return rewrap_batch(conn, ring, limit, wait=wait)


def rewrap_all(
    db: Database, root_key: RootKey, ring: Keyring, *, batch_size: int, workers: int,
    on_batch: Callable[[int, Keyring], None], deadline: float | None = None,
) -> tuple[Keyring, bool]:
    """Re-wrap until done or past `deadline` (time.monotonic()). Returns (keyring, finished);
    `on_batch(moved, keyring)` runs on the calling thread after each committed batch."""
    wait, retries = False, 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rewrap") as pool:
        while True:
            if deadline is not None and time.monotonic() > deadline:
                return ring, False
            jobs = [pool.submit(_one_batch, db, ring, batch_size, wait)
                    for _ in range(1 if wait else workers)]
            moved, error = [], None
            for job in jobs:  # collect every job first: no batch is left running on an error
                try:
                    moved.append(job.result())
                except Exception as exc:
                    error = error or exc
            for count in moved:
                if count:
                    on_batch(count, ring)
            if error is not None:
                if not isinstance(error, RETRYABLE) or retries >= MAX_RETRIES:
                    raise error
                retries += 1
                with db.as_system() as conn:  # follow the newer active KEK
                    ring = load_keyring(conn, root_key, ring) or ring
                continue
            if not any(moved):
                if wait:
                    return ring, True
                wait = True
                continue
            wait, retries = False, 0
