"""The reference check: the runtime's own placeholder grammar, on any nested config."""

from __future__ import annotations

from tests.secrets.conftest import secrets_url

CONFIG = {
    "url": "https://api.example.test/{{ secrets.BASE_PATH }}",
    "headers": {"Authorization": "Bearer {{secrets.STRIPE_KEY}}", "{{secrets.AS_KEY}}": "keys are not rendered"},
    "steps": [[{"deep": ["{{secrets.MISSING_ONE}} and {{secrets.stripe_key}}"]}], 3, None, True],
    "other": "{{input.customer_id}} {{ steps.x.output }}",
}


def check(client, project, config, headers):
    return client.post(secrets_url(project.id, "check"), json={"config": config}, headers=headers)


def test_nested_config_referenced_and_missing(client, project, create, runner):
    create(project, name="STRIPE_KEY")
    create(project, name="BASE_PATH")
    for headers in (project.auth("viewer"), runner(project)):
        r = check(client, project, CONFIG, headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"referenced": ["BASE_PATH", "MISSING_ONE", "STRIPE_KEY", "stripe_key"],
                            "missing": ["MISSING_ONE"]}


def test_scalars_and_empty_configs(client, project):
    for config in ("plain", 42, None, [], {}):
        assert check(client, project, config, project.auth("viewer")).json() == {"referenced": [], "missing": []}
    assert check(client, project, "{{secrets.ONLY}}", project.auth("viewer")).json() == {
        "referenced": ["ONLY"], "missing": ["ONLY"]}


def test_malformed_placeholder_is_a_422(client, project):
    r = check(client, project, {"a": "{{ secrets.my-key }}"}, project.auth("viewer"))
    assert (r.status_code, r.json()["error"]) == (422, "validation_error")
    assert "my-key" in r.json()["message"]


def test_deep_nesting_is_refused_cleanly(client, project):
    body = '{"config": ' + "[" * 5000 + "]" * 5000 + "}"
    r = client.post(secrets_url(project.id, "check"), content=body,
                    headers={**project.auth("viewer"), "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
