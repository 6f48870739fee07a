"""The full role matrix: each role against each endpoint, and no oracle for outsiders."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from tests.api.conftest import secrets_url

WHO = ("owner", "admin", "editor", "viewer", "stranger")


def call(client, project, who, endpoint, sid):
    headers = project.auth(who)
    return {
        "get_project": lambda: client.get(f"/api/projects/{project.id}", headers=headers),
        "list": lambda: client.get(secrets_url(project.id), headers=headers),
        "get": lambda: client.get(secrets_url(project.id, sid), headers=headers),
        "create": lambda: client.post(secrets_url(project.id), headers=headers,
                                      json={"name": f"N_{uuid.uuid4().hex[:8]}", "value": "fake-v"}),
        "update": lambda: client.put(secrets_url(project.id, sid), headers=headers, json={"value": "fake-v2"}),
        "reveal": lambda: client.post(secrets_url(project.id, sid, "reveal"), headers=headers),
        "resolve": lambda: client.post(secrets_url(project.id, "resolve"), headers=headers,
                                       json={"names": ["ROLE_SECRET"]}),
        "audit": lambda: client.get(secrets_url(project.id, "audit"), headers=headers),
        "delete": lambda: client.delete(secrets_url(project.id, sid), headers=headers),
    }[endpoint]()


#                       owner admin editor viewer stranger
MATRIX = {
    "get_project": (200, 200, 200, 200, 404),
    "list":        (200, 200, 200, 200, 404),
    "get":         (200, 200, 200, 200, 404),
    "create":      (201, 201, 201, 403, 404),
    "update":      (200, 200, 200, 403, 404),
    "reveal":      (200, 200, 403, 403, 404),
    "resolve":     (403, 403, 403, 403, 404),  # users reveal; only workflow runs resolve
    "audit":       (200, 200, 403, 403, 404),
    "delete":      (204, 204, 204, 403, 404),
}


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_role_matrix(client, project, create, endpoint):
    for who, expected in zip(WHO, MATRIX[endpoint], strict=True):
        sid = create(project, name=f"ROLE_{uuid.uuid4().hex[:8]}")["id"]
        r = call(client, project, who, endpoint, sid)
        assert r.status_code == expected, (endpoint, who, r.status_code, r.text)
        if expected >= 400:
            assert set(r.json()) == {"error", "message"}
            assert r.json()["error"] == {403: "forbidden", 404: "not_found"}[expected]


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_non_member_and_missing_project_are_indistinguishable(client, project, make_project, create, endpoint):
    sid = create(project)["id"]
    outsider = make_project()  # a real user, member of some other project
    as_outsider = replace(project, tokens={**project.tokens, "stranger": outsider.tokens["owner"]})
    real = call(client, as_outsider, "stranger", endpoint, sid)
    missing = call(client, replace(project, id=uuid.uuid4()), "owner", endpoint, sid)
    assert (real.status_code, real.json()) == (missing.status_code, missing.json()) == (
        404, {"error": "not_found", "message": "project not found"})


def test_refusals_by_role_are_audited(client, project, create, sql):
    sid = create(project)["id"]
    assert client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("editor")).status_code == 403
    assert client.delete(secrets_url(project.id, sid), headers=project.auth("viewer")).status_code == 403
    rows = sql.execute("select action, outcome, actor_id from secret_audit_events where secret_id = %s"
                       " and outcome = 'denied' order by id", (sid,)).fetchall()
    assert rows == [("reveal", "denied", str(project.members["editor"])),
                    ("delete", "denied", str(project.members["viewer"]))]
