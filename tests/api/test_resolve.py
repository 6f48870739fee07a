"""Resolve: a workflow run gets its project's values in one statement; nobody else does."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import psycopg
import pytest

from shared.auth.principal import Principal
from shared.auth.tokens import mint_runner_token, mint_service_token
from shared.secrets.resolve import resolve_secrets
from shared.store.models import RequestInfo
from tests.api.conftest import secrets_url
from tests.support.round_trips import round_trips


def runner_auth(jwt_secret, project_id, run_id="run_test_1", **kw):
    return {"Authorization": f"Bearer {mint_runner_token(jwt_secret, project_id, run_id, **kw)}"}


@pytest.fixture
def fifty(container, project):
    owner = project.principal("owner")
    names = [f"S_{i:02d}" for i in range(50)]
    for n in names:
        container.service.create(owner, RequestInfo(), project.id, name=n, value=f"fake-value-{n}")
    return names


def test_fifty_names_in_one_round_trip_and_one_audit_event(container, project, fifty, monkeypatch, sql):
    runner = Principal("runner", project_id=project.id, run_id="run_rt")
    container.service.keys.keyring()  # loaded once per process, outside the measured call
    with round_trips(monkeypatch) as sent:
        values = resolve_secrets(container.service, runner, RequestInfo(), project.id, fifty)
    assert values == {n: f"fake-value-{n}" for n in fifty}
    # ONE trip: BEGIN, the caller's role and claims, ONE statement (meshhook.resolve_for_run
    # reads the 50 values, stamps last_used_at, writes the audit event; require_every_name
    # fails it if a name is missing) and the COMMIT: durable before any value is decrypted.
    assert len(sent) == 1, sent
    assert sent[0].startswith("begin; select set_config(") and "meshhook.resolve_for_run(" in sent[0]
    assert sent[0].endswith("; commit")
    rows = sql.execute("select secret_id, secret_name, secret_ids, metadata from secret_audit_events"
                       " where project_id = %s and action = 'resolve'", (project.id,)).fetchall()
    assert len(rows) == 1  # one event for the call, not one per secret
    secret_id, secret_name, secret_ids, metadata = rows[0]
    ids = dict(sql.execute("select name, id from project_secrets where project_id = %s", (project.id,)).fetchall())
    assert secret_id is None and secret_name is None and sorted(secret_ids) == sorted(ids.values())
    assert metadata == {"secrets": [{"id": str(ids[n]), "name": n, "version": 1} for n in sorted(fifty)]}


def test_names_resolve_ignoring_case_under_the_requested_spelling(client, project, create, jwt_secret):
    create(project, name="apiToken", value="fake-tok")
    r = client.post(secrets_url(project.id, "resolve"), json={"names": ["APITOKEN", "apiToken"]},
                    headers=runner_auth(jwt_secret, project.id))
    assert r.json() == {"secrets": {"APITOKEN": "fake-tok", "apiToken": "fake-tok"}}


def test_missing_names_are_all_named_and_nothing_is_returned_or_recorded(client, project, create, jwt_secret, sql):
    create(project, name="PRESENT", value="fake-present")
    r = client.post(secrets_url(project.id, "resolve"), json={"names": ["PRESENT", "ZZZ_MISSING", "AAA_MISSING"]},
                    headers=runner_auth(jwt_secret, project.id))
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "unknown secrets: AAA_MISSING, ZZZ_MISSING"}
    assert "fake-present" not in r.text
    assert sql.execute("select count(*) from secret_audit_events where project_id = %s and action = 'resolve'",
                       (project.id,)).fetchone()[0] == 0
    assert sql.execute("select last_used_at from project_secrets where project_id = %s",
                       (project.id,)).fetchone()[0] is None


def test_when_no_name_is_found_each_is_named_in_its_requested_spellings(client, project, create, jwt_secret, sql):
    create(project, name="PRESENT", value="fake-present")
    r = client.post(secrets_url(project.id, "resolve"), json={"names": ["gone_b", "GONE_B", "gone_a"]},
                    headers=runner_auth(jwt_secret, project.id))
    assert (r.status_code, r.json()["message"]) == (404, "unknown secrets: GONE_B, gone_a, gone_b")
    assert sql.execute("select count(*) from secret_audit_events where project_id = %s and action = 'resolve'",
                       (project.id,)).fetchone()[0] == 0


def test_a_tampered_row_fails_the_resolve_and_the_trail_says_so(client, project, create, jwt_secret, sql):
    # The event is committed with the read, before decryption: a row that then fails its
    # integrity check is a 500 with no value, and a failure event naming that secret follows.
    good = create(project, name="GOOD", value="fake-good-value")["id"]
    bad = create(project, name="BAD", value="fake-bad-value")["id"]
    sql.execute("update public.project_secret_versions set ciphertext = set_byte(ciphertext, 5,"
                " get_byte(ciphertext, 5) # 1) where secret_id = %s", (bad,))
    r = client.post(secrets_url(project.id, "resolve"), json={"names": ["GOOD", "BAD"]},
                    headers=runner_auth(jwt_secret, project.id))
    assert (r.status_code, r.json()) == (500, {"error": "internal", "message": "internal error"})
    assert "fake-" not in r.text
    events = sql.execute("select outcome, secret_id, secret_ids from secret_audit_events where project_id = %s"
                         " and action = 'resolve' order by created_at, id", (project.id,)).fetchall()
    assert [e[0] for e in events] == ["success", "failure"]
    assert sorted(map(str, events[0][2])) == sorted([good, bad]) and str(events[1][1]) == bad


def test_who_may_resolve(client, make_project, create, jwt_secret):
    a, b = make_project(), make_project()
    create(a, name="A_SECRET", value="fake-a")
    body = {"names": ["A_SECRET"]}
    url = secrets_url(a.id, "resolve")
    assert client.post(url, json=body, headers=runner_auth(jwt_secret, a.id)).status_code == 200
    # A run of project B asking for A's secrets: as if A did not exist.
    other = client.post(url, json=body, headers=runner_auth(jwt_secret, b.id))
    assert (other.status_code, other.json()["message"]) == (404, "project not found")
    # An expired runner token.
    expired = jwt.encode({"role": "workflow_runner", "project_id": str(a.id), "run_id": "r",
                          "iat": int(time.time()) - 600, "exp": int(time.time()) - 60}, jwt_secret, algorithm="HS256")
    assert client.post(url, json=body, headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    # A runner token that lives too long is not a runner token.
    assert client.post(url, json=body, headers=runner_auth(jwt_secret, a.id, ttl=30 * 24 * 3600)).status_code == 401
    # Users reveal; they do not resolve. Even the owner.
    assert client.post(url, json=body, headers=a.auth("owner")).status_code == 403
    # Supabase's service role may resolve for any project.
    service = {"Authorization": f"Bearer {mint_service_token(jwt_secret)}"}
    assert client.post(url, json=body, headers=service).json() == {"secrets": {"A_SECRET": "fake-a"}}
    missing_project = client.post(secrets_url(uuid.uuid4(), "resolve"), json=body, headers=service)
    assert (missing_project.status_code, missing_project.json()["message"]) == (404, "project not found")
    # ... and for a project that exists, names the secrets it lacks.
    lacking = client.post(url, json={"names": ["A_SECRET", "NOT_THERE"]}, headers=service)
    assert (lacking.status_code, lacking.json()["message"]) == (404, "unknown secrets: NOT_THERE")


def test_runner_can_do_nothing_else(client, project, create, jwt_secret):
    sid = create(project)["id"]
    auth = runner_auth(jwt_secret, project.id)
    assert client.get(secrets_url(project.id), headers=auth).status_code == 403
    assert client.post(secrets_url(project.id, sid, "reveal"), headers=auth).status_code == 403
    assert client.delete(secrets_url(project.id, sid), headers=auth).status_code == 403
    assert client.post(secrets_url(project.id), json={"name": "RUNNER_MADE", "value": "fake"},
                       headers=auth).status_code == 403


@pytest.mark.parametrize("names", [[], ["bad-name"], ["A"] * 0, ["ok", 5], "NOT_A_LIST"])
def test_bad_resolve_requests(client, project, jwt_secret, names):
    r = client.post(secrets_url(project.id, "resolve"), json={"names": names}, headers=runner_auth(jwt_secret, project.id))
    assert r.status_code == 422 and r.json()["error"] == "validation_error"


def test_last_used_at_is_stamped_at_most_once_a_minute_and_never_waits_on_a_locked_row(
        client, project, create, jwt_secret, sql, dsn):
    names = ["FRESH", "STALE", "RECENT", "LOCKED"]
    for name in names:
        create(project, name=name, value=f"fake-{name.lower()}-value")

    def resolve():
        r = client.post(secrets_url(project.id, "resolve"), json={"names": names},
                        headers=runner_auth(jwt_secret, project.id))
        assert r.status_code == 200, r.text

    def stamps():
        return dict(sql.execute("select name, last_used_at from project_secrets where project_id = %s",
                                (project.id,)).fetchall())

    resolve()
    assert all(stamps().values()), "a first resolve stamps every secret it returns"
    sql.execute("update project_secrets set last_used_at = now() - interval '2 minutes'"
                " where project_id = %s and name in ('STALE', 'LOCKED')", (project.id,))
    sql.execute("update project_secrets set last_used_at = now() - interval '30 seconds'"
                " where project_id = %s and name = 'RECENT'", (project.id,))
    before = stamps()
    with psycopg.connect(dsn) as holder, ThreadPoolExecutor(1) as pool:
        # Another transaction holds LOCKED's row: the resolve must neither wait for it nor fail.
        holder.execute("select 1 from project_secrets where project_id = %s and name = 'LOCKED' for update",
                       (project.id,))
        pool.submit(resolve).result(timeout=30)
        after = stamps()
    assert after["STALE"] > before["STALE"], "due (over a minute old): stamped again"
    assert after["RECENT"] == before["RECENT"] and after["FRESH"] == before["FRESH"], "not due: untouched"
    assert after["LOCKED"] == before["LOCKED"], "due but locked by another run: skipped, not waited on"
    resolve()
    assert stamps()["LOCKED"] > before["LOCKED"], "once the lock is gone, the due row is stamped"
