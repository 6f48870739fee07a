"""Finding 4 of issue #12: a claim setting left on a connection (or on the login role)
never becomes the caller. auth.uid() reads `request.jwt.claim.sub` BEFORE
`request.jwt.claims` (Supabase's definition too); the service used to set only the latter."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from shared.auth.principal import Principal
from shared.errors import NotFound
from shared.secrets.service import SecretsService
from shared.store.database import Database
from tests.resilience.conftest import pg_server  # noqa: F401 (fixture)
from tests.resilience.test_pooler import pgbouncer  # noqa: F401 (fixture)

LEFT_OVER = {  # what another client of the connection might have set for itself
    "request.jwt.claim.sub": None,  # filled with the victim's id
    "request.jwt.claim.role": "authenticated",
    "request.jwt.claim": None,
}


def victim_project(dsn: str) -> tuple[uuid.UUID, uuid.UUID]:
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (owner, f"{owner}@test.invalid"))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'victim')", (project_id, owner))
    return owner, project_id


def left_over(victim: uuid.UUID) -> dict[str, str]:
    return {**LEFT_OVER, "request.jwt.claim.sub": str(victim),
            "request.jwt.claim": f'{{"sub": "{victim}", "role": "authenticated"}}'}


def assert_caller_is_itself(db: Database, victim: uuid.UUID, project_id: uuid.UUID) -> None:
    stranger = Principal("user", user_id=uuid.uuid4())
    with db.as_caller(stranger.db_claims()) as conn:
        conn.execute("reset role")  # meshhook_api may not call auth.*; the settings stay
        uid, role, jwt_sub = conn.execute("select auth.uid(), auth.role(), auth.jwt() ->> 'sub'").fetchone()
    assert (uid, role, jwt_sub) == (stranger.user_id, "authenticated", str(stranger.user_id))
    with pytest.raises(NotFound):  # as the victim, it would have been ('victim', 'admin')
        SecretsService(db, keys=None).project_role(stranger, project_id)  # type: ignore[arg-type]
    service = Principal("service")
    with db.as_caller(service.db_claims()) as conn:
        conn.execute("reset role")
        assert conn.execute("select auth.uid(), auth.role()").fetchone() == (None, "service_role")


def test_setting_on_the_login_role_does_not_become_the_caller(fresh_dsn):
    victim, project_id = victim_project(fresh_dsn)
    dbname = conninfo_to_dict(fresh_dsn)["dbname"]
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        for name, value in left_over(victim).items():  # every new session starts with these
            conn.execute(f'alter role current_user in database "{dbname}" set "{name}" = {psycopg.sql.quote(value)}')
    db = Database(fresh_dsn, max_size=1)
    try:
        assert_caller_is_itself(db, victim, project_id)
    finally:
        db.close()


def test_setting_left_on_a_pooled_connection_does_not_become_the_caller(pg_server, pgbouncer):  # noqa: F811
    """Through PgBouncer in transaction mode with ONE server connection: a client's
    session-level SET stays on that connection for the next client."""
    dsn = pg_server.create_database("pooled")
    victim, project_id = victim_project(dsn)
    with psycopg.connect(pgbouncer.conninfo("pinned"), autocommit=True, prepare_threshold=None) as other:
        for name, value in left_over(victim).items():
            other.execute("select set_config(%s, %s, false)", (name, value))
        db = Database(pgbouncer.conninfo("pinned"), max_size=1)
        try:
            with db.as_system() as conn:  # the setting really is there for the next client
                assert conn.execute("select current_setting('request.jwt.claim.sub', true)").fetchone()[0] == str(victim)
            assert_caller_is_itself(db, victim, project_id)
        finally:
            db.close()
