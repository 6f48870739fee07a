"""The keyring around an operation, and opening a stored version with it.

The keyring is loaded BEFORE a transaction opens: loading takes a connection of its own,
and a container may have only one (DB_POOL_MAX=1). A transaction that meets a KEK this
process has not loaded (another process rotated) rolls back; the keyring is reloaded,
again outside any transaction, and the operation runs once more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from shared.crypto.aead import DecryptionError
from shared.crypto.envelope import Binding, Sealed, open_value
from shared.crypto.keyring import Keyring
from shared.errors import ServiceError
from shared.keys.keystore import KeyStore
from shared.observability import metrics
from shared.store.errors import KekRetired

log = logging.getLogger("meshhook_secrets.service")
T = TypeVar("T")


class IntegrityFailure(ServiceError):
    """Stored ciphertext failed authentication: tampering, or the wrong root key."""


class StaleKeyring(Exception):
    """A row names a KEK this process has not loaded yet; reload and retry (with_keyring)."""


def with_keyring(keys: KeyStore, operation: Callable[[Keyring], T]) -> T:
    """Run `operation(keyring)`; once more with a reloaded keyring if the transaction found
    it stale (a row under an unknown KEK, or a write refused for a retired KEK)."""
    ring = keys.keyring()
    for attempt in (1, 2):
        try:
            return operation(ring)
        except (KekRetired, StaleKeyring):
            if attempt == 2:
                raise
            ring = keys.reload()
    raise AssertionError("unreachable")


def decrypt(ring: Keyring, binding: Binding, sealed: Sealed) -> str:
    """The plaintext of one stored version; tampering is an IntegrityFailure (500)."""
    if sealed.kek_id not in ring:
        raise StaleKeyring()
    try:
        plain = open_value(ring, sealed, binding)
    except DecryptionError:
        log.error("secret failed its integrity check", extra={"secret_id": str(binding.secret_id)})
        metrics.count("integrity_failures")
        raise IntegrityFailure() from None
    return plain.decode("utf-8")
