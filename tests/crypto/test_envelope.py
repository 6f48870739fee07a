"""The envelope: round trips, and every way a ciphertext can be wrong fails the same way."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from shared.crypto import (
    AesGcm,
    Binding,
    DecryptionError,
    Keyring,
    open_value,
    rewrap_dek,
    seal_value,
)
from shared.crypto.aead import new_key
from shared.crypto.root_keys import LocalRootKey

VALUE = b"fake-api-key-0123456789"


@pytest.fixture
def ring() -> Keyring:
    return Keyring({1: AesGcm(new_key()), 2: AesGcm(new_key())}, active_id=2)


@pytest.fixture
def binding() -> Binding:
    return Binding(uuid.uuid4(), uuid.uuid4(), 1)


def test_round_trip(ring, binding):
    sealed = seal_value(ring, VALUE, binding)
    assert sealed.kek_id == 2
    assert VALUE not in sealed.ciphertext and VALUE not in sealed.wrapped_dek
    assert open_value(ring, sealed, binding) == VALUE


def test_two_encryptions_of_one_value_differ(ring, binding):
    a, b = seal_value(ring, VALUE, binding), seal_value(ring, VALUE, binding)
    assert a.ciphertext != b.ciphertext
    assert a.wrapped_dek != b.wrapped_dek


@pytest.mark.parametrize("field", ["ciphertext", "wrapped_dek"])
def test_every_flipped_bit_is_detected(ring, binding, field):
    sealed = seal_value(ring, VALUE, binding)
    data = getattr(sealed, field)
    for bit in range(0, len(data) * 8, 7):  # a spread of bit positions, header to tag
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(DecryptionError):
            open_value(ring, replace(sealed, **{field: bytes(flipped)}), binding)


@pytest.mark.parametrize("cut", [1, 16, 40])
def test_truncated_ciphertext_is_detected(ring, binding, cut):
    sealed = seal_value(ring, VALUE, binding)
    with pytest.raises(DecryptionError):
        open_value(ring, replace(sealed, ciphertext=sealed.ciphertext[:-cut]), binding)
    with pytest.raises(DecryptionError):
        open_value(ring, replace(sealed, wrapped_dek=sealed.wrapped_dek[:cut]), binding)


@pytest.mark.parametrize("moved", ["project", "secret", "version"])
def test_ciphertext_moved_elsewhere_does_not_decrypt(ring, binding, moved):
    sealed = seal_value(ring, VALUE, binding)
    elsewhere = {
        "project": replace(binding, project_id=uuid.uuid4()),
        "secret": replace(binding, secret_id=uuid.uuid4()),
        "version": replace(binding, version=binding.version + 1),
    }[moved]
    with pytest.raises(DecryptionError):
        open_value(ring, sealed, elsewhere)


def test_value_moved_under_another_versions_dek_fails(ring, binding):
    v1 = seal_value(ring, VALUE, binding)
    v2 = seal_value(ring, b"fake-other-value", replace(binding, version=2))
    # Splice v1's value with v2's DEK (or the other way): neither opens.
    with pytest.raises(DecryptionError):
        open_value(ring, replace(v2, ciphertext=v1.ciphertext), replace(binding, version=2))


def test_unknown_or_wrong_key_id_fails(ring, binding):
    sealed = seal_value(ring, VALUE, binding)
    with pytest.raises(DecryptionError):
        open_value(ring, replace(sealed, kek_id=99), binding)
    with pytest.raises(DecryptionError):  # a real key, but not the one that wrapped it
        open_value(ring, replace(sealed, kek_id=1), binding)


def test_rewrap_moves_dek_without_touching_the_value(ring, binding):
    old = Keyring({1: ring.get(1)}, active_id=1)
    sealed = seal_value(old, VALUE, binding)
    wrapped = rewrap_dek(ring, 1, sealed.wrapped_dek, binding)
    moved = replace(sealed, kek_id=2, wrapped_dek=wrapped)
    assert open_value(ring, moved, binding) == VALUE
    assert moved.ciphertext == sealed.ciphertext


def test_root_key_binds_kek_to_its_id():
    root = LocalRootKey(new_key())
    kek = new_key()
    wrapped = root.wrap_kek(kek, 7)
    assert root.unwrap_kek(wrapped, 7) == kek
    with pytest.raises(DecryptionError):
        root.unwrap_kek(wrapped, 8)
    with pytest.raises(DecryptionError):
        LocalRootKey(new_key()).unwrap_kek(wrapped, 7)


def test_reprs_reveal_no_key_material(ring, binding):
    key = new_key()
    assert key.hex() not in repr(AesGcm(key))
    assert "hidden" in repr(AesGcm(key))
    root = LocalRootKey(key)
    assert key.hex() not in repr(root) and key.hex() not in root.key_id
    sealed = seal_value(ring, VALUE, binding)
    assert repr(sealed) == f"Sealed(kek_id={sealed.kek_id})"  # neither ciphertext, in any form
    assert str(DecryptionError()) == "ciphertext failed integrity check"
