"""One JSON log line per request (docs/operations.md#logs): the fields, the request id that the
response carries as X-Request-Id, and nothing else from the request."""

from __future__ import annotations

import uuid

from shared.auth.tokens import mint_runner_token, mint_service_token
from tests.api.conftest import secrets_url

CANARY = "fake-observe-canary-7d41c9"
ALWAYS = {"timestamp", "level", "service", "message", "request_id", "route", "status", "duration_ms", "caller_kind"}
FIELDS = ALWAYS | {"project_id", "error_code"}  # Powertools leaves out a field that is None


def test_a_line_for_every_route_with_the_request_id_and_nothing_else(client, project, jwt_secret, logs):
    owner = project.auth("owner")
    runner = {"Authorization": f"Bearer {mint_runner_token(jwt_secret, project.id, 'run_observe_1')}"}
    service = {"Authorization": f"Bearer {mint_service_token(jwt_secret)}"}
    created = client.post(secrets_url(project.id), json={"name": "CANARY", "value": CANARY}, headers=owner)
    sid = created.json()["secret"]["id"]
    calls = [
        ("create_secret", created, "user"),
        ("list_secrets", client.get(secrets_url(project.id), headers=owner), "user"),
        ("get_secret", client.get(secrets_url(project.id, sid), headers=owner), "user"),
        ("update_secret", client.put(secrets_url(project.id, sid), json={"value": CANARY + "-2"}, headers=owner),
         "user"),
        ("reveal_secret", client.post(secrets_url(project.id, sid, "reveal"), headers=owner), "user"),
        ("resolve_secrets", client.post(secrets_url(project.id, "resolve"), json={"names": ["CANARY"]},
                                        headers=runner), "runner"),
        ("audit_events", client.get(secrets_url(project.id, "audit"), headers=service), "service"),
        ("get_project", client.get(f"/api/projects/{project.id}", headers=owner), "user"),
        ("delete_secret", client.delete(secrets_url(project.id, sid), headers=owner), "user"),
    ]
    health = client.get("/healthz")

    for route, response, caller in calls:
        assert response.status_code < 300, (route, response.text)
        line = logs.one_request(response.headers["x-request-id"])
        assert set(line) == ALWAYS | {"project_id"}, line
        assert (line["route"], line["status"], line["caller_kind"]) == (route, response.status_code, caller)
        assert line["project_id"] == str(project.id)
        assert line["level"] == "INFO" and line["duration_ms"] > 0
        uuid.UUID(line["request_id"])
    line = logs.one_request(health.headers["x-request-id"])
    assert set(line) == ALWAYS and (line["route"], line["caller_kind"]) == ("healthz", "anonymous")

    ids = [r.headers["x-request-id"] for _, r, _ in calls]
    assert len(set(ids)) == len(ids)
    for secret in (CANARY, *(h["Authorization"].split()[1] for h in (owner, runner, service))):
        assert secret not in logs.text


def test_handled_errors_carry_their_code_and_no_traceback(client, project, logs):
    cases = [
        (client.get(secrets_url(project.id), headers={"Authorization": "Bearer not-a-token"}), 401, "unauthorized"),
        (client.get(secrets_url(project.id), headers=project.auth("stranger")), 404, "not_found"),
        (client.post(secrets_url(project.id), json={"name": "X", "value": CANARY}, headers=project.auth("viewer")),
         403, "forbidden"),
        (client.post(secrets_url(project.id), json={"name": "bad name", "value": CANARY}, headers=project.auth("owner")),
         422, "validation_error"),
        (client.post(secrets_url(project.id), content=b"{" + b" " * 200_000 + b"}", headers={
            **project.auth("owner"), "Content-Type": "application/json"}), 413, "payload_too_large"),
        (client.get("/api/nothing-here"), 404, "not_found"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        line = logs.one_request(response.headers["x-request-id"])
        assert ALWAYS <= set(line) <= FIELDS and (line["status"], line["error_code"]) == (status, code)
    assert logs.one_request(cases[0][0].headers["x-request-id"])["caller_kind"] == "anonymous"
    assert logs.one_request(cases[2][0].headers["x-request-id"])["caller_kind"] == "user"
    assert logs.one_request(cases[-1][0].headers["x-request-id"])["route"] == "unmatched"
    assert "Traceback" not in logs.text and CANARY not in logs.text and "not-a-token" not in logs.text


def test_what_is_not_an_id_is_not_logged(client, project, logs):
    # A path segment where the project id goes is request data: logged only if it is a UUID.
    # (Control characters in a path are refused before routing: tests/security.)
    junk = "sk_live_fake_not_a_uuid"
    response = client.get(f"/api/projects/{junk}/secrets", headers=project.auth("owner"))
    assert response.status_code == 422
    line = logs.one_request(response.headers["x-request-id"])
    assert "project_id" not in line and line["route"] == "list_secrets"
    assert "sk_live_fake" not in logs.text
