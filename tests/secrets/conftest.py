"""Fixtures for the lifecycle tests: the API fixtures (tests/api), the key-management world
(tests/keys), and a runner token per project."""

from __future__ import annotations

import pytest

from shared.auth.tokens import mint_runner_token
from tests.api.conftest import create, secrets_url  # noqa: F401 - fixtures and helpers shared with tests/api
from tests.keys.conftest import world  # noqa: F401


@pytest.fixture
def runner(jwt_secret):
    """Authorization headers of a workflow run of `project`."""

    def headers(project) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_runner_token(jwt_secret, project.id, 'run-lifecycle')}"}

    return headers


def version_count(sql, secret_id) -> int:
    """Version rows (each a ciphertext and a wrapped DEK) stored for a secret."""
    return sql.execute("select count(*) from project_secret_versions where secret_id = %s",
                       (secret_id,)).fetchone()[0]
