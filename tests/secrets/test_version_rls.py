"""Row-level security on the version rows: the same membership rules as project_secrets, and
no way to rewrite a version from the request path."""

from __future__ import annotations

import psycopg
import pytest

from tests.store.test_rls import as_claims, two_projects, user  # noqa: F401 - the fixture


def test_members_see_only_their_versions_and_cannot_rewrite_them(sql, two_projects):  # noqa: F811
    a, b = two_projects
    with sql.transaction():
        as_claims(sql, user(a.members["viewer"]))
        assert {r[0] for r in sql.execute("select project_id from project_secret_versions")} == {a.id}
        assert sql.execute("delete from project_secret_versions").rowcount == 0
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, user(a.owner))
        sql.execute("update project_secret_versions set ciphertext = ciphertext")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), sql.transaction():
        as_claims(sql, user(a.owner))  # a version row claiming project B
        sql.execute("insert into project_secret_versions (secret_id, project_id, version, kek_id, wrapped_dek,"
                    " ciphertext, created_by_type) select secret_id, %s, 99, kek_id, wrapped_dek, ciphertext,"
                    " 'user' from project_secret_versions limit 1", (b.id,))


def test_runner_reads_its_project_only(sql, two_projects):  # noqa: F811
    a, _ = two_projects
    with sql.transaction():
        as_claims(sql, {"role": "workflow_runner", "project_id": str(a.id), "run_id": "r"})
        assert {r[0] for r in sql.execute("select project_id from project_secret_versions")} == {a.id}
        assert sql.execute("delete from project_secret_versions").rowcount == 0


def test_no_sequence_or_table_privilege_for_the_data_api(sql):
    for role in ("anon", "authenticated"):
        assert sql.execute("select has_table_privilege(%s, 'public.project_secret_versions', 'SELECT')"
                           " or has_table_privilege(%s, 'public.project_secret_versions', 'INSERT')",
                           (role, role)).fetchone()[0] is False
    assert sql.execute("select count(*) from pg_depend d join pg_class c on c.oid = d.objid"
                       " where c.relkind = 'S' and d.refobjid = 'public.project_secret_versions'::regclass"
                       ).fetchone()[0] == 0
