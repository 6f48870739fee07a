"""Row-level security is the last line: checked directly in SQL, under the API's role."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from shared.auth.principal import Principal
from shared.store.models import RequestInfo

SECRET_TABLES = ("project_secrets", "project_secret_versions", "secret_keks", "secret_audit_events")


def as_claims(sql: psycopg.Connection, claims: dict) -> None:
    """Become the request path: the API's role plus verified claims, transaction-local."""
    sql.execute("select set_config('role', 'meshhook_api', true),"
                " set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))


def user(u: uuid.UUID) -> dict:
    return {"role": "authenticated", "sub": str(u)}


@pytest.fixture
def two_projects(make_project, container):
    """Projects A and B, each holding one secret created through the service."""
    a, b = make_project("A"), make_project("B")
    for p in (a, b):
        container.service.create(p.principal("owner"), RequestInfo(), p.id, name="ONLY_HERE",
                                 value="fake-value-for-rls")
    return a, b


def test_request_role_is_subject_to_rls(sql):
    row = sql.execute("select rolsuper, rolbypassrls from pg_roles where rolname = 'meshhook_api'").fetchone()
    assert row == (False, False)
    owners = sql.execute("select distinct tableowner from pg_tables where tablename = any(%s)",
                         (list(SECRET_TABLES),)).fetchall()
    assert ("meshhook_api",) not in owners
    forced = sql.execute("select relname, relrowsecurity from pg_class where relname = any(%s)",
                         (list(SECRET_TABLES),)).fetchall()
    assert all(enabled for _, enabled in forced) and len(forced) == len(SECRET_TABLES)


def test_select_without_where_sees_only_own_projects(sql, two_projects):
    a, b = two_projects
    with sql.transaction():
        as_claims(sql, user(a.owner))
        rows = sql.execute("select project_id from project_secrets").fetchall()
    assert {r[0] for r in rows} == {a.id}
    with sql.transaction():
        as_claims(sql, user(b.members["viewer"]))
        rows = sql.execute("select project_id from project_secrets").fetchall()
    assert {r[0] for r in rows} == {b.id}


def test_a_cannot_write_rows_of_b(sql, two_projects):
    a, b = two_projects
    b_secret = sql.execute("select id from project_secrets where project_id = %s", (b.id,)).fetchone()[0]
    with sql.transaction():
        as_claims(sql, user(a.owner))
        assert sql.execute("update project_secrets set description = 'x' where id = %s",
                           (b_secret,)).rowcount == 0
        assert sql.execute("delete from project_secrets where project_id = %s", (b.id,)).rowcount == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, user(a.owner))
        sql.execute("insert into project_secrets (project_id, name) values (%s, 'SMUGGLED')", (b.id,))
    assert sql.execute("select count(*) from project_secrets where project_id = %s", (b.id,)).fetchone()[0] == 1


def test_viewer_cannot_write_even_with_sql(sql, two_projects):
    a, _ = two_projects
    with sql.transaction():
        as_claims(sql, user(a.members["viewer"]))
        assert sql.execute("update project_secrets set description = 'x'").rowcount == 0
        assert sql.execute("delete from project_secrets").rowcount == 0
    assert sql.execute("select description from project_secrets where project_id = %s",
                       (a.id,)).fetchone()[0] is None


def test_owner_without_member_row_can_write(sql, two_projects):
    a, _ = two_projects
    assert sql.execute("select count(*) from project_members where user_id = %s", (a.owner,)).fetchone()[0] == 0
    with sql.transaction():
        as_claims(sql, user(a.owner))
        assert sql.execute("update project_secrets set description = 'owner was here'").rowcount == 1


def test_name_and_project_are_immutable_even_with_sql(sql, two_projects):
    a, b = two_projects
    for statement in ("update project_secrets set name = 'RENAMED'",
                      f"update project_secrets set project_id = '{b.id}'"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
            as_claims(sql, user(a.owner))
            sql.execute(statement)


def test_runner_sees_only_its_project_and_can_only_touch_last_used(sql, two_projects):
    a, b = two_projects
    runner = {"role": "workflow_runner", "project_id": str(a.id), "run_id": "run-1"}
    with sql.transaction():
        as_claims(sql, runner)
        assert {r[0] for r in sql.execute("select project_id from project_secrets")} == {a.id}
        assert sql.execute("update project_secrets set last_used_at = now()").rowcount == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, runner)
        sql.execute("update project_secrets set description = 'runner edit'")


def test_audit_trail_is_admin_only_and_append_only(sql, two_projects):
    a, _ = two_projects
    with sql.transaction():
        as_claims(sql, user(a.members["editor"]))
        assert sql.execute("select count(*) from secret_audit_events").fetchone()[0] == 0
    with sql.transaction():
        as_claims(sql, user(a.members["admin"]))
        assert sql.execute("select count(*) from secret_audit_events").fetchone()[0] >= 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, user(a.owner))
        sql.execute("delete from secret_audit_events")
    # Not even the table owner may rewrite history.
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        sql.execute("update secret_audit_events set action = 'nothing'")


def test_kek_table_unreachable_from_request_path(sql, two_projects):
    a, _ = two_projects
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, user(a.owner))
        sql.execute("select * from secret_keks")


@pytest.mark.parametrize("role", ["anon", "authenticated"])
@pytest.mark.parametrize("table", SECRET_TABLES)
def test_data_api_roles_hold_no_privilege(sql, role, table):
    for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
        assert sql.execute("select has_table_privilege(%s, %s, %s)",
                           (role, f"public.{table}", privilege)).fetchone()[0] is False, (role, table, privilege)


def test_service_principal_sees_all(container, two_projects):
    a, b = two_projects
    service = Principal("service")
    assert [s.name for s in container.service.list(service, a.id)] == ["ONLY_HERE"]
    assert [s.name for s in container.service.list(service, b.id)] == ["ONLY_HERE"]


# The request path's write functions (migration ..._cached_write_plans.sql), called straight
# from SQL as a caller the service would have refused: row-level security still decides.
WRITE_FUNCTIONS = {
    "insert_secrets": "select meshhook.insert_secrets(%(project)s, array[gen_random_uuid()], array['SMUGGLED'],"
                      " array[null::text], array[null::int])",
    "insert_versions": "select meshhook.insert_versions(%(project)s, 'user', 'x', array[%(secret)s::uuid],"
                       " array[99], array[(select max(id) from public.secret_keks)], array['\\x01'::bytea],"
                       " array['\\x01'::bytea])",
    "insert_events": "select meshhook.insert_events(%(project)s, 'user', 'x', null, 'create', 'success', null,"
                     " null, array[%(secret)s::uuid], array['FORGED'], array['{}'::jsonb], false)",
}


# A viewer may write audit events (a reveal is audited), so insert_events is tried by an
# outsider only.
REFUSED = [(f, who) for f in sorted(WRITE_FUNCTIONS) for who in ("viewer", "outsider")
           if (f, who) != ("insert_events", "viewer")]


def _counts(sql) -> tuple:
    return sql.execute("select (select count(*) from project_secrets), (select count(*) from"
                       " project_secret_versions), (select count(*) from secret_audit_events)").fetchone()


@pytest.mark.parametrize("function, who", REFUSED)
def test_write_functions_obey_row_level_security(sql, two_projects, function, who):
    a, b = two_projects
    caller = a.members["viewer"] if who == "viewer" else b.owner
    secret = sql.execute("select id from project_secrets where project_id = %s", (a.id,)).fetchone()[0]
    before = _counts(sql)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, user(caller))
        sql.execute(WRITE_FUNCTIONS[function], {"project": a.id, "secret": secret})
    assert _counts(sql) == before


def test_write_functions_run_with_the_callers_rights(sql):
    """SECURITY DEFINER would skip every policy: each runs as its caller, on a fixed search path."""
    rows = sql.execute("select proname, prosecdef, proconfig from pg_proc"
                       " where pronamespace = 'meshhook'::regnamespace and proname = any(%s)",
                       ([*WRITE_FUNCTIONS, "set_current_versions"],)).fetchall()
    assert len(rows) == 4
    for name, definer, config in rows:
        assert not definer, name
        assert 'search_path=""' in config, (name, config)
