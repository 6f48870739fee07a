"""Envelope encryption of one secret version, bound to where it lives.

Each version gets its own random DEK. The value is sealed under the DEK, the DEK under
the active KEK. Both ciphertexts carry associated data naming the project, the secret
and the version (and, for the DEK, the KEK id), so a ciphertext copied to another row,
project, version or key id fails authentication instead of decrypting to a wrong value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from uuid import UUID

from shared.crypto.aead import AesGcm, new_key
from shared.crypto.keyring import Keyring

_VALUE_LABEL = b"meshhook-secrets/v1/value\x00"
_DEK_LABEL = b"meshhook-secrets/v1/dek\x00"


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a ciphertext belongs. Fixed-width encoding, so no two bindings collide."""

    project_id: UUID
    secret_id: UUID
    version: int

    def _place(self) -> bytes:
        return self.project_id.bytes + self.secret_id.bytes + struct.pack(">Q", self.version)

    def dek_ad(self, kek_id: int) -> bytes:
        return _DEK_LABEL + self._place() + struct.pack(">Q", kek_id)

    def both_ads(self, kek_id: int) -> tuple[bytes, bytes]:
        """The associated data of the DEK (as dek_ad) and of the value, the place encoded
        once: a resolve opens 50 versions at a time."""
        place = self._place()
        return _DEK_LABEL + place + struct.pack(">Q", kek_id), _VALUE_LABEL + place


@dataclass(frozen=True, slots=True)
class Sealed:
    """What is stored for one secret version. Contains no plaintext; its repr shows only
    the key id (the ciphertexts are opaque, and long)."""

    kek_id: int
    wrapped_dek: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)


def seal_value(keyring: Keyring, value: bytes, binding: Binding) -> Sealed:
    dek, kek_id = new_key(), keyring.active_id
    dek_ad, value_ad = binding.both_ads(kek_id)
    return Sealed(kek_id, keyring.active.encrypt(dek, dek_ad), AesGcm(dek).encrypt(value, value_ad))


def open_value(keyring: Keyring, sealed: Sealed, binding: Binding) -> bytes:
    dek_ad, value_ad = binding.both_ads(sealed.kek_id)
    dek = keyring.get(sealed.kek_id).decrypt(sealed.wrapped_dek, dek_ad)
    return AesGcm(dek).decrypt(sealed.ciphertext, value_ad)


def rewrap_dek(keyring: Keyring, kek_id: int, wrapped_dek: bytes, binding: Binding) -> bytes:
    """Move a DEK from KEK `kek_id` to the active KEK; the value is never decrypted."""
    dek = keyring.get(kek_id).decrypt(wrapped_dek, binding.dek_ad(kek_id))
    return keyring.active.encrypt(dek, binding.dek_ad(keyring.active_id))
