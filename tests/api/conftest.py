"""Helpers for the API tests: a created secret, and the Lambda handlers' environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EVENTS = Path(__file__).resolve().parent.parent / "events"


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


def load_event(name: str, *, project_id, token: str, secret_id=None, body=None, headers=None) -> dict:
    """A sample API Gateway HTTP API (v2) event from tests/events, aimed at real ids."""
    text = (EVENTS / f"{name}.json").read_text()
    text = text.replace("11111111-2222-4333-8444-555555555555", str(project_id))
    if secret_id is not None:
        text = text.replace("66666666-7777-4888-9999-000000000000", str(secret_id))
    event = json.loads(text.replace("REPLACE_WITH_TOKEN", token))
    if body is not None:
        event["body"] = json.dumps(body)
    event["headers"].update(headers or {})
    return event


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
