"""A full lifecycle with every logger at DEBUG: the value is in no log line, no audit row,
no response but the reveal, and no output."""

from __future__ import annotations

import base64
import json
import logging

from tests.api.conftest import secrets_url

VALUE_1 = "fake-leak-canary-v1-93b1f0"
VALUE_2 = "fake-leak-canary-v2-5c7d2e"
VALUE_3 = "fake-leak-canary-v3-a81c07"  # imported, exported, in refused imports


def forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode(), value.encode().hex(), json.dumps(value)[1:-1]]


def test_value_appears_only_in_the_reveal(client, project, sql, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        owner = project.auth("owner")
        responses = []
        r = client.post(secrets_url(project.id), json={"name": "CANARY", "value": VALUE_1}, headers=owner)
        responses.append(r)
        sid = r.json()["secret"]["id"]
        responses.append(client.get(secrets_url(project.id), headers=owner))
        responses.append(client.get(secrets_url(project.id, sid), headers=owner))
        responses.append(client.put(secrets_url(project.id, sid), json={"value": VALUE_2}, headers=owner))
        # Refusals and errors that carry the value in their request must not echo it.
        responses.append(client.post(secrets_url(project.id), json={"name": "CANARY", "value": VALUE_1}, headers=owner))
        responses.append(client.post(secrets_url(project.id), json={"name": "bad name", "value": VALUE_1}, headers=owner))
        responses.append(client.post(secrets_url(project.id), json={"name": "X", "value": VALUE_1, "junk": VALUE_1},
                                     headers=owner))
        responses.append(client.put(secrets_url(project.id, sid), json={"value": VALUE_1},
                                    headers=project.auth("viewer")))
        reveal = client.post(secrets_url(project.id, sid, "reveal"), headers=owner)
        more, copied, exported = _lifecycle_requests(client, project, sid)
        responses += more
        responses.append(client.delete(secrets_url(project.id, sid), headers=owner))
    finally:  # each logger back to its own level (the service logger's INFO included)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)

    assert reveal.json() == {"value": VALUE_2}
    assert copied.json() == {"value": VALUE_2}
    assert VALUE_1 in exported.text and VALUE_3 in exported.text
    statuses = [r.status_code for r in responses]
    assert statuses == [201, 200, 200, 200, 409, 422, 422, 403, 200, 200, 200, 422, 422, 422, 200, 204]

    audit = sql.execute("select row_to_json(e)::text from secret_audit_events e where project_id = %s",
                        (project.id,)).fetchall()
    assert len(audit) >= 5  # create, rotate, denied update, reveal, delete
    out, err = capfd.readouterr()
    haystacks = {
        "logs": "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records),
        "audit": "\n".join(row[0] for row in audit),
        "responses": "\n".join(r.text + repr(r.headers) for r in responses),
        "output": out + err,
    }
    assert caplog.records, "DEBUG logging captured nothing: the test would prove nothing"
    for value in (VALUE_1, VALUE_2, VALUE_3):
        for form in forms(value):
            for where, text in haystacks.items():
                assert form not in text, f"value leaked into {where}"


def _lifecycle_requests(client, project, sid):
    """The lifecycle routes: versions, rollback, copy, import (good and refused), export, check."""
    owner = project.auth("owner")
    responses = []
    responses.append(client.get(secrets_url(project.id, sid, "versions"), headers=owner))
    responses.append(client.post(secrets_url(project.id, sid, "rollback"), json={"version": 1}, headers=owner))
    copied = client.post(secrets_url(project.id, sid, "reveal"), json={"version": 2, "purpose": "copy"},
                         headers=owner)
    imports = [f"IMPORTED='{VALUE_3}'\n", f"bad-name={VALUE_3}\nX=\n", f"U='{VALUE_3}\n"]
    for content in imports:
        responses.append(client.post(secrets_url(project.id, "import"), headers=owner,
                                     json={"format": "dotenv", "content": content, "on_conflict": "fail"}))
    responses.append(client.post(secrets_url(project.id, "import"), headers=owner,
                                 json={"format": "json", "content": '{"IMPORTED": "%s", "n": 1}' % VALUE_3,
                                       "on_conflict": "fail"}))
    exported = client.post(secrets_url(project.id, "export"), json={"format": "dotenv"}, headers=owner)
    responses.append(client.post(secrets_url(project.id, "check"), headers=owner,
                                 json={"config": {"a": "{{secrets.CANARY}} {{secrets.NOPE}}"}}))
    return responses, copied, exported
