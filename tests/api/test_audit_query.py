"""The audit query: admins only, filters, newest first, stable pagination under writes."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

from shared.store.models import RequestInfo
from tests.api.conftest import secrets_url

EVENT_KEYS = {"id", "project_id", "secret_id", "secret_name", "actor_type", "actor_id", "actor_email", "run_id", "action",
              "outcome", "metadata", "ip_address", "user_agent", "created_at"}


def audit(client, project, who="owner", **params):
    return client.get(secrets_url(project.id, "audit"), params=params, headers=project.auth(who))


def test_events_say_who_what_which_when_and_outcome(client, project, create):
    sid = create(project, name="AUDITED", who="editor")["id"]
    client.put(secrets_url(project.id, sid), json={"value": "fake-2"}, headers=project.auth("editor"))
    client.post(secrets_url(project.id, sid, "reveal"), headers={**project.auth("admin"), "User-Agent": "curl/8"})
    r = audit(client, project)
    assert r.status_code == 200
    events = r.json()["events"]
    assert [e["action"] for e in events] == ["reveal", "rotate", "create"]
    assert all(set(e) == EVENT_KEYS for e in events)
    reveal = events[0]
    assert reveal["actor_type"] == "user" and reveal["actor_id"] == str(project.members["admin"])
    assert reveal["secret_id"] == sid and reveal["secret_name"] == "AUDITED"
    assert reveal["outcome"] == "success" and reveal["user_agent"] == "curl/8"
    assert events[1]["metadata"] == {"version": 2, "changed": ["value"]}
    assert "fake-2" not in r.text


def test_filters(client, project, create):
    a = create(project, name="A1", who="editor")["id"]
    b = create(project, name="B1", who="admin")["id"]
    client.post(secrets_url(project.id, a, "reveal"), headers=project.auth("admin"))
    client.post(secrets_url(project.id, b, "reveal"), headers=project.auth("editor"))  # denied
    only_a = audit(client, project, secret_id=a).json()["events"]
    assert {e["secret_id"] for e in only_a} == {a} and [e["action"] for e in only_a] == ["reveal", "create"]
    by_admin = audit(client, project, actor=str(project.members["admin"])).json()["events"]
    assert [(e["action"], e["secret_name"]) for e in by_admin] == [("reveal", "A1"), ("create", "B1")]
    reveals = audit(client, project, action="reveal").json()["events"]
    assert sorted(e["outcome"] for e in reveals) == ["denied", "success"]
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    assert audit(client, project, since=future).json()["events"] == []
    assert len(audit(client, project, since=past, until=future).json()["events"]) == 4
    assert audit(client, project, until=past).json()["events"] == []


def test_only_admins_read_it_and_outsiders_cannot_tell_it_exists(client, project):
    assert audit(client, project, "owner").status_code == 200
    assert audit(client, project, "admin").status_code == 200
    for who in ("editor", "viewer"):
        r = audit(client, project, who)
        assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = audit(client, project, "stranger")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")


def test_pagination_has_no_duplicates_or_gaps_while_events_are_written(client, project, create, container):
    sid = create(project, name="PAGED")["id"]
    for _ in range(24):
        client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner"))
    before = {e["id"] for e in audit(client, project, limit=200).json()["events"]}
    assert len(before) == 25

    stop = threading.Event()

    def writer():  # keeps adding events while the reader pages through
        while not stop.is_set():
            container.service.reveal(project.principal("owner"), RequestInfo(), project.id, uuid.UUID(sid))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
            body = audit(client, project, **params).json()
            seen += [e["id"] for e in body["events"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        thread.join()
    assert len(seen) == len(set(seen)), "an event appeared on two pages"
    assert seen == sorted(seen, reverse=True), "not newest first"
    assert before <= set(seen), "an event that existed before paging began was skipped"
    assert pages >= 7


def test_bad_query_parameters(client, project):
    for params, code in (({"cursor": "garbage!"}, "bad_request"), ({"limit": 0}, "validation_error"),
                         ({"limit": 201}, "validation_error"), ({"secret_id": "nope"}, "validation_error"),
                         ({"since": "yesterday"}, "validation_error")):
        r = audit(client, project, **params)
        assert r.json()["error"] == code and r.status_code in (400, 422), params
