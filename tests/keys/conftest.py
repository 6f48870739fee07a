"""Fixtures for the key-management tests: a fresh database per test (rotation counts every
row), fast seeding straight into the tables, moto for KMS, and ways to look underneath."""

from __future__ import annotations

import base64
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from shared.cli.dev.seed import create_project, seed_secrets
from shared.config import Settings
from shared.crypto.aead import new_key
from shared.crypto.envelope import Binding, Sealed, open_value
from shared.crypto.root_keys import LocalRootKey, RootKey
from shared.keys.keystore import KeyStore, create_active_kek, load_keyring
from shared.store.database import Database

REPO = Path(__file__).resolve().parents[2]
KMS_REGION = "eu-west-1"


@dataclass
class World:
    """A fresh database with a project, and the local root key its KEKs are wrapped by."""

    dsn: str
    db: Database  # the service's own role (as_system), for seeding and jobs
    root: RootKey
    root_b64: str | None
    project_id: uuid.UUID
    owner: uuid.UUID

    def seed(self, n: int, prefix: str = "S", versions: int = 1) -> dict[uuid.UUID, bytes]:
        """n secrets under the active KEK (created if there is none), straight into the tables,
        each with `versions` versions; their current values."""
        ring = KeyStore(self.db, self.root).reload()
        values = [os.urandom(8).hex().encode() + b"-%d" % i for i in range(n)]
        with self.db.as_system() as conn:
            ids = seed_secrets(conn, ring, self.project_id, values, prefix=prefix, versions=versions)
        return dict(zip(ids, values, strict=True))

    def new_kek(self, *, backdate_days: int = 0) -> int:
        """What an earlier rotation would have done: a new active KEK, optionally aged."""
        with self.db.as_system() as conn:
            kek_id = create_active_kek(conn, self.root)
            if backdate_days:
                self.backdate(conn, backdate_days)
        return kek_id

    @staticmethod
    def backdate(conn: psycopg.Connection, days: int) -> None:
        conn.execute("update public.secret_keks set created_at = created_at - make_interval(days => %s)",
                     (days,))

    def settings(self, jwt_secret: str, **extra: str) -> Settings:
        # These tests reveal thousands of values as one user: lift the per-minute reveal limit.
        fields = {"database_url": self.dsn, "supabase_jwt_secret": jwt_secret,
                  "MESHHOOK_REVEALS_PER_MINUTE": 1_000_000, **extra}
        if self.root_b64 and "meshhook_kms_key_id" not in extra:
            fields["meshhook_root_key"] = self.root_b64
        return Settings(**fields)

    def cli_env(self, jwt_secret: str, root_b64: str | None = None) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "DATABASE_URL": self.dsn,
                "SUPABASE_JWT_SECRET": jwt_secret, "MESHHOOK_ROOT_KEY": root_b64 or self.root_b64 or ""}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "shared.cli.main", *args]


def local_root() -> tuple[LocalRootKey, str]:
    raw = new_key()
    return LocalRootKey(raw), base64.b64encode(raw).decode()


def make_world(dsn: str, root: RootKey, root_b64: str | None = None) -> World:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        project_id = create_project(conn, "keys test")
        owner = conn.execute("select owner from public.projects where id = %s", (project_id,)).fetchone()[0]
    return World(dsn, Database(dsn, max_size=4), root, root_b64, project_id, owner)


@pytest.fixture
def world(fresh_dsn: str) -> Iterator[World]:
    root, b64 = local_root()
    w = make_world(fresh_dsn, root, b64)
    yield w
    w.db.close()


# -- looking underneath -------------------------------------------------------------------


VERSION_COLUMNS = ("secret_id, version, project_id, kek_id, wrapped_dek, ciphertext, created_at,"
                   " created_by_type, created_by_id")


def version_rows(dsn: str) -> dict[tuple[uuid.UUID, int], tuple]:
    """(secret id, version) -> the version's row (columns: VERSION_COLUMNS)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"select {VERSION_COLUMNS} from public.project_secret_versions").fetchall()
    return {r[:2]: r for r in rows}


def secret_rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select * from public.project_secrets order by id").fetchall()


def snapshot(dsn: str) -> list[tuple]:
    """Every byte of the KEK, secret and version tables, in a stable order: the KEKs, then
    each version row (columns: VERSION_COLUMNS), then the secrets' rows."""
    with psycopg.connect(dsn) as conn:
        keks = conn.execute("select * from public.secret_keks order by id").fetchall()
    return keks + sorted(version_rows(dsn).values()) + secret_rows(dsn)


def kek_states(dsn: str) -> dict[int, str]:
    """id -> active | retired | destroyed (and destroyed means the wrapped key is gone)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select id, state, wrapped_key is null, destroyed_at is not null"
                            " from public.secret_keks order by id").fetchall()
    for kek_id, _, no_key, destroyed in rows:
        assert no_key == destroyed, f"KEK {kek_id}: wrapped_key and destroyed_at disagree"
    return {r[0]: "destroyed" if r[3] else r[1] for r in rows}


def deks_per_kek(dsn: str) -> dict[int, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("select kek_id, count(*) from public.project_secret_versions group by kek_id"))


def decrypt_versions(dsn: str, root: RootKey) -> dict[tuple[uuid.UUID, int], bytes]:
    """Every stored version's value by (secret id, version), opened with a keyring loaded
    from scratch (nothing cached)."""
    with psycopg.connect(dsn) as conn:
        ring = load_keyring(conn, root)
        rows = conn.execute("select secret_id, project_id, version, kek_id, wrapped_dek, ciphertext"
                            " from public.project_secret_versions").fetchall()
    assert ring is not None
    return {(sid, ver): open_value(ring, Sealed(kek, bytes(dek), bytes(ct)), Binding(pid, sid, ver))
            for sid, pid, ver, kek, dek, ct in rows}


def decrypt_all(dsn: str, root: RootKey) -> dict[uuid.UUID, bytes]:
    """Every secret's current value (the secrets seeded with one version have only that)."""
    with psycopg.connect(dsn) as conn:
        current = dict(conn.execute("select id, version from public.project_secrets").fetchall())
    return {sid: value for (sid, ver), value in decrypt_versions(dsn, root).items() if current[sid] == ver}


def audit_actions(dsn: str) -> list[tuple[str, str, dict]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select action, outcome, metadata from public.secret_audit_events"
                            " where actor_type = 'system' order by id").fetchall()


# -- AWS KMS (moto) ------------------------------------------------------------------------


@dataclass
class Kms:
    client: object
    key_arn: str
    calls: dict[str, int]

    def new_key(self) -> str:
        return self.client.create_key(Description="meshhook test")["KeyMetadata"]["Arn"]


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Kms]:
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", KMS_REGION)
    with mock_aws():
        import boto3

        client = boto3.client("kms", region_name=KMS_REGION)
        calls: dict[str, int] = {}

        def count(event_name: str, **_: object) -> None:
            op = event_name.rsplit(".", 1)[-1]
            calls[op] = calls.get(op, 0) + 1

        client.meta.events.register("before-call.kms.*", count)
        k = Kms(client, "", calls)
        k.key_arn = k.new_key()
        calls.clear()
        yield k
