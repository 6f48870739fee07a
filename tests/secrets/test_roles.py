"""Every new route x every role: members get what their role allows, a runner only what a
run may do, and a non-member a 404 byte-identical to the one for a project that doesn't exist."""

from __future__ import annotations

import uuid

import pytest

from tests.secrets.conftest import secrets_url

DOTENV = "ROLE_IMPORTED='sk_test_fake_role_0001'\n"
# route -> (method, path under /secrets after the secret id or None, body, expected by caller)
ROUTES = {
    "versions": ("GET", "{sid}/versions", None,
                 {"owner": 200, "admin": 200, "editor": 200, "viewer": 200, "runner": 403}),
    "rollback": ("POST", "{sid}/rollback", {"version": 1},
                 {"owner": 200, "admin": 200, "editor": 200, "viewer": 403, "runner": 403}),
    "reveal_version": ("POST", "{sid}/reveal", {"version": 1, "purpose": "copy"},
                       {"owner": 200, "admin": 200, "editor": 403, "viewer": 403, "runner": 403}),
    "import": ("POST", "import", {"format": "dotenv", "content": DOTENV, "on_conflict": "overwrite"},
               {"owner": 200, "admin": 200, "editor": 200, "viewer": 403, "runner": 403}),
    "export": ("POST", "export", {"format": "json"},
               {"owner": 200, "admin": 200, "editor": 403, "viewer": 403, "runner": 403}),
    "check": ("POST", "check", {"config": {"a": ["{{secrets.ROLE_SECRET}}"]}},
              {"owner": 200, "admin": 200, "editor": 200, "viewer": 200, "runner": 200}),
}
WHO = ("owner", "admin", "editor", "viewer", "runner")


def call(client, project_id, route, sid, headers):
    method, rest, body, _ = ROUTES[route]
    url = secrets_url(project_id, rest.format(sid=sid))
    return client.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", WHO)
def test_role_decides(client, project, create, runner, route, who):
    sid = create(project, name="ROLE_SECRET", value="sk_test_fake_role_v1")["id"]
    client.put(secrets_url(project.id, sid), json={"value": "sk_test_fake_role_v2"}, headers=project.auth("owner"))
    headers = runner(project) if who == "runner" else project.auth(who)
    r = call(client, project.id, route, sid, headers)
    assert r.status_code == ROUTES[route][3][who], r.text
    if r.status_code == 403:
        assert r.json()["error"] == "forbidden"


@pytest.mark.parametrize("route", ROUTES)
def test_non_member_gets_the_404_of_a_missing_project(client, project, make_project, create, runner, route):
    sid = create(project, name="ROLE_SECRET")["id"]
    stranger = call(client, project.id, route, sid, project.auth("stranger"))
    missing = call(client, uuid.uuid4(), route, sid, project.auth("stranger"))
    other_runner = call(client, project.id, route, sid, runner(make_project("other")))
    assert stranger.status_code == missing.status_code == other_runner.status_code == 404
    assert stranger.content == missing.content == other_runner.content
    assert stranger.headers["cache-control"] == "no-store"
