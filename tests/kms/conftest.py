"""AWS KMS that fails on demand (tools/loadtest/kms.py: moto's server mode on 127.0.0.1
behind a fault proxy), and a fresh database whose root key is a key there. The service
reaches it the way it reaches AWS: boto3, pointed by AWS_ENDPOINT_URL_KMS."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from shared.auth.tokens import mint_runner_token, mint_user_token
from shared.config import Settings
from shared.crypto.root_keys import KmsRootKey
from tests.keys.conftest import REPO, World, make_world
from tools.loadtest.kms import FAKE_CREDENTIALS, FaultyKms

REGION = FAKE_CREDENTIALS["AWS_REGION"]
# Transient faults: botocore retries once, then a 503; refusals: no retry, an operator's error.
TRANSIENT = {"throttle": "ThrottlingException", "internal": "KMSInternalException",
             "timeout": "ReadTimeoutError", "reset": "ConnectionClosedError"}
PERMANENT = {"disabled": "DisabledException", "pending_deletion": "KMSInvalidStateException",
             "not_found": "NotFoundException", "access_denied": "AccessDeniedException"}


@pytest.fixture(scope="module")
def kms_server() -> Iterator[FaultyKms]:
    server = FaultyKms.start()
    yield server
    server.close()


@pytest.fixture
def kms(kms_server: FaultyKms, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyKms]:
    for name, value in kms_server.env().items():
        monkeypatch.setenv(name, value)
    kms_server.heal()
    kms_server.calls.clear()
    kms_server.faulted.clear()
    yield kms_server
    kms_server.heal()


@dataclass
class KmsWorld:
    world: World
    key_id: str
    settings: Settings
    jwt_secret: str

    @property
    def owner_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_user_token(self.jwt_secret, self.world.owner)}"}

    @property
    def runner_headers(self) -> dict[str, str]:
        token = mint_runner_token(self.jwt_secret, self.world.project_id, "run_kms_test")
        return {"Authorization": f"Bearer {token}"}

    def url(self, *rest: str) -> str:
        return "/".join([f"/api/projects/{self.world.project_id}/secrets", *rest])

    def cli_env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "DATABASE_URL": self.world.dsn,
                "SUPABASE_JWT_SECRET": self.jwt_secret, "MESHHOOK_KMS_KEY_ID": self.key_id,
                **{k: v for k, v in os.environ.items() if k.startswith("AWS_")}}


@pytest.fixture
def kms_world(fresh_dsn: str, jwt_secret: str, kms: FaultyKms) -> Iterator[KmsWorld]:
    key_id = kms.create_key()
    world = make_world(fresh_dsn, KmsRootKey.connect(key_id, REGION))
    settings = world.settings(jwt_secret, meshhook_kms_key_id=key_id, aws_region=REGION)
    yield KmsWorld(world, key_id, settings, jwt_secret)
    world.db.close()


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "shared.cli.main", *args]
