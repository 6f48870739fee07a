"""`rekey-root`: KEKs move to a new root key; after a restart only the new key is needed,
and the old one opens nothing."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from shared.auth.principal import Principal
from shared.container import build_container
from shared.crypto.aead import DecryptionError
from shared.crypto.root_keys import KmsRootKey, LocalRootKey
from shared.keys.keystore import RootKeyMismatch, load_keyring
from shared.keys.rekey import RekeyError, rekey_root
from shared.store.models import RequestInfo
from tests.keys.conftest import (
    KMS_REGION,
    REPO,
    audit_actions,
    cli,
    decrypt_all,
    local_root,
    make_world,
    snapshot,
)


def _wrapped_keks(dsn: str) -> list[tuple[int, bytes, str]]:
    with psycopg.connect(dsn) as conn:
        return [(i, bytes(w), r) for i, w, r in conn.execute(
            "select id, wrapped_key, root_key_id from public.secret_keks"
            " where destroyed_at is null order by id")]


def _reveal_all(container, world, ids) -> dict:
    owner, req = Principal("user", user_id=world.owner), RequestInfo()
    return {sid: container.service.reveal(owner, req, world.project_id, sid).encode() for sid in ids}


def test_rekey_then_restart_with_only_the_new_key(world, jwt_secret):
    # GIVEN secrets under two live KEKs (one retired, one active)
    values = world.seed(60)
    world.new_kek()
    values |= world.seed(40, "B")
    new_root, new_b64 = local_root()

    report = rekey_root(world.db, world.root, new_root)
    assert report.rewrapped == [1, 2] and report.already == []
    assert {r for _, _, r in _wrapped_keks(world.dsn)} == {new_root.key_id}

    # WHEN the service restarts with only the new root key
    restarted = make_world(world.dsn, new_root, new_b64)
    container = build_container(restarted.settings(jwt_secret))
    try:
        assert _reveal_all(container, world, values) == values
    finally:
        container.close()
        restarted.db.close()
    # THEN the old root key opens nothing: not by its id, not by forcing its bytes on the rows
    with pytest.raises(RootKeyMismatch), psycopg.connect(world.dsn) as conn:
        load_keyring(conn, world.root)
    for kek_id, wrapped, _ in _wrapped_keks(world.dsn):
        with pytest.raises(DecryptionError):
            world.root.unwrap_kek(wrapped, kek_id)
    assert decrypt_all(world.dsn, new_root) == values

    # Rerunning is a no-op; rekeying to the current key is refused.
    again = rekey_root(world.db, world.root, new_root)
    assert again.rewrapped == [] and again.already == [1, 2]
    with pytest.raises(RekeyError):
        rekey_root(world.db, new_root, new_root)
    rekeys = [(o, m.get("rewrapped"), m.get("error")) for a, o, m in audit_actions(world.dsn)
              if a == "root_rekey"]
    assert rekeys == [("success", [1, 2], None), ("success", [], None), ("failure", None, "RekeyError")]


def test_rekey_with_the_wrong_current_key_changes_nothing(world):
    world.seed(20)
    before = snapshot(world.dsn)
    wrong, _ = local_root()
    new, _ = local_root()
    with pytest.raises(RootKeyMismatch):
        rekey_root(world.db, wrong, new)
    impostor = LocalRootKey(bytes(32))
    impostor.key_id = world.root.key_id
    with pytest.raises(DecryptionError):
        rekey_root(world.db, impostor, new)
    assert snapshot(world.dsn) == before


def test_rekey_from_a_local_key_to_kms(fresh_dsn, jwt_secret, kms):
    root, b64 = local_root()
    world = make_world(fresh_dsn, root, b64)
    try:
        values = world.seed(30)
        kms_root = KmsRootKey(kms.key_arn, kms.client)
        rekey_root(world.db, world.root, kms_root)
        (kek_id, wrapped, root_key_id), = _wrapped_keks(world.dsn)
        assert root_key_id == kms.key_arn
        # KMS enforces the EncryptionContext naming the KEK.
        with pytest.raises(kms.client.exceptions.InvalidCiphertextException):
            kms.client.decrypt(CiphertextBlob=wrapped, KeyId=kms.key_arn)
        settings = world.settings(jwt_secret, meshhook_kms_key_id=kms.key_arn, aws_region=KMS_REGION)
        container = build_container(settings)
        try:
            assert isinstance(container.keys.root_key, KmsRootKey)
            assert _reveal_all(container, world, values) == values
        finally:
            container.close()
    finally:
        world.db.close()


def test_rekey_root_command(world, jwt_secret):
    values = world.seed(25)
    new_root, new_b64 = local_root()
    env = world.cli_env(jwt_secret) | {"MESHHOOK_NEW_ROOT_KEY": new_b64}
    done = subprocess.run(cli("rekey-root"), cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "MESHHOOK_ROOT_KEY" in done.stderr and new_b64 not in done.stdout + done.stderr

    # With the old key configured, rotation now refuses (one clear line, exit 1) ...
    refused = subprocess.run(cli("rotate-keks", "--force"), cwd=REPO, env=world.cli_env(jwt_secret),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "RootKeyMismatch" in refused.stderr
    assert "Traceback" not in refused.stderr
    # ... and with the new key it works.
    swapped = world.cli_env(jwt_secret, root_b64=new_b64)
    ok = subprocess.run(cli("rotate-keks", "--force"), cwd=REPO, env=swapped, capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert decrypt_all(world.dsn, new_root) == values

    bad = subprocess.run(cli("rekey-root"), cwd=REPO, env=swapped | {"MESHHOOK_NEW_ROOT_KEY": "short"},
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "MESHHOOK_NEW_ROOT_KEY" in bad.stderr and "short" not in bad.stderr
