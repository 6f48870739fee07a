"""The counters move after the requests that should move them (docs/operations.md#alarms-and-metrics)."""

from __future__ import annotations

import dataclasses

import pytest

from shared.auth.tokens import mint_runner_token
from tests.api.conftest import secrets_url

ROUTE = "reveal_secret"


WATCHED = [
    ("meshhook_auth_failures_total", {}), ("meshhook_forbidden_total", {}), ("meshhook_rate_limited_total", {}),
    ("meshhook_integrity_failures_total", {}), ("meshhook_secrets_resolved_total", {}),
    ("meshhook_requests_total", {"route": "list_secrets", "status": "401"}),
    ("meshhook_requests_total", {"route": ROUTE, "status": "403"}),
    ("meshhook_requests_total", {"route": ROUTE, "status": "429"}),
    ("meshhook_server_errors_total", {"route": ROUTE}),
    ("meshhook_request_duration_seconds_count", {"route": "resolve_secrets", "status": "200"}),
]


@pytest.fixture
def moved(prom):
    """`moved.mark()` remembers the WATCHED samples; `moved(name, **labels)` is the growth since."""
    marks: dict = {}

    def delta(name: str, **labels: str) -> float:
        return prom(name, **labels) - marks[(name, frozenset(labels.items()))]

    def mark() -> None:
        marks.update({(name, frozenset(labels.items())): prom(name, **labels) for name, labels in WATCHED})

    delta.mark = mark
    return delta


def test_refusals_are_counted(client, project, create, moved):
    sid = create(project, name="COUNTED", value="fake-counted-value-1")["id"]
    moved.mark()
    assert client.get(secrets_url(project.id), headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("viewer")).status_code == 403
    assert moved("meshhook_auth_failures_total") == 1
    assert moved("meshhook_requests_total", route="list_secrets", status="401") == 1
    assert moved("meshhook_forbidden_total") == 1
    assert moved("meshhook_requests_total", route=ROUTE, status="403") == 1
    assert moved("meshhook_rate_limited_total") == 0


def test_a_rate_limited_reveal_is_counted(container, project, create, moved):
    from starlette.testclient import TestClient

    from shared.api.app import create_app
    from shared.secrets.service import SecretsService

    limits = dataclasses.replace(container.service.limits, reveals_per_minute=1)
    strict = dataclasses.replace(container, service=SecretsService(container.db, container.keys, limits))
    sid = create(project, name="LIMITED", value="fake-limited-value-1")["id"]
    with TestClient(create_app(container=lambda: strict), raise_server_exceptions=False) as client:
        moved.mark()
        statuses = [client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner")).status_code
                    for _ in range(2)]
    assert statuses == [200, 429]
    assert moved("meshhook_rate_limited_total") == 1
    assert moved("meshhook_requests_total", route=ROUTE, status="429") == 1


def test_a_tampered_ciphertext_is_an_integrity_failure(client, project, create, sql, moved, logs):
    sid = create(project, name="TAMPERED", value="fake-tampered-value-1")["id"]
    sql.execute("update public.project_secret_versions set ciphertext = set_byte(ciphertext, 0,"
                " get_byte(ciphertext, 0) # 1) where secret_id = %s", (sid,))
    moved.mark()
    response = client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner"))
    assert response.status_code == 500 and response.json()["error"] == "internal"
    assert moved("meshhook_integrity_failures_total") == 1
    assert moved("meshhook_server_errors_total", route=ROUTE) == 1
    line = logs.one_request(response.headers["x-request-id"])
    assert (line["level"], line["error_code"]) == ("ERROR", "internal")
    assert "Traceback" not in logs.text and "fake-tampered-value-1" not in logs.text


def test_resolved_secrets_are_counted(client, project, create, jwt_secret, moved):
    for name in ("RESOLVED_A", "RESOLVED_B"):
        create(project, name=name, value=f"fake-{name.lower()}-value")
    runner = {"Authorization": f"Bearer {mint_runner_token(jwt_secret, project.id, 'run_counted')}"}
    moved.mark()
    response = client.post(secrets_url(project.id, "resolve"), json={"names": ["RESOLVED_A", "RESOLVED_B"]},
                           headers=runner)
    assert response.status_code == 200
    assert moved("meshhook_secrets_resolved_total") == 2
    assert moved("meshhook_request_duration_seconds_count", route="resolve_secrets", status="200") == 1


def test_kek_age_is_read_at_start_up(app, project, create, prom):
    import math

    from starlette.testclient import TestClient

    create(project, name="AGED", value="fake-aged-value-1")  # there is an active KEK
    with TestClient(app):  # start-up runs
        age = prom("meshhook_kek_age_days")
    assert not math.isnan(age) and 0 <= age < 1
