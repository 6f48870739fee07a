"""Resolve is ONE audit event per call naming every secret it returned (issue #17), and the
audit API still answers per secret exactly as when each secret had a row of its own: the
`secret_id` filter finds the call under each secret, shown with that secret's id, name and
version, and the cursor pages through it without a repeat or a gap."""

from __future__ import annotations

from shared.auth.principal import Principal
from shared.secrets.resolve import resolve_secrets
from shared.store.models import RequestInfo
from tests.api.conftest import secrets_url


def audit(client, project, **params):
    r = client.get(secrets_url(project.id, "audit"), params=params, headers=project.auth("admin"))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_resolve_of_n_names_is_found_by_each_secrets_filter(client, container, project, create, sql):
    names = [f"R_{i}" for i in range(7)]
    ids = {n: create(project, name=n, value=f"fake-r-{n}")["id"] for n in names}
    client.put(secrets_url(project.id, ids["R_3"]), json={"value": "fake-r-3-v2"}, headers=project.auth("editor"))
    runner = Principal("runner", project_id=project.id, run_id="run_audit")
    resolve_secrets(container.service, runner, RequestInfo(), project.id, names)
    assert sql.execute("select count(*) from secret_audit_events where project_id = %s and action = 'resolve'",
                       (project.id,)).fetchone()[0] == 1
    for name in names:
        events = audit(client, project, secret_id=ids[name])["events"]
        assert [e["action"] for e in events] == ["resolve"] + (["rotate"] if name == "R_3" else []) + ["create"]
        resolved = events[0]
        assert resolved["secret_id"] == ids[name] and resolved["secret_name"] == name
        assert resolved["metadata"] == {"version": 2 if name == "R_3" else 1}
        assert resolved["run_id"] == "run_audit" and resolved["actor_type"] == "runner"
    # Unfiltered, the call is one event naming them all.
    [call] = audit(client, project, action="resolve")["events"]
    assert call["secret_id"] is None and call["secret_name"] is None
    assert [(s["id"], s["name"]) for s in call["metadata"]["secrets"]] == [(ids[n], n) for n in names]
    # A secret the call did not return is not matched by it.
    other = create(project, name="UNRESOLVED", value="fake-other")["id"]
    assert [e["action"] for e in audit(client, project, secret_id=other)["events"]] == ["create"]


def test_a_resolve_of_one_name_keeps_the_old_row(client, container, project, create, sql):
    sid = create(project, name="SOLO", value="fake-solo")["id"]
    resolve_secrets(container.service, Principal("runner", project_id=project.id, run_id="r1"), RequestInfo(),
                    project.id, ["SOLO"])
    row = sql.execute("select secret_id::text, secret_name, secret_ids::text[], metadata from secret_audit_events"
                      " where project_id = %s and action = 'resolve'", (project.id,)).fetchone()
    assert row == (sid, "SOLO", [sid], {"version": 1})
    [event] = audit(client, project, action="resolve", secret_id=sid)["events"]
    assert (event["secret_id"], event["secret_name"], event["metadata"]) == (sid, "SOLO", {"version": 1})


def test_pages_of_one_secrets_trail_through_many_resolve_calls(client, container, project, create):
    ids = {n: create(project, name=n, value=f"fake-{n}")["id"] for n in ("P_A", "P_B", "P_C")}
    runner = Principal("runner", project_id=project.id, run_id="run_pages")
    for i in range(9):  # alternate: calls with P_A among others, and calls without it
        wanted = ["P_A", "P_B", "P_C"] if i % 2 == 0 else ["P_B", "P_C"]
        resolve_secrets(container.service, runner, RequestInfo(), project.id, wanted)
    seen, cursor = [], None
    while True:
        page = audit(client, project, secret_id=ids["P_A"], limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["events"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["action"] for e in seen] == ["resolve"] * 5 + ["create"]
    assert len({e["id"] for e in seen}) == 6 and [e["id"] for e in seen] == sorted((e["id"] for e in seen), reverse=True)
    assert all(e["secret_id"] == ids["P_A"] and e["secret_name"] == "P_A" for e in seen)
