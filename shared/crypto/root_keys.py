"""Root keys: the top of the hierarchy, which wraps and unwraps KEKs.

Two providers share one small interface: a local 32-byte key from the environment (dev,
tests, self-hosting) and an AWS KMS key (production). Each KEK is wrapped with its id as
context, so a wrapped KEK copied to another row does not unwrap.

KMS failures (docs/operations.md, "When a dependency fails"): botocore's standard retry mode
retries throttling, 5xx and connection faults, within bounded timeouts and attempts so that
one call gives up in at most ~4 s (the functions time out at 10 s). What still fails becomes
`RootKeyUnavailable` (a 503 with Retry-After): `transient` for those, permanent for a
refusal an operator must fix (a disabled, deleted or inaccessible key). A ciphertext KMS
will not open is a `DecryptionError`, as with a local key. The log line names the error code
and the configured key id, nothing else (no message text: it may carry ARNs).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import struct
import time
from typing import Any, Protocol

from shared.crypto.aead import AesGcm, DecryptionError
from shared.errors import Unavailable
from shared.observability import metrics

_KEK_LABEL = b"meshhook-secrets/v1/kek\x00"
log = logging.getLogger("meshhook_secrets.kms")

# One KMS call: at most 2 attempts of (1 s to connect + 1.5 s to read), plus standard mode's
# backoff before the retry (random, at most 1 s): about 4 s in the worst case, so a cold start
# answers 503 well within the 10 s function timeout.
KMS_CONNECT_TIMEOUT = 1.0
KMS_READ_TIMEOUT = 1.5
KMS_MAX_ATTEMPTS = 2
# Error codes worth retrying later (botocore has already retried them once).
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "KMSInternalException", "DependencyTimeoutException",
    "KeyUnavailableException", "LimitExceededException", "RequestLimitExceeded",
    "InternalFailure", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException",
})
_NOT_OPENED = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class RootKeyUnavailable(Unavailable):
    """KMS did not wrap or unwrap a KEK. `cause` is the error code (or botocore's exception
    name), `transient` whether retrying later can help."""

    default_message = "the key service is unavailable; retry shortly"
    retry_after = 2

    def __init__(self, cause: str, transient: bool, operation: str, key_id: str) -> None:
        super().__init__()
        self.cause, self.transient, self.operation, self.key_id = cause, transient, operation, key_id

    def again(self) -> RootKeyUnavailable:
        """The same failure, for another caller that waited on this attempt."""
        return RootKeyUnavailable(self.cause, self.transient, self.operation, self.key_id)


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
        """The key, with a KMS client of its own (AWS_ENDPOINT_URL_KMS, which boto3 honours,
        points it elsewhere). boto3 is imported here, so only deployments with a KMS root key
        pay for importing it."""
        import boto3
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "total_max_attempts": KMS_MAX_ATTEMPTS},
                        connect_timeout=KMS_CONNECT_TIMEOUT, read_timeout=KMS_READ_TIMEOUT)
        return cls(key_id, boto3.client("kms", region_name=region, config=config))

    @staticmethod
    def _context(kek_id: int) -> dict[str, str]:
        return {"purpose": "meshhook-secrets-kek", "kek_id": str(kek_id)}

    def wrap_kek(self, kek: bytes, kek_id: int) -> bytes:
        response = self._call("Encrypt", KeyId=self.key_id, Plaintext=kek,
                              EncryptionContext=self._context(kek_id))
        return response["CiphertextBlob"]

    def unwrap_kek(self, wrapped: bytes, kek_id: int) -> bytes:
        response = self._call("Decrypt", KeyId=self.key_id, CiphertextBlob=wrapped,
                              EncryptionContext=self._context(kek_id))
        return response["Plaintext"]

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        started = time.monotonic()
        method = getattr(self._client, operation.lower())
        try:
            return method(**params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code") or "ClientError")
            if code in _NOT_OPENED:
                raise DecryptionError() from None
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            failure = RootKeyUnavailable(code, code in TRANSIENT_CODES or status >= 500, operation, self.key_id)
        except BotoCoreError as exc:
            failure = RootKeyUnavailable(type(exc).__name__, _transient(exc), operation, self.key_id)
        self._log(failure, time.monotonic() - started)
        metrics.count("kms_failures")
        raise failure from None

    def _log(self, failure: RootKeyUnavailable, elapsed: float) -> None:
        if failure.transient:
            log.warning("kms %s failed: %s (transient, retried), key %s, after %.2f s",
                        failure.operation, failure.cause, failure.key_id, elapsed)
        else:
            log.error("kms %s refused: %s (permanent: operator action needed), key %s, after %.2f s",
                      failure.operation, failure.cause, failure.key_id, elapsed)


def _transient(exc: Exception) -> bool:
    """Connection faults and timeouts may pass; missing credentials or region do not."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    return isinstance(exc, (BotoConnectionError, HTTPClientError))
