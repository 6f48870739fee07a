"""Hostile names, sizes and bodies: each gets its documented 4xx and changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import secrets_url


def snapshot(sql, project_id) -> list[tuple]:
    return sql.execute("select s.id, s.name, s.description, s.version, s.updated_at, v.version, v.kek_id,"
                       " v.wrapped_dek, v.ciphertext from project_secrets s"
                       " left join project_secret_versions v on v.secret_id = s.id"
                       " where s.project_id = %s order by s.id, v.version", (project_id,)).fetchall()


BAD_CREATES = [
    # (body or raw bytes, content type, status, code)
    ({"name": "1STARTS_WITH_DIGIT", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "has-dash", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "spa ce", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "'; drop table project_secrets; --", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "A" * 129, "value": "fake"}, None, 422, "validation_error"),
    ({"name": "", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "NUL\u0000", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "ÜNICODE", "value": "fake"}, None, 422, "validation_error"),
    ({"name": "OK_NAME", "value": ""}, None, 422, "validation_error"),
    ({"name": "OK_NAME", "value": "x" * (64 * 1024 + 1)}, None, 413, "payload_too_large"),
    ({"name": "OK_NAME", "value": "é" * (32 * 1024 + 1)}, None, 413, "payload_too_large"),  # bytes, not chars
    ({"name": "OK_NAME", "value": "fake", "description": "d" * 501}, None, 422, "validation_error"),
    ({"name": "OK_NAME", "value": "fake", "extra": 1}, None, 422, "validation_error"),
    ({"name": "OK_NAME"}, None, 422, "validation_error"),
    ({"name": "OK_NAME", "value": 12345}, None, 422, "validation_error"),
    ({"name": ["OK_NAME"], "value": "fake"}, None, 422, "validation_error"),
    ([], None, 422, "validation_error"),
    (b'{"name": "OK_NAME", "value": ', "application/json", 400, "bad_request"),
    (b"name=OK_NAME&value=fake", "application/x-www-form-urlencoded", 400, "bad_request"),
    (b"\xff\xfe\x00garbage", "application/json", 400, "bad_request"),
    (b"", "application/json", 400, "bad_request"),
    (b'{"name": "OK_NAME", "value": "\\ud800"}', "application/json", 422, "validation_error"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), BAD_CREATES,
                         ids=[f"case{i}" for i in range(len(BAD_CREATES))])
def test_bad_create_is_refused_and_changes_nothing(client, project, create, sql, body, content_type, status, code):
    create(project, name="EXISTING")
    before = snapshot(sql, project.id)
    headers = project.auth("owner")
    if isinstance(body, bytes):
        r = client.post(secrets_url(project.id), content=body, headers={**headers, "Content-Type": content_type})
    else:
        r = client.post(secrets_url(project.id), json=body, headers=headers)
    assert (r.status_code, r.json()["error"]) == (status, code), r.text
    assert set(r.json()) == {"error", "message"} and r.json()["message"]
    assert snapshot(sql, project.id) == before


def test_oversized_body_is_refused_before_it_is_read(client, project, sql):
    before = snapshot(sql, project.id)
    big = json.dumps({"name": "BIG", "value": "x" * (200 * 1024)}).encode()
    r = client.post(secrets_url(project.id), content=big,
                    headers={**project.auth("owner"), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"

    def chunks():  # no Content-Length: the limit applies to the bytes as they stream in
        for _ in range(200):
            yield b"x" * 1024

    r = client.post(secrets_url(project.id), content=chunks(),
                    headers={**project.auth("owner"), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert snapshot(sql, project.id) == before


BAD_UPDATES = [
    ({"name": "RENAMED"}, {}, 422, "validation_error"),
    ({"value": "fake-new", "name": "RENAMED"}, {}, 422, "validation_error"),
    ({}, {}, 422, "validation_error"),
    ({"value": ""}, {}, 422, "validation_error"),
    ({"value": "x" * (64 * 1024 + 1)}, {}, 413, "payload_too_large"),
    ({"description": "d" * 501}, {}, 422, "validation_error"),
    ({"value": "fake-new"}, {"If-Match": "abc"}, 400, "bad_request"),
    ({"value": "fake-new"}, {"If-Match": "2"}, 412, "precondition_failed"),
]


@pytest.mark.parametrize(("body", "extra", "status", "code"), BAD_UPDATES,
                         ids=[f"case{i}" for i in range(len(BAD_UPDATES))])
def test_bad_update_is_refused_and_changes_nothing(client, project, create, sql, body, extra, status, code):
    sid = create(project, name="TARGET")["id"]
    before = snapshot(sql, project.id)
    r = client.put(secrets_url(project.id, sid), json=body, headers={**project.auth("owner"), **extra})
    assert (r.status_code, r.json()["error"]) == (status, code), r.text
    assert snapshot(sql, project.id) == before


@pytest.mark.parametrize("path", [
    "/api/projects/not-a-uuid/secrets",
    "/api/projects/{pid}/secrets/not-a-uuid",
    "/api/projects/{pid}/secrets/..%2F..%2Fetc",
    "/api/projects/{pid}/secrets/00000000-0000-0000-0000-00000000000g",
])
def test_bad_ids_in_the_path(client, project, path):
    r = client.get(path.format(pid=project.id), headers=project.auth("owner"))
    assert r.status_code in (404, 422) and r.json()["error"] in ("not_found", "validation_error")
    assert set(r.json()) == {"error", "message"}


def test_unknown_secret_and_secret_of_another_project(client, make_project, create):
    a, b = make_project(), make_project()
    b_secret = create(b)["id"]
    # A's owner naming B's secret under A's project: not found, never B's data.
    for method in ("get", "delete"):
        r = getattr(client, method)(secrets_url(a.id, b_secret), headers=a.auth("owner"))
        assert r.status_code == 404
    r = client.post(secrets_url(a.id, b_secret, "reveal"), headers=a.auth("owner"))
    assert r.status_code == 404
    r = client.put(secrets_url(a.id, b_secret), json={"value": "fake-hijack"}, headers=a.auth("owner"))
    assert r.status_code == 404
    assert client.post(secrets_url(b.id, b_secret, "reveal"), headers=b.auth("owner")).json()["value"] == "fake-token-value-0001"


def test_too_many_secrets_in_a_project(app, container, project, sql):
    from dataclasses import replace

    from shared.secrets.service import SecretsService
    from shared.store.models import RequestInfo

    limited = SecretsService(container.db, container.keys, replace(container.service.limits, max_secrets_per_project=3))
    owner = project.principal("owner")
    for i in range(3):
        limited.create(owner, RequestInfo(), project.id, name=f"S{i}", value="fake-v")
    from shared.errors import Conflict
    with pytest.raises(Conflict):
        limited.create(owner, RequestInfo(), project.id, name="S3", value="fake-v")
    assert sql.execute("select count(*) from project_secrets where project_id = %s", (project.id,)).fetchone()[0] == 3


def test_method_not_allowed_and_unknown_route(client, project):
    r = client.patch(secrets_url(project.id), headers=project.auth("owner"))
    assert r.status_code == 405 and r.json()["error"] == "bad_request"
    r = client.get("/api/nothing-here", headers=project.auth("owner"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
