"""How many network round trips each common operation costs (issue #17): a read is one
(BEGIN, the caller's role and claims, the role check, the statement and the COMMIT sent
together), a create one too (its checks are statements that fail), an update two (the
role check with the row it locks; then the writes, the audit row and the COMMIT), and a
refusal is decided from the same trip: the semantics of
404 / 403 do not change (tests/api/test_roles.py), only what travels together."""

from __future__ import annotations

import uuid

import pytest

from shared.auth.principal import Principal
from shared.errors import Forbidden, NotFound, PreconditionFailed
from shared.store.models import RequestInfo
from tests.support.round_trips import round_trips


@pytest.fixture
def warm(container, project):
    owner = project.principal("owner")
    meta = container.service.create(owner, RequestInfo(), project.id, name="RT_ONE", value="fake-rt-1")
    container.service.keys.keyring()  # loaded once per process, outside what is counted
    return meta


def test_a_list_or_a_get_is_one_round_trip(container, project, warm, monkeypatch):
    viewer = project.principal("viewer")
    with round_trips(monkeypatch) as sent:
        listed = container.service.list(viewer, project.id)
    assert [m.name for m in listed] == ["RT_ONE"]
    assert len(sent) == 1 and sent[0].startswith("begin; select set_config(") and sent[0].endswith("; commit")
    with round_trips(monkeypatch) as sent:
        assert container.service.get(viewer, project.id, warm.id).name == "RT_ONE"
    assert len(sent) == 1


def test_a_create_is_one_round_trip_an_update_with_if_match_one_without_two(container, project, warm, monkeypatch, sql):
    editor = project.principal("editor")
    with round_trips(monkeypatch) as sent:
        meta = container.service.create(editor, RequestInfo(), project.id, name="RT_TWO", value="fake-rt-2")
    assert meta.name == "RT_TWO" and meta.version == 1
    assert len(sent) == 1 and "meshhook.require_role(" in sent[0] and sent[0].endswith("; commit"), sent
    with round_trips(monkeypatch) as sent:  # If-Match: the new version's number is known
        meta = container.service.update(editor, RequestInfo(), project.id, warm.id, value="fake-rt-1-v2",
                                        fields={"description": "rotated"}, if_match=1)
    assert (meta.version, meta.description) == (2, "rotated")
    assert len(sent) == 1 and "meshhook.require_version(" in sent[0] and sent[0].endswith("; commit"), sent
    with round_trips(monkeypatch) as sent:  # no If-Match: the locked row's version is read first
        meta = container.service.update(editor, RequestInfo(), project.id, warm.id, value="fake-rt-1-v3")
    assert meta.version == 3
    assert len(sent) == 2 and sent[1].endswith("; commit"), sent
    assert container.service.reveal(project.principal("owner"), RequestInfo(), project.id, warm.id) == "fake-rt-1-v3"
    events = sql.execute("select action, secret_name, metadata from secret_audit_events where project_id = %s"
                         " order by id", (project.id,)).fetchall()
    assert [e[0] for e in events] == ["create", "create", "rotate", "rotate", "reveal"]
    assert events[2][1:] == ("RT_ONE", {"version": 2, "changed": ["value", "description"]})  # name read by SQL


def test_a_one_trip_update_refused_by_version_or_absence_changes_nothing(container, project, warm, make_project, sql):
    editor = project.principal("editor")
    stored = sql.execute("select version, description, updated_at from project_secrets where id = %s",
                         (warm.id,)).fetchone()
    trail = sql.execute("select count(*) from secret_audit_events where project_id = %s", (project.id,)).fetchone()
    with pytest.raises(PreconditionFailed, match="the secret is at version 1, not 7"):
        container.service.update(editor, RequestInfo(), project.id, warm.id, value="fake-moved", if_match=7)
    with pytest.raises(NotFound, match="secret not found"):
        container.service.update(editor, RequestInfo(), project.id, uuid.uuid4(), value="fake-absent", if_match=1)
    # Another project's secret, named under this project by its editor: as absent, untouched.
    elsewhere = make_project()
    other = container.service.create(elsewhere.principal("owner"), RequestInfo(), elsewhere.id, name="RT_OTHER",
                                     value="fake-other")
    with pytest.raises(NotFound, match="secret not found"):
        container.service.update(editor, RequestInfo(), project.id, other.id, value="fake-x", if_match=1)
    assert sql.execute("select version from project_secrets where id = %s", (other.id,)).fetchone() == (1,)
    assert sql.execute("select version, description, updated_at from project_secrets where id = %s",
                       (warm.id,)).fetchone() == stored
    assert sql.execute("select count(*) from project_secret_versions where secret_id = %s", (warm.id,)).fetchone() == (1,)
    assert sql.execute("select count(*) from secret_audit_events where project_id = %s and action <> 'create'",
                       (project.id,)).fetchone() == (0,)
    assert trail[0] >= 1


def test_refusals_decided_from_the_batched_check_change_nothing(container, project, warm, sql):
    before = sql.execute("select count(*) from project_secrets where project_id = %s", (project.id,)).fetchone()
    for who, error in (("viewer", Forbidden), ("stranger_like", NotFound)):
        principal = project.principal("viewer") if who == "viewer" else _stranger()
        with pytest.raises(error):
            container.service.create(principal, RequestInfo(), project.id, name="RT_NO", value="fake-no")
        with pytest.raises(error):
            container.service.update(principal, RequestInfo(), project.id, warm.id, value="fake-no-2")
    with pytest.raises(NotFound):
        container.service.list(_stranger(), project.id)
    assert sql.execute("select count(*) from project_secrets where project_id = %s", (project.id,)).fetchone() == before
    assert sql.execute("select version from project_secrets where id = %s", (warm.id,)).fetchone() == (1,)


def _stranger() -> Principal:
    return Principal("user", user_id=uuid.uuid4())
