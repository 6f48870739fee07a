"""The key hierarchy: root key -> KEKs -> one DEK per secret version -> the value.

Every layer is an AEAD (`encrypt(plaintext, associated_data)` / `decrypt(...)`), so the
pieces stack the way Tink's do. Every failure to decrypt is one opaque `DecryptionError`.
"""

from shared.crypto.aead import AesGcm, DecryptionError
from shared.crypto.envelope import Binding, Sealed, open_value, rewrap_dek, seal_value
from shared.crypto.keyring import Keyring

__all__ = [
    "AesGcm",
    "Binding",
    "DecryptionError",
    "Keyring",
    "Sealed",
    "open_value",
    "rewrap_dek",
    "seal_value",
]
