"""AES-256-GCM with a versioned, self-describing ciphertext format.

Format: ``0x01 | nonce (12 bytes) | ciphertext | tag (16 bytes)``. The leading byte lets a
later format coexist with this one; the random 96-bit nonce is what GCM is specified for,
and with one fresh key per secret version (see envelope.py) nonce reuse is out of reach.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
OVERHEAD = len(FORMAT_V1) + NONCE_BYTES + TAG_BYTES


class DecryptionError(Exception):
    """A ciphertext could not be authenticated: wrong key, wrong place, or tampered with.

    Deliberately carries no detail: which check failed is itself information.
    """

    def __init__(self) -> None:
        super().__init__("ciphertext failed integrity check")


class AesGcm:
    """One AES-256-GCM key. The key bytes never appear in repr or str."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "AesGcm(<key hidden>)"

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        if len(ciphertext) < OVERHEAD or ciphertext[:1] != FORMAT_V1:
            raise DecryptionError()
        nonce = ciphertext[1 : 1 + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, ciphertext[1 + NONCE_BYTES :], associated_data)
        except InvalidTag:
            raise DecryptionError() from None


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return os.urandom(KEY_BYTES)
