"""Every endpoint through the app, as a client sees it: shapes, codes, headers."""

from __future__ import annotations

import uuid

from tests.api.conftest import secrets_url

META_KEYS = {"id", "project_id", "name", "description", "version", "created_at", "updated_at", "last_used_at",
             "rotation_period_days", "rotation_due_at", "rotation_overdue"}


def test_full_lifecycle(client, project, create):
    secret = create(project, name="STRIPE_KEY", value="fake-sk-1", description="test key")
    assert set(secret) == META_KEYS
    assert secret["version"] == 1 and secret["description"] == "test key" and secret["last_used_at"] is None
    sid = secret["id"]
    auth = project.auth("editor")

    listed = client.get(secrets_url(project.id), headers=auth)
    assert listed.status_code == 200 and [s["name"] for s in listed.json()["secrets"]] == ["STRIPE_KEY"]

    got = client.get(secrets_url(project.id, sid), headers=auth)
    assert got.json()["secret"] == secret and got.headers["etag"] == '"1"'

    rotated = client.put(secrets_url(project.id, sid), json={"value": "fake-sk-2"},
                         headers={**auth, "If-Match": '"1"'})
    assert rotated.status_code == 200
    assert rotated.json()["secret"]["version"] == 2 and rotated.json()["secret"]["description"] == "test key"

    described = client.put(secrets_url(project.id, sid), json={"description": None}, headers=auth)
    assert described.json()["secret"]["version"] == 2 and described.json()["secret"]["description"] is None

    revealed = client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("admin"))
    assert revealed.status_code == 200 and revealed.json() == {"value": "fake-sk-2"}

    assert client.delete(secrets_url(project.id, sid), headers=auth).status_code == 204
    assert client.get(secrets_url(project.id, sid), headers=auth).status_code == 404
    assert client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner")).status_code == 404
    # Deleting again: it is gone, not "deleted".
    again = client.delete(secrets_url(project.id, sid), headers=auth)
    assert again.status_code == 404 and again.json() == {"error": "not_found", "message": "secret not found"}


def test_list_is_sorted_by_name_and_holds_no_values(client, project, create):
    for name in ("zeta", "Alpha", "beta_2", "BETA_1"):
        create(project, name=name, value=f"fake-value-of-{name}")
    body = client.get(secrets_url(project.id), headers=project.auth("viewer")).json()
    assert [s["name"] for s in body["secrets"]] == ["Alpha", "BETA_1", "beta_2", "zeta"]
    assert all(set(s) == META_KEYS for s in body["secrets"])
    assert "fake-value-of" not in str(body)


def test_every_response_is_no_store(client, project, create):
    sid = create(project)["id"]
    responses = [
        client.get(secrets_url(project.id), headers=project.auth("viewer")),
        client.get(secrets_url(project.id, sid), headers=project.auth("viewer")),
        client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner")),
        client.get(secrets_url(project.id)),  # 401
        client.get(secrets_url(uuid.uuid4()), headers=project.auth("owner")),  # 404
        client.get("/api/openapi.json"),
        client.get("/healthz"),
        client.delete(secrets_url(project.id, sid), headers=project.auth("editor")),
    ]
    assert [r.headers.get("cache-control") for r in responses] == ["no-store"] * len(responses)
    for r in responses:  # and the UI can't be framed (clickjacking on reveal and copy)
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_names_are_unique_ignoring_case(client, project, create):
    create(project, name="Api_Key")
    r = client.post(secrets_url(project.id), json={"name": "API_KEY", "value": "fake-x"}, headers=project.auth("owner"))
    assert r.status_code == 409 and r.json()["error"] == "conflict"


def test_same_name_in_two_projects_keeps_each_value(client, make_project, create):
    a, b = make_project(), make_project()
    ids = {p.id: create(p, name="SHARED_NAME", value=f"fake-value-{p.id}")["id"] for p in (a, b)}
    for p in (a, b):
        r = client.post(secrets_url(p.id, ids[p.id], "reveal"), headers=p.auth("owner"))
        assert r.json() == {"value": f"fake-value-{p.id}"}


def test_if_match_mismatch_is_412_and_changes_nothing(client, project, create):
    sid = create(project, value="fake-original")["id"]
    r = client.put(secrets_url(project.id, sid), json={"value": "fake-new"},
                   headers={**project.auth("editor"), "If-Match": "7"})
    assert r.status_code == 412 and r.json()["error"] == "precondition_failed"
    assert client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner")).json()["value"] == "fake-original"


def test_get_project_tells_the_callers_role(client, project):
    for who, role in (("owner", "admin"), ("admin", "admin"), ("editor", "editor"), ("viewer", "viewer")):
        r = client.get(f"/api/projects/{project.id}", headers=project.auth(who))
        assert r.status_code == 200 and r.json()["project"]["role"] == role


def test_health_answers_while_the_database_does(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_openapi_lists_every_route_with_its_errors(client):
    doc = client.get("/api/openapi.json").json()
    ops = {(m.upper(), p): op for p, item in doc["paths"].items() for m, op in item.items()}
    expected = {
        ("POST", "/api/projects/{project_id}/secrets"): {"201", "401", "403", "404", "409", "413", "422"},
        ("GET", "/api/projects/{project_id}/secrets"): {"200", "401", "403", "404"},
        ("GET", "/api/projects/{project_id}/secrets/{secret_id}"): {"200", "401", "404"},
        ("PUT", "/api/projects/{project_id}/secrets/{secret_id}"): {"200", "401", "403", "404", "412", "422"},
        ("DELETE", "/api/projects/{project_id}/secrets/{secret_id}"): {"204", "401", "403", "404"},
        ("POST", "/api/projects/{project_id}/secrets/{secret_id}/reveal"): {"200", "401", "403", "404"},
        ("POST", "/api/projects/{project_id}/secrets/resolve"): {"200", "401", "403", "404"},
        ("GET", "/api/projects/{project_id}/secrets/audit"): {"200", "401", "403", "404"},
    }
    for key, codes in expected.items():
        assert key in ops, key
        assert codes <= set(ops[key]["responses"]), (key, set(ops[key]["responses"]))
        assert "500" in ops[key]["responses"]
    assert doc["components"]["schemas"]["ErrorOut"]["required"] == ["error", "message"]


def test_reveals_are_rate_limited_per_user_and_audited(client, container, project, create, sql):
    from dataclasses import replace

    sid = create(project)["id"]
    original = container.service.limits
    container.service.limits = replace(original, reveals_per_minute=3)
    try:
        codes = [client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("admin")).status_code
                 for _ in range(4)]
        other_admin = client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner"))
    finally:
        container.service.limits = original
    assert codes == [200, 200, 200, 429]
    assert other_admin.status_code == 200  # the limit is per user
    outcomes = sql.execute("select outcome from secret_audit_events where secret_id = %s and action = 'reveal'"
                           " and actor_id = %s order by id", (sid, str(project.members["admin"]))).fetchall()
    assert [o for (o,) in outcomes] == ["success"] * 3 + ["denied"]
