"""On Lambda: Powertools log lines with the invocation's context, and one EMF line per
invocation in the MeshHookSecrets namespace (docs/operations.md#alarms-and-metrics)."""

from __future__ import annotations

import base64
import importlib
import json
import os
from dataclasses import dataclass

import pytest

from shared.keys.keystore import RootKeyMismatch
from tests.api.conftest import load_event


@dataclass
class FakeLambdaContext:
    """The attributes of the runtime's context object that Powertools reads."""

    aws_request_id: str = "5a8e1a4c-0000-4000-8000-fa4e1a3b1d01"
    function_name: str = "meshhook-secrets-test-fn"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:meshhook-secrets-test-fn"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def emf_lines(stdout: str) -> list[dict]:
    out = []
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            out.append(json.loads(line))
    return out


def test_an_http_handler_logs_with_the_request_id_and_writes_emf(lambda_env, project, logs, capsys):
    handler = importlib.import_module("functions.list_secrets").handler
    event = load_event("list_secrets", project_id=project.id, token=project.tokens["viewer"])
    context = FakeLambdaContext()
    capsys.readouterr()
    response = handler(event, context)
    assert response["statusCode"] == 200

    gateway_id = event["requestContext"]["requestId"]
    assert response["headers"]["x-request-id"] == gateway_id
    line = logs.one_request(gateway_id)
    assert line["function_request_id"] == context.aws_request_id
    assert line["function_name"] == context.function_name and "cold_start" in line
    assert (line["route"], line["caller_kind"], line["project_id"]) == ("list_secrets", "user", str(project.id))
    assert project.tokens["viewer"] not in logs.text

    [emf] = emf_lines(capsys.readouterr().out)
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "MeshHookSecrets"
    assert ["service"] in directive["Dimensions"] and ["service", "route", "status"] in directive["Dimensions"]
    assert {m["Name"] for m in directive["Metrics"]} == {"Requests", "ServerErrors", "Latency"}
    assert (emf["route"], emf["status"], emf["service"]) == ("list_secrets", "200", "meshhook-secrets")
    assert emf["Requests"] in (1, [1]) and emf["ServerErrors"] in (0, [0])


def test_a_refused_invocation_counts_the_auth_failure(lambda_env, project, capsys):
    handler = importlib.import_module("functions.get_project").handler
    event = load_event("get_project", project_id=project.id, token="eyJhbGciOiJub25lIn0.e30.")
    capsys.readouterr()
    assert handler(event, FakeLambdaContext())["statusCode"] == 401
    [emf] = emf_lines(capsys.readouterr().out)
    assert emf["AuthFailures"] in (1, [1]) and emf["status"] == "401"


def test_a_request_id_that_is_not_an_id_is_replaced(lambda_env, project, logs):
    handler = importlib.import_module("functions.get_project").handler
    event = load_event("get_project", project_id=project.id, token=project.tokens["owner"])
    event["requestContext"]["requestId"] = "forged\nlevel=ERROR"
    response = handler(event, FakeLambdaContext(aws_request_id="9f3d2c1b-1111-4222-8333-444455556666"))
    # Lambda's own id is the next choice; the forged one is nowhere.
    assert response["headers"]["x-request-id"] == "9f3d2c1b-1111-4222-8333-444455556666"
    assert "forged" not in logs.text


def test_the_rotation_job_logs_progress_and_writes_its_metrics(lambda_env, fresh_dsn, monkeypatch, logs, capsys):
    from shared.config import get_settings
    from shared.container import default_container

    monkeypatch.setenv("DATABASE_URL", fresh_dsn)  # a database of its own: the job makes its first KEK
    get_settings.cache_clear()
    default_container.cache_clear()
    fn = importlib.import_module("functions.rotate_keks")
    capsys.readouterr()
    summary = fn.handler({"source": "aws.events"}, FakeLambdaContext())
    assert summary["rotated"] is True

    progress = [line for line in logs.lines() if line["message"] == "kek_rotation"]
    assert [p["event"] for p in progress][0] == "start" and progress[-1]["event"] == "end"
    assert all(p["function_request_id"] == FakeLambdaContext.aws_request_id for p in progress)
    [emf] = emf_lines(capsys.readouterr().out)
    names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"KekAgeDays", "Rotations"} <= names and "RotationFailures" not in names
    assert emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_a_failed_rotation_is_counted(lambda_env, fresh_dsn, monkeypatch, capsys):
    fn = importlib.import_module("functions.rotate_keks")
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    use_root_key(monkeypatch, lambda_env["MESHHOOK_ROOT_KEY"])
    assert fn.handler({}, FakeLambdaContext())["rotated"] is True  # the first KEK
    use_root_key(monkeypatch, base64.b64encode(os.urandom(32)).decode())
    capsys.readouterr()
    with pytest.raises(RootKeyMismatch):
        fn.handler({}, FakeLambdaContext())
    [emf] = emf_lines(capsys.readouterr().out)
    assert emf["RotationFailures"] in (1, [1])


def use_root_key(monkeypatch, root_key: str) -> None:
    from shared.config import get_settings
    from shared.container import default_container

    monkeypatch.setenv("MESHHOOK_ROOT_KEY", root_key)
    get_settings.cache_clear()
    try:
        default_container().close()
    finally:
        default_container.cache_clear()
