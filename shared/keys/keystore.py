"""KEK storage: load and cache the keyring, create the first KEK.

KEK plaintext lives only in this process's memory: unwrapped by the root key once per
KEK per warm process (one KMS call each, not one per request), never written anywhere.
When a row names a KEK this process has not seen (another process rotated), or the
database refuses a write because the cached active KEK was retired, the keyring is
reloaded; nothing is tried key by key.

When the root key is unavailable (KMS down, throttling, a disabled key), a load raises
`RootKeyUnavailable` (a 503 with Retry-After) within KMS's bounded retries: a warm process
keeps serving from the KEKs it holds, and the next request after KMS is back loads the
keyring. Requests that queued behind a failing load get its failure at once rather than
each waiting for KMS in turn (a `serve` process has many threads; a Lambda, one).
"""

from __future__ import annotations

import threading
import time

from shared.crypto.aead import AesGcm, new_key
from shared.crypto.keyring import Keyring
from shared.crypto.root_keys import RootKey, RootKeyUnavailable
from shared.store import keks as sql
from shared.store.database import Connection, Database


class RootKeyMismatch(Exception):
    """The configured root key is not the one that wrapped the KEKs in the database."""

    def __init__(self, kek_id: int, wrapped_by: str, configured: str) -> None:
        super().__init__(f"KEK {kek_id} is wrapped by root key {wrapped_by}, "
                         f"but the configured root key is {configured}")


def load_keyring(
    conn: Connection, root_key: RootKey, known: Keyring | None = None
) -> Keyring | None:
    """Unwrap every live KEK not already in `known`. None when no KEK is active yet."""
    rows = sql.live_keks(conn)
    keys: dict[int, AesGcm] = {}
    active_id = None
    for kek_id, state, wrapped, root_key_id in rows:
        if root_key_id != root_key.key_id:
            raise RootKeyMismatch(kek_id, root_key_id, root_key.key_id)
        if known is not None and kek_id in known:
            keys[kek_id] = known.get(kek_id)
        else:
            keys[kek_id] = AesGcm(root_key.unwrap_kek(wrapped, kek_id))
        if state == "active":
            active_id = kek_id
    if active_id is None:
        return None
    return Keyring(keys, active_id)


def create_active_kek(conn: Connection, root_key: RootKey) -> int:
    """Insert a new KEK, retiring the previous active one, in the caller's transaction."""
    sql.retire_active(conn)
    kek_id = sql.reserve_kek_id(conn)
    sql.insert_active_kek(conn, kek_id, root_key.wrap_kek(new_key(), kek_id), root_key.key_id)
    return kek_id


class KeyStore:
    """The process-wide cache of unwrapped KEKs."""

    def __init__(self, db: Database, root_key: RootKey) -> None:
        self._db = db
        self.root_key = root_key
        self._keyring: Keyring | None = None
        self._lock = threading.Lock()
        self._failed: tuple[float, RootKeyUnavailable] | None = None  # (when, why) of the last load

    def keyring(self) -> Keyring:
        ring = self._keyring
        if ring is None:
            ring = self._load(cold=True)
        return ring

    def reload(self) -> Keyring:
        return self._load(cold=False)

    def _load(self, *, cold: bool) -> Keyring:
        asked = time.monotonic()
        with self._lock:
            if cold and self._keyring is not None:
                return self._keyring  # loaded by the request this one queued behind
            failed = self._failed
            if failed is not None and failed[0] >= asked:
                raise failed[1].again()  # the load this one queued behind has just failed
            try:
                ring = self._load_locked()
            except RootKeyUnavailable as exc:
                self._failed = (time.monotonic(), exc)
                raise
            self._failed = None
            self._keyring = ring
            return ring

    def _load_locked(self) -> Keyring:
        with self._db.as_system() as conn:
            ring = load_keyring(conn, self.root_key, self._keyring)
            if ring is None:
                # First start: serialise with other processes doing the same.
                sql.lock_keks(conn)
                ring = load_keyring(conn, self.root_key)
                if ring is None:
                    create_active_kek(conn, self.root_key)
                    ring = load_keyring(conn, self.root_key)
        assert ring is not None
        return ring
