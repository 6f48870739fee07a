"""The migrations applied to a database that already holds MeshHook's schema (its projects,
secrets and audit_log tables, their policies, user_project_ids()): MeshHook's objects come
out exactly as they went in, and this service works on top of them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from shared.auth.principal import Principal
from shared.config import Settings
from shared.container import build_container
from shared.secrets.resolve import resolve_secrets
from shared.store.models import RequestInfo
from tests.support.meshhook import (
    add_meshhook_project,
    create_meshhook_database,
    meshhook_snapshot,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def meshhook_only(database) -> str:
    return create_meshhook_database(database.admin_dsn, f"meshhook_only_{os.getpid()}_{uuid.uuid4().hex[:8]}")


def migrate(dsn: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shared.cli.main", "migrate", "--supabase-compat"], cwd=ROOT,
                          env={**os.environ, "DATABASE_URL": dsn}, capture_output=True, text=True, timeout=120)


def test_migrations_leave_meshhooks_tables_policies_and_helper_as_they_were(meshhook_only):
    before = meshhook_snapshot(meshhook_only)
    assert len(before["policies"]) == 10 and before["function"][0]  # the fixture really holds them
    out = migrate(meshhook_only)
    assert out.returncode == 0, out.stderr
    assert "applied 20261202190000_baseline.sql" in out.stdout
    assert meshhook_snapshot(meshhook_only) == before
    with psycopg.connect(meshhook_only) as conn:  # and ours were added beside them
        ours = {r[0] for r in conn.execute("select tablename from pg_policies where schemaname = 'public'")}
    assert {"project_secrets", "project_secret_versions", "secret_audit_events", "project_members"} <= ours
    assert migrate(meshhook_only).stdout.strip() == "up to date"


@pytest.mark.parametrize("owner_is_a_user", [True, False], ids=["owner-in-auth-users", "owner-without-user-row"])
def test_the_service_works_on_meshhooks_projects(meshhook_only, jwt_secret, root_key_b64, owner_is_a_user):
    """MeshHook's projects.owner has no foreign key to auth.users: an owner id without a
    user row is still the project's admin (roles come from the verified token's sub)."""
    assert migrate(meshhook_only).returncode == 0
    project_id, owner = add_meshhook_project(meshhook_only, with_user=owner_is_a_user)
    container = build_container(Settings(database_url=meshhook_only, supabase_jwt_secret=jwt_secret,
                                         meshhook_root_key=root_key_b64))
    try:
        user, service = Principal("user", user_id=owner), container.service
        assert service.project_role(user, project_id) == ("meshhook project", "admin")  # MeshHook's owner
        meta = service.create(user, RequestInfo(), project_id, name="STRIPE_API_KEY", value="sk_test_fake_coexist")
        assert [m.name for m in service.list(user, project_id)] == ["STRIPE_API_KEY"]
        runner = Principal("runner", project_id=project_id, run_id="run-coexist")
        assert resolve_secrets(service, runner, RequestInfo(), project_id, ["STRIPE_API_KEY"]) == {
            "STRIPE_API_KEY": "sk_test_fake_coexist"}
        assert service.reveal(user, RequestInfo(), project_id, meta.id) == "sk_test_fake_coexist"
    finally:
        container.close()


def test_meshhooks_own_rls_still_isolates_its_legacy_rows(meshhook_only):
    """MeshHook's policies keep working for its Data API callers after our migrations."""
    assert migrate(meshhook_only).returncode == 0
    mine, me = add_meshhook_project(meshhook_only)
    theirs, _ = add_meshhook_project(meshhook_only)
    with psycopg.connect(meshhook_only, autocommit=True) as conn:
        conn.execute("insert into public.secrets (project_id, key, value_encrypted) values"
                     " (%s, 'MINE', 'fake-mine'), (%s, 'THEIRS', 'fake-theirs')", (mine, theirs))
        conn.execute("grant select on public.secrets to authenticated")  # Supabase's default grant
        with conn.transaction():
            conn.execute("set local role authenticated")
            conn.execute("select set_config('request.jwt.claims', %s, true)",
                         (f'{{"role": "authenticated", "sub": "{me}"}}',))
            seen = [r[0] for r in conn.execute("select key from public.secrets")]
    assert seen == ["MINE"]
