"""A request's database work does not grow with the platform (the baseline migration's
index on projects.owner and meshhook.secret_count): row-level security finds the caller's
projects through an index, whatever the number of MeshHook projects, and the limit's count
answers only a caller who may create in the project."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from shared.auth.principal import Principal
from shared.cli.dev.seed import crowd_platform
from shared.store.database import Database

OTHER_PROJECTS = 20_000


@pytest.fixture(scope="module")
def crowded(database):
    """A database holding 20,000 other users' projects, and one project of our caller's
    with a secret."""
    dsn = database.fresh()
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        crowd_platform(conn, OTHER_PROJECTS)
        conn.execute("insert into auth.users (id) values (%s)", (owner,))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'ours')", (project_id, owner))
        conn.execute("insert into public.project_secrets (project_id, name) values (%s, 'API_KEY')", (project_id,))
    db = Database(dsn, max_size=2)
    yield db, owner, project_id
    db.close()


def _buffers(plan: dict) -> int:
    return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]


def test_the_membership_check_reads_an_index_not_every_project(crowded):
    db, owner, project_id = crowded
    with db.as_caller(Principal("user", user_id=owner).db_claims()) as conn:
        for _ in range(2):  # the second time, with the session's catalog caches warm
            (document,) = conn.execute(
                "explain (analyze, buffers, format json) select id from public.project_secrets"
                " where project_id = %s", (project_id,)).fetchone()
    plan = (document if isinstance(document, list) else json.loads(document))[0]["Plan"]
    assert plan["Actual Rows"] == 1  # the policy let the owner through
    # A scan of the projects table would touch every page of it: well over 100 here.
    assert _buffers(plan) < 30, json.dumps(plan, indent=1)


@pytest.mark.parametrize("who, counted", [
    ("owner", True), ("admin", True), ("editor", True), ("service", True),
    ("viewer", False), ("stranger", False), ("runner", False),
])
def test_the_limits_count_answers_only_who_may_create(make_project, container, who, counted):
    project = make_project()
    with container.db.as_system() as conn:
        conn.execute("insert into public.project_secrets (project_id, name) values (%s, 'ONE'), (%s, 'TWO')",
                     (project.id, project.id))
    principal = {"service": Principal("service"),
                 "runner": Principal("runner", project_id=project.id, run_id="run-1"),
                 "stranger": Principal("user", user_id=uuid.uuid4())}.get(who) or project.principal(who)
    with container.db.as_caller(principal.db_claims()) as conn:
        count = conn.execute("select meshhook.secret_count(%s)", (project.id,)).fetchone()[0]
    assert count == (2 if counted else None)
