"""Rotation reminders in the metadata, the overdue filter, and the audit trail's new fields:
actor_email, the validated action filter, the new actions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.secrets.conftest import secrets_url


def listed(client, project, query=""):
    r = client.get(secrets_url(project.id) + query, headers=project.auth("viewer"))
    assert r.status_code == 200, r.text
    return {s["name"]: s for s in r.json()["secrets"]}


def test_rotation_due_counts_from_the_current_version(client, project, create, sql):
    meta = create(project, name="DUE", rotation_period_days=30)
    create(project, name="NEVER")
    assert meta["rotation_period_days"] == 30 and meta["rotation_overdue"] is False
    due = datetime.fromisoformat(meta["rotation_due_at"]) - datetime.fromisoformat(meta["created_at"])
    assert abs(due - timedelta(days=30)) < timedelta(seconds=5)
    never = listed(client, project)["NEVER"]
    assert (never["rotation_period_days"], never["rotation_due_at"], never["rotation_overdue"]) == (None, None, False)
    sql.execute("update project_secrets set version_created_at = now() - interval '31 days' where id = %s", (meta["id"],))
    assert listed(client, project)["DUE"]["rotation_overdue"] is True
    assert list(listed(client, project, "?overdue=true")) == ["DUE"]
    # A description change is not a rotation; a new value is.
    put = lambda body: client.put(secrets_url(project.id, meta["id"]), json=body, headers=project.auth("editor"))
    assert put({"description": "still old"}).json()["secret"]["rotation_overdue"] is True
    assert put({"value": "sk_test_fake_new"}).json()["secret"]["rotation_overdue"] is False
    assert listed(client, project, "?overdue=true") == {}


def test_period_can_change_and_be_removed(client, project, create):
    sid = create(project, name="P")["id"]
    put = lambda body: client.put(secrets_url(project.id, sid), json=body, headers=project.auth("editor"))
    r = put({"rotation_period_days": 7})
    assert r.status_code == 200 and r.json()["secret"]["rotation_period_days"] == 7
    assert r.json()["secret"]["version"] == 1
    assert put({"rotation_period_days": None}).json()["secret"]["rotation_due_at"] is None


@pytest.mark.parametrize("days", [0, 3651, -1, "7", 1.5])
def test_bad_periods_are_refused(client, project, create, days):
    r = client.post(secrets_url(project.id), headers=project.auth("editor"),
                    json={"name": "BAD", "value": "v", "rotation_period_days": days})
    assert (r.status_code, r.json()["error"]) == (422, "validation_error")


def audit(client, project, query=""):
    return client.get(secrets_url(project.id, "audit") + query, headers=project.auth("admin"))


def test_actor_email_for_members_only(client, project, create, sql, runner):
    create(project, name="A", who="editor")
    client.post(secrets_url(project.id, "resolve"), json={"names": ["A"]}, headers=runner(project))
    events = audit(client, project).json()["events"]
    by_action = {e["action"]: e for e in events}
    editor = project.members["editor"]
    assert by_action["create"]["actor_email"] == f"{editor}@test.invalid"
    assert by_action["resolve"]["actor_email"] is None
    sql.execute("delete from project_members where user_id = %s", (editor,))
    assert {e["action"]: e for e in audit(client, project).json()["events"]}["create"]["actor_email"] is None


def test_action_filter_is_validated_and_knows_the_new_actions(client, project, create):
    sid = create(project, name="A", value="sk_test_fake_a")["id"]
    client.post(secrets_url(project.id, sid, "reveal"), json={"purpose": "copy"}, headers=project.auth("owner"))
    client.post(secrets_url(project.id, "import"), headers=project.auth("editor"),
                json={"format": "json", "content": '{"B": "sk_test_fake_b"}', "on_conflict": "fail"})
    client.post(secrets_url(project.id, "export"), json={"format": "json"}, headers=project.auth("owner"))
    client.post(secrets_url(project.id, sid, "rollback"), json={"version": 1}, headers=project.auth("editor"))
    for action, count in (("copy", 1), ("import", 1), ("export", 2), ("rollback", 1), ("reveal", 0)):
        r = audit(client, project, f"?action={action}")
        assert r.status_code == 200 and len(r.json()["events"]) == count, action
    bad = audit(client, project, "?action=nonsense")
    assert (bad.status_code, bad.json()["error"]) == (422, "validation_error")
    assert "nonsense" not in bad.json()["message"]
