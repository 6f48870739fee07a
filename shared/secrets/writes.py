"""Writing new secrets and new versions, in batches: what create, update, rollback and
import share. Each version gets a fresh DEK bound to (project, secret, its own number); a
new version pushes the oldest out of the kept window (`keep`, Limits.max_versions), and
those rows, ciphertext and wrapped DEK, are deleted in the same transaction.

Both return the statement's Result, read (shared.store.secrets.metas) once the batch has
gone: on a caller's transaction the rows, the versions and whatever is queued after them
(the audit row, the COMMIT) travel in one round trip.
"""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.crypto.envelope import Binding, seal_value
from shared.crypto.keyring import Keyring
from shared.store import secrets as repo
from shared.store import versions
from shared.store.batch import Result
from shared.store.database import Connection
from shared.store.secrets import NewSecret
from shared.store.versions import NewVersion


def add_secrets(
    conn: Connection, ring: Keyring, principal: Principal, project_id: uuid.UUID,
    new: list[tuple[NewSecret, bytes]],
) -> Result:
    """Insert secrets at version 1 (metadata, then the sealed versions), in batch."""
    written = repo.insert_secrets(conn, project_id, [n for n, _ in new])
    versions.insert_versions(conn, project_id, principal, [
        NewVersion(n.id, 1, seal_value(ring, raw, Binding(project_id, n.id, 1))) for n, raw in new])
    return written


def add_versions(
    conn: Connection, ring: Keyring, principal: Principal, project_id: uuid.UUID,
    new: list[tuple[uuid.UUID, int, bytes]], keep: int,
) -> Result:
    """A new current version of each (secret id, its current version, value): rows locked
    by the caller, or checked at that version by the same batch (require_version); each
    with a fresh DEK bound to its own number. Versions pushed out of the last `keep` are
    destroyed."""
    current = {secret_id: version + 1 for secret_id, version, _ in new}
    versions.insert_versions(conn, project_id, principal, [
        NewVersion(secret_id, current[secret_id],
                   seal_value(ring, raw, Binding(project_id, secret_id, current[secret_id])))
        for secret_id, _, raw in new])
    return repo.set_current_versions(conn, current, keep)
