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
from shared.errors import Forbidden, NotFound
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


def test_a_create_is_one_round_trip_an_update_two(container, project, warm, monkeypatch, sql):
    editor = project.principal("editor")
    with round_trips(monkeypatch) as sent:
        meta = container.service.create(editor, RequestInfo(), project.id, name="RT_TWO", value="fake-rt-2")
    assert meta.name == "RT_TWO" and meta.version == 1
    assert len(sent) == 1 and "meshhook.require_role(" in sent[0] and sent[0].endswith("; commit"), sent
    with round_trips(monkeypatch) as sent:
        meta = container.service.update(editor, RequestInfo(), project.id, warm.id, value="fake-rt-1-v2",
                                        fields={"description": "rotated"}, if_match=1)
    assert (meta.version, meta.description) == (2, "rotated")
    assert len(sent) == 2 and sent[1].endswith("; commit"), sent
    assert container.service.reveal(project.principal("owner"), RequestInfo(), project.id, warm.id) == "fake-rt-1-v2"
    actions = [r[0] for r in sql.execute("select action from secret_audit_events where project_id = %s order by id",
                                         (project.id,)).fetchall()]
    assert actions == ["create", "create", "rotate", "reveal"]


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
