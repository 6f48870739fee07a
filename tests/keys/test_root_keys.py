"""Both root-key providers (a local key, AWS KMS via moto) behind the real API, KMS call
counts, and every wrong key failing loudly without changing a byte."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from shared.api.app import create_app
from shared.auth.tokens import mint_user_token
from shared.container import build_container, root_key_from
from shared.crypto.aead import DecryptionError
from shared.crypto.root_keys import KmsRootKey, RootKeyUnavailable
from shared.keys.keystore import RootKeyMismatch
from shared.keys.rotate import Policy, rotate_keks
from shared.store.database import Database
from tests.keys.conftest import (
    KMS_REGION,
    audit_actions,
    decrypt_all,
    kek_states,
    make_world,
    snapshot,
)

NOW = Policy(force=True, settle=timedelta(0))
WRAP_CONTEXT = {"purpose": "meshhook-secrets-kek"}


@pytest.fixture(params=["local", "kms"])
def provider(request, fresh_dsn, jwt_secret):
    """(world, settings) for a fresh database whose root key is a local key or a KMS key."""
    if request.param == "local":
        from tests.keys.conftest import local_root

        root, b64 = local_root()
        world = make_world(fresh_dsn, root, b64)
        settings = world.settings(jwt_secret)
    else:
        kms = request.getfixturevalue("kms")
        world = make_world(fresh_dsn, KmsRootKey(kms.key_arn, kms.client))
        settings = world.settings(jwt_secret, meshhook_kms_key_id=kms.key_arn, aws_region=KMS_REGION)
    yield world, settings
    world.db.close()


def test_api_create_reveal_update_across_a_rotation(provider, jwt_secret):
    world, settings = provider
    container = build_container(settings)
    assert type(container.keys.root_key) is type(world.root)
    headers = {"Authorization": f"Bearer {mint_user_token(jwt_secret, world.owner)}"}
    base = f"/api/projects/{world.project_id}/secrets"
    try:
        with TestClient(create_app(container=lambda: container)) as http:
            created = http.post(base, json={"name": "STRIPE_KEY", "value": "sk_test_one"}, headers=headers)
            assert created.status_code == 201, created.text
            sid = created.json()["secret"]["id"]
            reveal = lambda: http.post(f"{base}/{sid}/reveal", headers=headers)  # noqa: E731
            assert reveal().json() == {"value": "sk_test_one"}
            updated = http.put(f"{base}/{sid}", json={"value": "sk_test_two"}, headers=headers)
            assert updated.status_code == 200 and updated.json()["secret"]["version"] == 2

            # A rotation by another process (its own root-key client and pool) ...
            job_db = Database(world.dsn, max_size=3)
            try:
                report = rotate_keks(job_db, root_key_from(settings), policy=NOW)
            finally:
                job_db.close()
            assert report.rewrapped == 2 and report.destroyed == [1]  # both kept versions' DEKs

            # ... and the API, holding the retired KEK in its cache, carries on without a failure.
            assert reveal().json() == {"value": "sk_test_two"}
            again = http.put(f"{base}/{sid}", json={"value": "sk_test_three"}, headers=headers)
            assert again.status_code == 200 and again.json()["secret"]["version"] == 3
            assert reveal().json() == {"value": "sk_test_three"}
            second = http.post(base, json={"name": "OTHER", "value": "x"}, headers=headers)
            assert second.status_code == 201
    finally:
        container.close()
    assert kek_states(world.dsn) == {1: "destroyed", 2: "active"}


def test_kms_decrypts_each_kek_once_per_process_with_its_context(fresh_dsn, jwt_secret, kms):
    world = make_world(fresh_dsn, KmsRootKey(kms.key_arn, kms.client))
    contexts = []
    kms.client.meta.events.register(
        "provide-client-params.kms.Decrypt",
        lambda params, **_: contexts.append(dict(params["EncryptionContext"])))
    settings = world.settings(jwt_secret, meshhook_kms_key_id=kms.key_arn, aws_region=KMS_REGION)
    container = build_container(settings, root_key=world.root)
    from shared.auth.principal import Principal
    from shared.store.models import RequestInfo

    owner, req = Principal("user", user_id=world.owner), RequestInfo()
    svc = container.service
    try:
        ids = [svc.create(owner, req, world.project_id, name=f"K{i}", value=f"v{i}").id for i in range(5)]
        for _ in range(3):
            for i, sid in enumerate(ids):
                assert svc.reveal(owner, req, world.project_id, sid) == f"v{i}"
        svc.update(owner, req, world.project_id, ids[0], value="changed")
        # One Encrypt (the first KEK) and one Decrypt (loading it): not one per request.
        assert kms.calls == {"Encrypt": 1, "Decrypt": 1}
        assert contexts == [{**WRAP_CONTEXT, "kek_id": "1"}]

        job_root = KmsRootKey(kms.key_arn, kms.client)  # the rotation job: another process
        rotate_keks(world.db, job_root, policy=NOW)
        calls_after_job = dict(kms.calls)
        for _ in range(3):
            for sid in ids:
                svc.reveal(owner, req, world.project_id, sid)
        # The API unwraps the new KEK once, and only it (KEK 1 stays cached until restart).
        assert kms.calls["Decrypt"] == calls_after_job["Decrypt"] + 1
        assert contexts[-1] == {**WRAP_CONTEXT, "kek_id": "2"}
    finally:
        container.close()


class _WrongContext(KmsRootKey):
    @staticmethod
    def _context(kek_id: int) -> dict[str, str]:
        return {"purpose": "some-other-app", "kek_id": str(kek_id)}


def test_wrong_kms_key_or_context_fails_loudly_and_changes_nothing(fresh_dsn, kms):
    world = make_world(fresh_dsn, KmsRootKey(kms.key_arn, kms.client))
    values = world.seed(200)
    world.new_kek(backdate_days=100)
    world.seed(100, "B")
    before = snapshot(world.dsn)
    other_key = kms.new_key()

    # Another KMS key: refused before any KMS call, by the recorded root key id.
    with pytest.raises(RootKeyMismatch):
        rotate_keks(world.db, KmsRootKey(other_key, kms.client), policy=NOW)
    # The right key with a wrong EncryptionContext: KMS refuses to decrypt.
    with pytest.raises(DecryptionError):
        rotate_keks(world.db, _WrongContext(kms.key_arn, kms.client), policy=NOW)
    # Wrapped KEKs swapped between rows: the context names the KEK, so neither unwraps.
    with world.db.as_system() as conn:
        conn.execute("update public.secret_keks k set wrapped_key = o.wrapped_key from public.secret_keks o"
                     " where k.id <> o.id")
    swapped = snapshot(world.dsn)
    with pytest.raises(DecryptionError):
        rotate_keks(world.db, world.root, policy=NOW)
    assert snapshot(world.dsn) == swapped
    with world.db.as_system() as conn:  # swap back: the original rows, byte for byte
        conn.execute("update public.secret_keks k set wrapped_key = o.wrapped_key from public.secret_keks o"
                     " where k.id <> o.id")
    assert snapshot(world.dsn) == before
    # A relabelled row (root_key_id says the other key): KMS will not decrypt with it.
    with world.db.as_system() as conn:
        conn.execute("update public.secret_keks set root_key_id = %s", (other_key,))
    relabelled = snapshot(world.dsn)
    # KMS refuses to use a key for another key's ciphertext: a decryption error, or a refusal.
    with pytest.raises((DecryptionError, RootKeyUnavailable)):
        rotate_keks(world.db, KmsRootKey(other_key, kms.client), policy=NOW)
    assert snapshot(world.dsn) == relabelled
    failures = [m["error"] for a, o, m in audit_actions(world.dsn) if o == "failure"]
    assert failures[:3] == ["RootKeyMismatch", "DecryptionError", "DecryptionError"] and len(failures) == 4

    with world.db.as_system() as conn:
        conn.execute("update public.secret_keks set root_key_id = %s", (kms.key_arn,))
    assert rotate_keks(world.db, world.root, policy=NOW).complete
    assert set(decrypt_all(world.dsn, world.root).items()) >= set(values.items())
