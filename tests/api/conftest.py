"""Helpers for the API tests: a created secret, and the Lambda handlers' environment."""

from __future__ import annotations

import pytest

from tests.events import EVENTS, load_event  # noqa: F401 (the API tests import them from here)


def secrets_url(project_id, *rest: str) -> str:
    return "/".join([f"/api/projects/{project_id}/secrets", *rest])


@pytest.fixture
def create(client):
    """Create a secret over HTTP as `who`; returns the metadata."""

    def make(project, name="API_TOKEN", value="fake-token-value-0001", who="owner", **extra):
        r = client.post(secrets_url(project.id), json={"name": name, "value": value, **extra},
                        headers=project.auth(who))
        assert r.status_code == 201, r.text
        return r.json()["secret"]

    return make


@pytest.fixture
def lambda_env(env, monkeypatch):
    """Environment as a deployed function sees it, with the process-wide caches reset."""
    from shared.config import get_settings
    from shared.container import default_container

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    default_container.cache_clear()
    yield env
    try:
        default_container().close()
    finally:
        get_settings.cache_clear()
        default_container.cache_clear()
