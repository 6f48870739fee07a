"""The in-process worker API: one resolve per run, render, redact; unknown names named."""

from __future__ import annotations

import logging

import pytest

from shared.auth.principal import Principal
from shared.runtime.templating import UnknownSecretError
from shared.runtime.worker import RunSecrets, resolve_run_secrets
from shared.store.models import RequestInfo

STEPS = [
    {"headers": {"Authorization": "Bearer {{secrets.apiToken}}"}, "url": "https://x.test/{{ input.id }}"},
    {"body": {"password": "{{ secrets.DB_PASSWORD }}", "list": ["{{secrets.apiToken}}", 3]}},
]


@pytest.fixture
def stored(container, project):
    owner = project.principal("owner")
    for name, value in (("apiToken", "fake-api-token-123"), ("DB_PASSWORD", "fake-db-pass-456")):
        container.service.create(owner, RequestInfo(), project.id, name=name, value=value)
    return Principal("runner", project_id=project.id, run_id="run_worker")


def test_resolve_render_and_redact_a_run(container, project, stored, caplog):
    secrets = resolve_run_secrets(container.service, stored, project.id, STEPS)
    assert secrets.names == ["DB_PASSWORD", "apiToken"]
    assert "fake-" not in repr(secrets)
    first = secrets.render(STEPS[0])
    assert first == {"headers": {"Authorization": "Bearer fake-api-token-123"}, "url": "https://x.test/{{ input.id }}"}
    assert secrets.render(STEPS[1])["body"]["list"] == ["fake-api-token-123", 3]

    log = logging.getLogger("test.worker")
    log.addFilter(secrets.log_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.worker"):
            log.info("calling with %s", first["headers"])
    finally:
        log.removeFilter(secrets.log_filter)
    assert caplog.messages == ["calling with {'Authorization': 'Bearer [REDACTED]'}"]


def test_unknown_names_are_all_named_and_nothing_resolves(container, project, stored, sql):
    steps = [*STEPS, {"x": "{{secrets.NOPE_B}} {{secrets.NOPE_A}}"}]
    with pytest.raises(UnknownSecretError) as err:
        resolve_run_secrets(container.service, stored, project.id, steps)
    assert err.value.names == ["NOPE_A", "NOPE_B"]
    assert sql.execute("select count(*) from secret_audit_events where project_id = %s and action = 'resolve'",
                       (project.id,)).fetchone()[0] == 0


def test_a_run_without_placeholders_touches_nothing(container, project):
    runner = Principal("runner", project_id=project.id, run_id="run_plain")
    secrets = resolve_run_secrets(container.service, runner, project.id, {"url": "{{input.url}}"})
    assert isinstance(secrets, RunSecrets) and secrets.names == []
    assert secrets.render({"url": "{{input.url}}"}) == {"url": "{{input.url}}"}
