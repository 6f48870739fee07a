"""Versions: each value its own version and DEK, the last N kept, older ones destroyed;
reveal of a kept version; rollback; delete destroys all; a moved ciphertext fails loudly."""

from __future__ import annotations

import pytest

from tests.secrets.conftest import secrets_url, version_count


def rotate(client, project, sid, value, who="owner"):
    r = client.put(secrets_url(project.id, sid), json={"value": value}, headers=project.auth(who))
    assert r.status_code == 200, r.text
    return r.json()["secret"]


def reveal(client, project, sid, **body):
    return client.post(secrets_url(project.id, sid, "reveal"), json=body or None, headers=project.auth("owner"))


def test_versions_newest_first_with_who_made_them(client, project, create):
    sid = create(project, name="V", value="sk_test_fake_v1", who="editor")["id"]
    rotate(client, project, sid, "sk_test_fake_v2", who="admin")
    r = client.get(secrets_url(project.id, sid, "versions"), headers=project.auth("viewer"))
    assert r.status_code == 200
    versions = r.json()["versions"]
    assert [(v["version"], v["current"]) for v in versions] == [(2, True), (1, False)]
    assert set(versions[0]) == {"version", "created_at", "created_by", "current"}
    admin, editor = project.members["admin"], project.members["editor"]
    assert versions[0]["created_by"] == {"type": "user", "id": str(admin), "email": f"{admin}@test.invalid"}
    assert versions[1]["created_by"]["id"] == str(editor)
    assert "sk_test_fake" not in r.text


def test_email_only_while_still_a_member(client, project, create, sql):
    sid = create(project, name="V", who="editor")["id"]
    sql.execute("delete from project_members where user_id = %s", (project.members["editor"],))
    [v] = client.get(secrets_url(project.id, sid, "versions"), headers=project.auth("viewer")).json()["versions"]
    assert v["created_by"] == {"type": "user", "id": str(project.members["editor"]), "email": None}


def test_only_the_last_ten_are_kept_and_older_ones_are_gone(client, project, create, sql):
    sid = create(project, name="V", value="sk_test_fake_v1")["id"]
    for i in range(2, 14):
        rotate(client, project, sid, f"sk_test_fake_v{i}")
    assert version_count(sql, sid) == 10
    kept = sql.execute("select version from project_secret_versions where secret_id = %s order by version",
                       (sid,)).fetchall()
    assert [k[0] for k in kept] == list(range(4, 14))
    assert reveal(client, project, sid, version=4).json() == {"value": "sk_test_fake_v4"}
    gone = reveal(client, project, sid, version=3)
    assert (gone.status_code, gone.json()["error"]) == (404, "not_found")


def test_reveal_an_older_version_is_audited_with_it(client, project, create, sql):
    sid = create(project, name="V", value="sk_test_fake_v1")["id"]
    rotate(client, project, sid, "sk_test_fake_v2")
    assert reveal(client, project, sid, version=1).json() == {"value": "sk_test_fake_v1"}
    assert reveal(client, project, sid, purpose="copy").json() == {"value": "sk_test_fake_v2"}
    rows = sql.execute("select action, metadata->>'version' from secret_audit_events where secret_id = %s"
                       " and action in ('reveal', 'copy') order by id", (sid,)).fetchall()
    assert rows == [("reveal", "1"), ("copy", "2")]


def test_rollback_is_a_new_version_with_the_old_value(client, project, create, sql):
    sid = create(project, name="V", value="sk_test_fake_v1")["id"]
    rotate(client, project, sid, "sk_test_fake_v2")
    before = sql.execute("select ciphertext, wrapped_dek from project_secret_versions"
                         " where secret_id = %s and version = 1", (sid,)).fetchone()
    r = client.post(secrets_url(project.id, sid, "rollback"), json={"version": 1},
                    headers={**project.auth("editor"), "If-Match": "2"})
    assert r.status_code == 200 and r.json()["secret"]["version"] == 3 and r.headers["etag"] == '"3"'
    assert "sk_test_fake" not in r.text
    assert reveal(client, project, sid).json() == {"value": "sk_test_fake_v1"}
    after = sql.execute("select ciphertext, wrapped_dek from project_secret_versions"
                        " where secret_id = %s and version = 3", (sid,)).fetchone()
    assert after[0] != before[0] and after[1] != before[1], "a fresh DEK, a fresh ciphertext"
    [(meta,)] = sql.execute("select metadata from secret_audit_events where secret_id = %s and action = 'rollback'",
                            (sid,)).fetchall()
    assert meta == {"version": 3, "from_version": 1}


@pytest.mark.parametrize(("if_match", "version", "status"), [("1", 1, 412), ("2", 7, 404), (None, 0, 422)])
def test_rollback_refusals_change_nothing(client, project, create, sql, if_match, version, status):
    sid = create(project, name="V", value="sk_test_fake_v1")["id"]
    rotate(client, project, sid, "sk_test_fake_v2")
    headers = {**project.auth("editor"), **({"If-Match": if_match} if if_match else {})}
    r = client.post(secrets_url(project.id, sid, "rollback"), json={"version": version}, headers=headers)
    assert r.status_code == status, r.text
    assert version_count(sql, sid) == 2
    assert client.get(secrets_url(project.id, sid), headers=project.auth("owner")).json()["secret"]["version"] == 2


def test_delete_destroys_every_version(client, project, create, sql):
    sid = create(project, name="V")["id"]
    for i in range(3):
        rotate(client, project, sid, f"sk_test_fake_d{i}")
    assert version_count(sql, sid) == 4
    assert client.delete(secrets_url(project.id, sid), headers=project.auth("editor")).status_code == 204
    assert version_count(sql, sid) == 0


def test_a_ciphertext_moved_to_another_version_fails_its_integrity_check(client, project, create, sql):
    sid = create(project, name="V", value="sk_test_fake_v1")["id"]
    rotate(client, project, sid, "sk_test_fake_v2")
    rotate(client, project, sid, "sk_test_fake_v3")
    # Version 2's ciphertext and DEK copied into version 3's row: both bound to version 2.
    sql.execute("update project_secret_versions t set ciphertext = f.ciphertext, wrapped_dek = f.wrapped_dek,"
                " kek_id = f.kek_id from project_secret_versions f where t.secret_id = %s and f.secret_id = t.secret_id"
                " and t.version = 3 and f.version = 2", (sid,))
    r = reveal(client, project, sid)
    assert (r.status_code, r.json()) == (500, {"error": "internal", "message": "internal error"})
    assert reveal(client, project, sid, version=2).json() == {"value": "sk_test_fake_v2"}
