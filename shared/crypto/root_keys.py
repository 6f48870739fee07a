"""Root keys: the top of the hierarchy, which wraps and unwraps KEKs.

Two providers share one small interface: a local 32-byte key from the environment (dev,
tests, self-hosting) and an AWS KMS key (production). Each KEK is wrapped with its id as
context, so a wrapped KEK copied to another row does not unwrap.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any, Protocol

from shared.crypto.aead import AesGcm, DecryptionError

_KEK_LABEL = b"meshhook-secrets/v1/kek\x00"


class RootKey(Protocol):
    key_id: str

    def wrap_kek(self, kek: bytes, kek_id: int) -> bytes: ...

    def unwrap_kek(self, wrapped: bytes, kek_id: int) -> bytes: ...


class LocalRootKey:
    """A root key held in process memory (``MESHHOOK_ROOT_KEY``)."""

    __slots__ = ("_aead", "key_id")

    def __init__(self, key: bytes) -> None:
        self._aead = AesGcm(key)
        # A fingerprint, not the key: lets operators see which root key wrapped a KEK.
        digest = hmac.new(key, b"meshhook-secrets root key id", hashlib.sha256).hexdigest()
        self.key_id = "local:" + digest[:16]

    def __repr__(self) -> str:
        return f"LocalRootKey({self.key_id})"

    def wrap_kek(self, kek: bytes, kek_id: int) -> bytes:
        return self._aead.encrypt(kek, _KEK_LABEL + struct.pack(">Q", kek_id))

    def unwrap_kek(self, wrapped: bytes, kek_id: int) -> bytes:
        return self._aead.decrypt(wrapped, _KEK_LABEL + struct.pack(">Q", kek_id))


class KmsRootKey:
    """An AWS KMS key. The EncryptionContext names the KEK, and KMS enforces it."""

    __slots__ = ("_client", "key_id")

    def __init__(self, key_id: str, client: Any) -> None:
        self.key_id = key_id
        self._client = client

    def __repr__(self) -> str:
        return f"KmsRootKey({self.key_id})"

    @classmethod
    def connect(cls, key_id: str, region: str) -> KmsRootKey:
        """The key, with a KMS client of its own. boto3 is imported here, so only
        deployments with a KMS root key pay for importing it."""
        import boto3

        return cls(key_id, boto3.client("kms", region_name=region))

    @staticmethod
    def _context(kek_id: int) -> dict[str, str]:
        return {"purpose": "meshhook-secrets-kek", "kek_id": str(kek_id)}

    def wrap_kek(self, kek: bytes, kek_id: int) -> bytes:
        response = self._client.encrypt(
            KeyId=self.key_id, Plaintext=kek, EncryptionContext=self._context(kek_id)
        )
        return response["CiphertextBlob"]

    def unwrap_kek(self, wrapped: bytes, kek_id: int) -> bytes:
        try:
            response = self._client.decrypt(
                KeyId=self.key_id,
                CiphertextBlob=wrapped,
                EncryptionContext=self._context(kek_id),
            )
        except self._client.exceptions.InvalidCiphertextException:
            raise DecryptionError() from None
        except self._client.exceptions.IncorrectKeyException:
            raise DecryptionError() from None
        return response["Plaintext"]
