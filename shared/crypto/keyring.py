"""The set of unwrapped KEKs a process holds, immutable like Vault's keyring.

Decryption looks a KEK up by the id stored beside each wrapped DEK; it never tries keys
one after another. Adding a key returns a new keyring, so a reader holding the old one
is never surprised mid-operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.crypto.aead import AesGcm, DecryptionError


class Keyring:
    __slots__ = ("_keys", "active_id")

    def __init__(self, keys: Mapping[int, AesGcm], active_id: int) -> None:
        if active_id not in keys:
            raise ValueError("the active KEK must be in the keyring")
        self._keys = MappingProxyType(dict(keys))
        self.active_id = active_id

    def __repr__(self) -> str:
        return f"Keyring(ids={sorted(self._keys)}, active={self.active_id})"

    def __contains__(self, kek_id: int) -> bool:
        return kek_id in self._keys

    @property
    def ids(self) -> list[int]:
        return sorted(self._keys)

    @property
    def active(self) -> AesGcm:
        return self._keys[self.active_id]

    def get(self, kek_id: int) -> AesGcm:
        """The KEK with this id; an unknown id is indistinguishable from tampering."""
        try:
            return self._keys[kek_id]
        except KeyError:
            raise DecryptionError() from None

    def with_key(self, kek_id: int, kek: AesGcm, *, active: bool = False) -> Keyring:
        keys = dict(self._keys)
        keys[kek_id] = kek
        return Keyring(keys, kek_id if active else self.active_id)
