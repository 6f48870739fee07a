"""Bulk import: all or nothing, every limit across the batch, every bad entry in one 422
(by line or key, never a value), conflicts by mode, hostile uploads refused cleanly."""

from __future__ import annotations

import json

import pytest

from tests.secrets.conftest import secrets_url

CANARY = "sk_test_fake_canary_4f1d"


def stored(sql, project_id) -> list[tuple]:
    """Every byte stored for the project's secrets: metadata and version rows."""
    return sql.execute("select s.id, s.name, s.version, v.version, v.ciphertext from project_secrets s"
                       " left join project_secret_versions v on v.secret_id = s.id"
                       " where s.project_id = %s order by s.id, v.version", (project_id,)).fetchall()


def upload(client, project, content, fmt="dotenv", on_conflict="fail", who="editor", dry_run=False):
    # json.dumps escapes to ASCII, so a lone surrogate travels as the JSON escape \\ud800.
    body = json.dumps({"format": fmt, "content": content, "on_conflict": on_conflict, "dry_run": dry_run})
    return client.post(secrets_url(project.id, "import"), content=body,
                       headers={**project.auth(who), "Content-Type": "application/json"})


def reveal(client, project, sid):
    return client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner")).json()["value"]


def test_dotenv_with_export_quotes_escapes_comments_and_multiline(client, project, sql):
    content = ("# a comment\n\nexport A_PLAIN=sk_test_fake_a # trailing comment\n"
               "B_SINGLE='sk test fake b'\nC_DOUBLE=\"line1\\nline2 \\\"q\\\"\"\n"
               "D_MULTI=\"first\nsecond\"\n")
    r = upload(client, project, content)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": ["A_PLAIN", "B_SINGLE", "C_DOUBLE", "D_MULTI"], "updated": [], "skipped": [], "dry_run": False}
    by_name = {s["name"]: s["id"] for s in client.get(secrets_url(project.id), headers=project.auth("owner")).json()["secrets"]}
    assert reveal(client, project, by_name["A_PLAIN"]) == "sk_test_fake_a"
    assert reveal(client, project, by_name["C_DOUBLE"]) == 'line1\nline2 "q"'
    assert reveal(client, project, by_name["D_MULTI"]) == "first\nsecond"
    actions = sql.execute("select action, metadata->>'result' from secret_audit_events where project_id = %s"
                          " and action = 'import'", (project.id,)).fetchall()
    assert actions == [("import", "created")] * 4


def test_one_bad_line_among_500_stores_nothing_and_names_the_line(client, project, sql):
    lines = [f"GOOD_{i}='sk_test_fake_{i}'" for i in range(500)]
    lines.insert(250, f"not a valid-name={CANARY}")
    r = upload(client, project, "\n".join(lines) + "\n")
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert "line 251" in r.json()["message"] and CANARY not in r.text
    assert stored(sql, project.id) == []


def test_every_bad_entry_is_reported_at_once(client, project):
    content = (f"1BAD={CANARY}\nOK_ONE=fine\nEMPTY=\nUNCLOSED='{CANARY}\n")
    r = upload(client, project, content)
    message = r.json()["message"]
    assert r.status_code == 422 and "line 1:" in message and "line 3:" in message and "line 4:" in message
    assert CANARY not in message and "1BAD" not in message


def test_json_reports_by_key_and_duplicates(client, project, sql):
    content = json.dumps({"OK": "v", "NUM": 5}) [:-1] + ', "ok": "again", "bad-name": "%s"}' % CANARY
    r = upload(client, project, content, fmt="json")
    message = r.json()["message"]
    assert r.status_code == 422 and "key NUM" in message and "key ok" in message and "entry 4" in message
    assert CANARY not in message and stored(sql, project.id) == []
    assert upload(client, project, json.dumps({"J1": "sk_test_fake_j"}), fmt="json").json()["created"] == ["J1"]


def test_conflict_modes(client, project, create, sql):
    sid = create(project, name="EXISTING", value="sk_test_fake_old")["id"]
    content = "EXISTING='sk_test_fake_new'\nFRESH='sk_test_fake_fresh'\n"
    before = stored(sql, project.id)
    refused = upload(client, project, content, on_conflict="fail")
    assert refused.status_code == 409 and "EXISTING" in refused.json()["message"]
    assert stored(sql, project.id) == before
    assert upload(client, project, content, on_conflict="skip").json() == {
        "created": ["FRESH"], "updated": [], "skipped": ["EXISTING"], "dry_run": False}
    assert reveal(client, project, sid) == "sk_test_fake_old"
    again = upload(client, project, content.replace("EXISTING", "existing"), on_conflict="overwrite")
    assert again.json() == {"created": [], "updated": ["EXISTING", "FRESH"], "skipped": [], "dry_run": False}
    assert reveal(client, project, sid) == "sk_test_fake_new"


def audit_count(sql, project_id) -> int:
    return sql.execute("select count(*) from secret_audit_events where project_id = %s", (project_id,)).fetchone()[0]


@pytest.mark.parametrize("on_conflict", ["skip", "overwrite"])
def test_a_dry_run_answers_as_the_import_would_and_writes_nothing(client, project, create, sql, on_conflict):
    create(project, name="EXISTING", value="sk_test_fake_old")
    content = f"EXISTING='{CANARY}'\nFRESH='sk_test_fake_fresh'\n"
    before, trail = stored(sql, project.id), audit_count(sql, project.id)
    dry = upload(client, project, content, on_conflict=on_conflict, dry_run=True)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert (stored(sql, project.id), audit_count(sql, project.id)) == (before, trail)
    assert CANARY not in dry.text
    real = upload(client, project, content, on_conflict=on_conflict)
    assert {**real.json(), "dry_run": True} == dry.json()


def test_a_dry_run_is_refused_exactly_as_the_import(client, project, create, container, sql):
    create(project, name="EXISTING")
    before = stored(sql, project.id)
    refused = upload(client, project, "EXISTING=v\n", dry_run=True)  # on_conflict fail
    assert (refused.status_code, refused.json()["message"]) == (409, "these secrets exist already: EXISTING")
    limit = container.service.limits.max_secrets_per_project
    full = upload(client, project, "".join(f"N_{i}=v\n" for i in range(limit)), dry_run=True)
    assert full.status_code == 409 and str(limit) in full.json()["message"]
    assert upload(client, project, "A=ok\nB\n", dry_run=True).status_code == 422
    assert upload(client, project, "NEW_ONE=v\n", who="viewer", dry_run=True).status_code == 403
    assert stored(sql, project.id) == before


def test_limits_hold_across_the_batch(client, project, create, container, sql):
    limit = container.service.limits.max_secrets_per_project
    create(project, name="ALREADY")
    full = "".join(f"N_{i}=v\n" for i in range(limit))  # limit new + 1 existing: one too many
    r = upload(client, project, full)
    assert r.status_code == 409 and str(limit) in r.json()["message"]
    big = "x" * (container.service.limits.max_value_bytes + 1)
    r = upload(client, project, f"SMALL=v\nHUGE={big}\n")
    assert r.status_code == 422 and "line 2" in r.json()["message"]
    assert len(stored(sql, project.id)) == 1


@pytest.mark.parametrize("content", [
    "A=" + "y" * 1_000_000,  # a 1 MB line
    f"A=ok\nB=nul\x00{CANARY}\n",  # NUL
    "\ud800BAD=surrogate\n",  # not encodable as UTF-8
    "".join(f"L_{i}=v\n" for i in range(10_000)),  # 10,000 lines
    "A=" + "y" * 1_100_000,  # past the 1 MiB body limit
], ids=["1mb-line", "nul", "invalid-utf8", "10k-lines", "over-1mib"])
def test_hostile_dotenv_gets_a_clean_4xx_and_changes_nothing(client, project, create, sql, content):
    create(project, name="KEEP")
    before = stored(sql, project.id)
    r = upload(client, project, content)
    assert r.status_code in (413, 422), r.text
    assert r.json()["error"] in ("payload_too_large", "validation_error") and CANARY not in r.text
    assert len(r.content) < 10_000
    assert stored(sql, project.id) == before


def test_raw_invalid_utf8_body_is_a_400(client, project):
    body = b'{"format": "dotenv", "content": "A=\xff\xfe", "on_conflict": "fail"}'
    r = client.post(secrets_url(project.id, "import"), content=body,
                    headers={**project.auth("editor"), "Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (400, "bad_request")


def test_the_import_body_may_pass_the_usual_limit(client, project):
    content = "".join(f"BIG_{i}='{'z' * 1000}'\n" for i in range(200))  # ~200 KB > 128 KiB
    r = upload(client, project, content)
    assert r.status_code == 200 and len(r.json()["created"]) == 200
    other = client.post(secrets_url(project.id), headers=project.auth("editor"),
                        json={"name": "X", "value": "z" * 200_000})
    assert other.status_code == 413
