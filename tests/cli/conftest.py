"""A MeshHook-shaped database (MeshHook's tables, then this service's migrations) for the
import-legacy tests: built once as a template, copied for each test."""

from __future__ import annotations

import itertools
import os

import pytest

from shared.store.migrate import apply_migrations
from tests.support.meshhook import copy_database, create_meshhook_database

_TEMPLATE = "meshhook_shaped_template"
_copies = itertools.count(1)


@pytest.fixture(scope="session")
def meshhook_template(database) -> str:
    dsn = create_meshhook_database(database.admin_dsn, _TEMPLATE)
    apply_migrations(dsn, supabase_compat=True)
    return _TEMPLATE


@pytest.fixture
def meshhook_dsn(database, meshhook_template) -> str:
    """A new database with MeshHook's schema and this service's migrations applied."""
    return copy_database(database.admin_dsn, meshhook_template, f"meshhook_shaped_{os.getpid()}_{next(_copies)}")


@pytest.fixture
def cli_env(meshhook_dsn, jwt_secret, root_key_b64, monkeypatch) -> dict[str, str]:
    """The settings the command reads, set for in-process runs and returned for subprocesses."""
    values = {"DATABASE_URL": meshhook_dsn, "SUPABASE_JWT_SECRET": jwt_secret, "MESHHOOK_ROOT_KEY": root_key_b64}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
