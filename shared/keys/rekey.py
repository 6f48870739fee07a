"""Root rekey (Vault's "rekey"; docs/architecture.md#keys): re-wrap every live KEK under a new root key.

One transaction, under the EXCLUSIVE lock on the KEK table that KEK rotation and the
first-start bootstrap take, so no KEK can be created under the old root key meanwhile.
Each KEK is unwrapped with the current root key, wrapped with the new one, and unwrapped
again with the new one before anything is written: a new KMS key the job may encrypt with
but not decrypt with fails here, not at the next cold start. Afterwards only the new root
key is needed; the operator then swaps MESHHOOK_ROOT_KEY / MESHHOOK_KMS_KEY_ID.

Rerunning with the same pair is a no-op (KEKs already under the new key are left alone).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from shared.crypto.root_keys import RootKey
from shared.keys.journal import audit_failure
from shared.keys.keystore import RootKeyMismatch
from shared.store import keks as sql
from shared.store.audit import insert_system_event
from shared.store.database import Database


class RekeyError(Exception):
    """The new root key is unusable (the same as the old one, or it cannot unwrap its own output)."""


@dataclass
class RekeyReport:
    job_id: str
    old_root_key_id: str
    new_root_key_id: str
    rewrapped: list[int]
    already: list[int]  # KEKs a previous run had moved

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rekey_root(db: Database, old: RootKey, new: RootKey, *, actor: str = "rekey-root") -> RekeyReport:
    report = RekeyReport(str(uuid.uuid4()), old.key_id, new.key_id, [], [])
    base = {"job_id": report.job_id, "old_root_key_id": old.key_id, "new_root_key_id": new.key_id}
    try:
        if old.key_id == new.key_id:
            raise RekeyError("the new root key is the configured root key")
        with db.as_system() as conn:
            sql.lock_keks(conn)
            for kek_id, _state, wrapped, root_key_id in sql.live_keks(conn):
                if root_key_id == new.key_id:
                    report.already.append(kek_id)
                    continue
                if root_key_id != old.key_id:
                    raise RootKeyMismatch(kek_id, root_key_id, old.key_id)
                kek = old.unwrap_kek(wrapped, kek_id)
                rewrapped = new.wrap_kek(kek, kek_id)
                if not hmac.compare_digest(new.unwrap_kek(rewrapped, kek_id), kek):
                    raise RekeyError(f"the new root key does not give KEK {kek_id} back")
                sql.set_wrapped_kek(conn, kek_id, rewrapped, new.key_id)
                report.rewrapped.append(kek_id)
            insert_system_event(conn, actor, "root_rekey",
                         {**base, "rewrapped": report.rewrapped, "already": report.already})
    except BaseException as exc:
        audit_failure(db, actor, "root_rekey", exc, base)
        raise
    return report
