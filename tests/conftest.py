"""Shared fixtures: a real Postgres (embedded, or DATABASE_URL), real crypto, the real app.

The database is started once per session and migrated into a template; the tests share a
copy of it and stay independent by creating their own users and projects (random ids).
Tests that need a database of their own (key rotation counts every row) ask for
`fresh_dsn`, a new copy of the template.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from shared.auth.principal import Principal
from shared.auth.tokens import mint_user_token
from shared.store.migrate import apply_migrations

TEMPLATE_DB = "meshhook_template"

# Markers by place, so a new test in these folders is marked without anyone remembering:
# `scripts/test -m "not slow and not browser and not load"` is the quick local subset;
# CI runs everything.
_MARKS_BY_PATH = {
    "browser/": "browser",
    "resilience/test_load.py": "load",
    "resilience/test_chaos.py": "load",
    "resilience/": "slow",
    "deploy/": "slow",
    "kms/": "slow",
    "keys/test_crash_safety.py": "slow",
    "cli/test_import_legacy_crash.py": "slow",
    "keys/test_rotation_concurrency.py": "slow",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        where = item.path.relative_to(tests_dir).as_posix()
        for prefix, mark in _MARKS_BY_PATH.items():
            if where.startswith(prefix):
                item.add_marker(mark)
                break


@dataclass
class TestDatabase:
    admin_dsn: str  # the server's maintenance database, superuser
    dsn: str  # the shared test database
    _counter: int = 0

    def fresh(self) -> str:
        """A new database copied from the migrated template."""
        self._counter += 1
        name = f"meshhook_t{os.getpid()}_{self._counter}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}"')
            conn.execute(f'create database "{name}" template "{TEMPLATE_DB}"')
        return make_conninfo(self.admin_dsn, dbname=name)


def _server_dsn() -> str:
    external = os.environ.get("DATABASE_URL")
    if external:
        return external
    from shared.cli.dev.embedded import start_embedded_postgres

    return start_embedded_postgres(Path(tempfile.mkdtemp(prefix="meshhook-pg-")) / "data")


@pytest.fixture(scope="session")
def database() -> TestDatabase:
    admin_dsn = _server_dsn()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{TEMPLATE_DB}"')
        conn.execute(f'create database "{TEMPLATE_DB}"')
    apply_migrations(make_conninfo(admin_dsn, dbname=TEMPLATE_DB), supabase_compat=True)
    db = TestDatabase(admin_dsn, "")
    db.dsn = db.fresh()
    return db


@pytest.fixture(scope="session")
def dsn(database: TestDatabase) -> str:
    return database.dsn


@pytest.fixture
def fresh_dsn(database: TestDatabase) -> str:
    return database.fresh()


@pytest.fixture(scope="session")
def jwt_secret() -> str:
    return "test-jwt-secret-" + secrets.token_hex(16)


@pytest.fixture(scope="session")
def root_key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def app_dsn(dsn: str) -> str:
    """The DSN the service itself uses: `dsn`, or the same database through the pooler
    named by MESHHOOK_TEST_POOLER (a conninfo without dbname, e.g. a transaction-mode
    PgBouncer; tests/resilience/test_pooler.py runs tests/api that way). Fixtures that
    look underneath the service (`sql`, `make_project`) and create databases keep `dsn`."""
    pooler = os.environ.get("MESHHOOK_TEST_POOLER")
    if not pooler:
        return dsn
    return make_conninfo(pooler, dbname=conninfo_to_dict(dsn)["dbname"])


@pytest.fixture(scope="session")
def env(dsn: str, jwt_secret: str, root_key_b64: str) -> dict[str, str]:
    return {"DATABASE_URL": app_dsn(dsn), "SUPABASE_JWT_SECRET": jwt_secret, "MESHHOOK_ROOT_KEY": root_key_b64}


@pytest.fixture(scope="session")
def container(env: dict[str, str]):
    from shared.config import Settings
    from shared.container import build_container

    # The process environment too (as under Lambda): tests/deploy/test_pool_of_one.py reruns
    # this suite with DB_POOL_MAX=1 set there.
    c = build_container(Settings.from_environ({**os.environ, **env}))
    yield c
    c.close()


@pytest.fixture(scope="session")
def app(container):
    from shared.api.app import create_app

    return create_app(container=lambda: container)


@pytest.fixture
def client(app):
    from starlette.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@dataclass
class Project:
    id: uuid.UUID
    owner: uuid.UUID
    members: dict[str, uuid.UUID]  # role -> user id
    tokens: dict[str, str]  # "owner"/role/"stranger" -> bearer token

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def principal(self, who: str) -> Principal:
        user = self.owner if who == "owner" else self.members[who]
        return Principal("user", user_id=user)


@pytest.fixture
def make_project(dsn: str, jwt_secret: str) -> Callable[..., Project]:
    """A project with an owner, one member per role, and an outsider, each with a token."""

    def make(name: str = "test project") -> Project:
        owner = uuid.uuid4()
        members = {role: uuid.uuid4() for role in ("admin", "editor", "viewer")}
        stranger = uuid.uuid4()
        project_id = uuid.uuid4()
        with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
            for user in (owner, stranger, *members.values()):
                conn.execute("insert into auth.users (id, email) values (%s, %s)",
                             (user, f"{user}@test.invalid"))
            conn.execute("insert into public.projects (id, owner, name) values (%s, %s, %s)",
                         (project_id, owner, name))
            for role, user in members.items():
                conn.execute("insert into public.project_members values (%s, %s, %s)",
                             (project_id, user, role))
        tokens = {"owner": mint_user_token(jwt_secret, owner), "stranger": mint_user_token(jwt_secret, stranger)}
        tokens.update({role: mint_user_token(jwt_secret, user) for role, user in members.items()})
        return Project(project_id, owner, members, tokens)

    return make


@pytest.fixture
def project(make_project) -> Project:
    return make_project()


@pytest.fixture
def sql(dsn: str) -> Iterator[psycopg.Connection]:
    """A superuser connection to the test database, for looking underneath the service."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn
