"""Fuzz every route from the OpenAPI document (issue #7): schemathesis 4 against the app
in-process, with valid tokens of a real project, so most cases get past authentication
and reach the service: no 5xx, and every response (status, content type, body) is one
the document declares. Positive and negative (schema-violating) cases both.

The path's project_id is usually the fuzzed project's, and secret_id usually one of its
secrets, so the fuzzer exercises the real operations; sometimes they stay random.
(Hypothesis is driven directly, one test per operation: schemathesis's own pytest
plugin, `from_fixture`, does not work with pytest 9.)
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from shared.api.app import create_app
from shared.auth.tokens import mint_runner_token

# Per operation. The seed is fixed (CI must not flake); MESHHOOK_FUZZ_RANDOM=1 with more
# examples explores further by hand, e.g. MESHHOOK_FUZZ_RANDOM=1 MESHHOOK_FUZZ_EXAMPLES=1000.
EXAMPLES = int(os.environ.get("MESHHOOK_FUZZ_EXAMPLES", "100"))
FIXED_SEED = not os.environ.get("MESHHOOK_FUZZ_RANDOM")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, unsupported_method]
# Not negative_data_rejection: map_case below turns some schema-violating cases valid.

# Every operation in the document (building the document needs no database).
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, item in create_app(container=lambda: None).fastapi.openapi()["paths"].items()
    for method in item
)


def _pick(generated: object, choices: list[str]) -> object:
    """A real id for most drawn UUIDs (chosen by the draw, so Hypothesis can replay it);
    the drawn value itself for 1 in 8, and for anything that is not a UUID."""
    try:
        drawn = uuid.UUID(str(generated))
    except ValueError:
        return generated
    if drawn.int % 8 == 0:
        return generated
    return choices[drawn.int % len(choices)]


@pytest.fixture
def api_schema(app, make_project, client, jwt_secret):
    project = make_project("fuzzed")
    secret_ids, names = [], []
    for i in range(6):
        r = client.post(f"/api/projects/{project.id}/secrets", json={"name": f"FUZZ_{i}", "value": f"fake-{i}"},
                        headers=project.auth("owner"))
        assert r.status_code == 201, r.text
        secret_ids.append(r.json()["secret"]["id"])
        names.append(f"FUZZ_{i}")

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    admin = project.auth("owner")["Authorization"]
    runner = f"Bearer {mint_runner_token(jwt_secret, project.id, 'run_fuzz', ttl=3600)}"

    @schema.hook
    def map_case(context, case):
        params = case.path_parameters or {}
        if "project_id" in params:
            params["project_id"] = _pick(params["project_id"], [str(project.id)])
        if "secret_id" in params:
            params["secret_id"] = _pick(params["secret_id"], secret_ids)
        headers = dict(case.headers or {})
        headers["Authorization"] = runner if case.operation.path.endswith("/resolve") else admin
        if len(str(headers.get("If-Match", ""))) % 2:  # a random If-Match is mostly 400: keep half
            headers.pop("If-Match")
        case.headers = headers
        body = case.body
        if (case.operation.path.endswith("/resolve") and isinstance(body, dict)
                and isinstance(body.get("names"), list) and len(body["names"]) % 2):
            body["names"] = names[: 1 + len(body["names"]) % 3]  # real names, for some cases
        if (case.operation.path.endswith("/import") and isinstance(body, dict)
                and isinstance(body.get("content"), str) and len(body["content"]) % 2):
            body.update(format="dotenv", on_conflict="overwrite", content="FUZZ_0=fake-imported\n")
        return case

    return schema


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_route_under_fuzzing(api_schema, label: str) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    statuses: list[int] = []

    @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE)))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=FIXED_SEED,
              suppress_health_check=list(HealthCheck))
    def fuzz(case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)
        assert response.headers.get("cache-control") == ["no-store"], response.headers
        if response.status_code >= 400:
            assert set(response.json()) == {"error", "message"}, response.text

    fuzz()
    # The real ids took the fuzzer past the 404 of an unknown project into the service.
    if "{project_id}" in label:
        assert any(s < 300 for s in statuses), statuses


# Regressions: what the fuzzer found, pinned so the fixed seed need not find it again.

def test_nul_in_audit_filters_is_a_422_not_a_500(client, project) -> None:
    for query in ("action=%00", "actor=a%00b"):
        r = client.get(f"/api/projects/{project.id}/secrets/audit?{query}", headers=project.auth("owner"))
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "validation_error"


def test_nul_in_user_agent_is_dropped_not_a_500(app, project, sql) -> None:
    """uvicorn refuses the byte itself, but an ASGI server or an API Gateway event may not."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b'{"name": "UA", "value": "fake-ua"}', "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    path = f"/api/projects/{project.id}/secrets"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1234),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"authorization", project.auth("owner")["Authorization"].encode()),
                         (b"user-agent", b"agent\x00/1.0")]}
    # In a thread of its own: another test's event loop may still be running in this one.
    worker = threading.Thread(target=asyncio.run, args=(app(scope, receive, send),))
    worker.start()
    worker.join(timeout=30)
    assert sent[0]["status"] == 201, sent
    assert sql.execute("select user_agent from secret_audit_events where project_id = %s and action = 'create'",
                       (project.id,)).fetchone()[0] == "agent/1.0"
