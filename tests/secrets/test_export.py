"""Export: the current values as .env text (that imports back as it was) or JSON, one audit
event per secret, and one reveal against the per-minute limit."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from shared.auth.principal import Principal
from shared.errors import RateLimited
from shared.secrets.bulk import export_secrets
from shared.secrets.service import SecretsService
from shared.store.models import RequestInfo
from tests.secrets.conftest import secrets_url

AWKWARD = {
    "QUOTES": "it's \"quoted\" and 'single'",
    "BACKSLASHES": "C:\\path\\to\\n\\'x\\\\",
    "MULTILINE": "-----BEGIN FAKE KEY-----\nsk_test_fake_line\r\nend\n",
    "DOLLARS": "sk_test_fake_$HOME_${USER}_#not_a_comment",
    "SPACES": "  padded value  ",
    "UNICODE": "sk_test_fake_ünïcødé_😀",
}


def export(client, project, body, who="owner"):
    return client.post(secrets_url(project.id, "export"), json=body, headers=project.auth(who))


def test_dotenv_export_round_trips_through_import(client, project, make_project, create, sql):
    for name, value in AWKWARD.items():
        create(project, name=name, value=value)
    r = export(client, project, {"format": "dotenv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.headers["cache-control"] == "no-store"
    other = make_project("copy")
    imported = client.post(secrets_url(other.id, "import"), headers=other.auth("editor"),
                           json={"format": "dotenv", "content": r.text, "on_conflict": "fail"})
    assert imported.status_code == 200, imported.text
    assert sorted(imported.json()["created"]) == sorted(AWKWARD)
    back = export(client, other, {"format": "json"})
    assert back.json() == AWKWARD
    events = sql.execute("select secret_name, metadata from secret_audit_events where project_id = %s"
                         " and action = 'export'", (project.id,)).fetchall()
    assert sorted(n for n, _ in events) == sorted(AWKWARD)
    assert len({m["export_id"] for _, m in events}) == 1 and all(m["format"] == "dotenv" for _, m in events)


def test_json_export_of_named_secrets_and_unknown_names(client, project, create):
    create(project, name="ONE", value="sk_test_fake_1")
    create(project, name="TWO", value="sk_test_fake_2")
    r = export(client, project, {"format": "json", "names": ["one"]})
    assert r.status_code == 200 and r.json() == {"ONE": "sk_test_fake_1"}
    missing = export(client, project, {"format": "json", "names": ["ONE", "NOPE"]})
    assert missing.status_code == 404 and "NOPE" in missing.json()["message"]
    assert "sk_test_fake" not in missing.text


def test_a_value_with_nul_is_json_only(client, project, create):
    create(project, name="NUL_VALUE", value="sk_test_fake\x00tail")
    r = export(client, project, {"format": "dotenv"})
    assert r.status_code == 422 and "NUL_VALUE" in r.json()["message"] and "tail" not in r.text
    assert export(client, project, {"format": "json"}).json() == {"NUL_VALUE": "sk_test_fake\x00tail"}


def test_an_export_counts_as_one_reveal(container, project, create):
    for i in range(5):
        create(project, name=f"E{i}", value=f"sk_test_fake_e{i}")
    service = SecretsService(container.db, container.keys, replace(container.service.limits, reveals_per_minute=2))
    owner = project.principal("owner")
    assert len(export_secrets(service, owner, RequestInfo(), project.id, fmt="json")) == 5
    assert len(export_secrets(service, owner, RequestInfo(), project.id, fmt="json")) == 5
    with pytest.raises(RateLimited):
        export_secrets(service, owner, RequestInfo(), project.id, fmt="json")


def test_copies_count_against_the_limit_too(container, project, create):
    sid = create(project, name="C", value="sk_test_fake_c")["id"]
    service = SecretsService(container.db, container.keys, replace(container.service.limits, reveals_per_minute=2))
    owner = project.principal("owner")
    service.reveal(owner, RequestInfo(), project.id, sid, purpose="copy")
    export_secrets(service, owner, RequestInfo(), project.id, fmt="dotenv")
    with pytest.raises(RateLimited):
        service.reveal(owner, RequestInfo(), project.id, sid)


def test_service_role_exports_any_project(container, project, create):
    create(project, name="S", value="sk_test_fake_s")
    assert json.loads(json.dumps(export_secrets(container.service, Principal("service"), RequestInfo(),
                                                project.id, fmt="json"))) == {"S": "sk_test_fake_s"}
