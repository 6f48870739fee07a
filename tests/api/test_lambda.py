"""Every endpoint through its own Lambda handler, fed API Gateway v2 events."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

from shared.auth.tokens import mint_runner_token
from tests.api.conftest import EVENTS, load_event

ROOT = Path(__file__).resolve().parents[2]


def invoke(name: str, event: dict) -> dict:
    module = importlib.import_module(f"functions.{name}")
    return module.handler(event, None)


def body(response: dict) -> dict:
    return json.loads(response["body"]) if response.get("body") else {}


def test_every_route_has_a_handler_module_and_a_sample_event():
    from shared.api.app import ROUTE_NAMES

    for name in ROUTE_NAMES:
        assert (ROOT / "functions" / f"{name}.py").is_file(), name
        assert (EVENTS / f"{name}.json").is_file(), name
    serverless = (ROOT / "serverless.yml").read_text()
    for name in ROUTE_NAMES:
        assert f"functions/{name}.handler" in serverless, name


def test_lifecycle_through_lambda_handlers(lambda_env, project, jwt_secret):
    token = project.tokens["owner"]
    created = invoke("create_secret", load_event("create_secret", project_id=project.id, token=token))
    assert created["statusCode"] == 201, created
    assert created["headers"]["cache-control"] == "no-store"
    sid = body(created)["secret"]["id"]
    assert body(created)["secret"]["name"] == "STRIPE_API_KEY"

    listed = invoke("list_secrets", load_event("list_secrets", project_id=project.id, token=token))
    assert [s["name"] for s in body(listed)["secrets"]] == ["STRIPE_API_KEY"]

    got = invoke("get_secret", load_event("get_secret", project_id=project.id, token=token, secret_id=sid))
    assert got["statusCode"] == 200 and body(got)["secret"]["id"] == sid

    updated = invoke("update_secret", load_event("update_secret", project_id=project.id, token=token, secret_id=sid))
    assert updated["statusCode"] == 200 and body(updated)["secret"]["version"] == 2
    stale = invoke("update_secret", load_event("update_secret", project_id=project.id, token=token, secret_id=sid))
    assert stale["statusCode"] == 412  # the sample event says If-Match: "1"

    revealed = invoke("reveal_secret", load_event("reveal_secret", project_id=project.id, token=token, secret_id=sid))
    assert body(revealed) == {"value": "fake-sk-test-0001"}

    runner = mint_runner_token(jwt_secret, project.id, "run_lambda_1")
    resolved = invoke("resolve_secrets", load_event("resolve_secrets", project_id=project.id, token=runner))
    assert body(resolved) == {"secrets": {"STRIPE_API_KEY": "fake-sk-test-0001"}}

    audit = invoke("audit_events", load_event("audit_events", project_id=project.id, token=token))
    events = body(audit)["events"]
    assert [e["action"] for e in events][:3] == ["resolve", "reveal", "rotate"]
    assert events[0]["ip_address"] == "203.0.113.10" and events[0]["user_agent"] == "meshhook-worker/1.0"

    proj = invoke("get_project", load_event("get_project", project_id=project.id, token=token))
    assert body(proj)["project"]["role"] == "admin"

    deleted = invoke("delete_secret", load_event("delete_secret", project_id=project.id, token=token, secret_id=sid))
    assert deleted["statusCode"] == 204


def test_a_handler_serves_only_its_own_route(lambda_env, project):
    # The list handler given a create event: that route does not exist in this function.
    event = load_event("create_secret", project_id=project.id, token=project.tokens["owner"])
    response = invoke("list_secrets", event)
    assert response["statusCode"] == 405
    assert body(response)["error"] == "bad_request"


def test_handler_refuses_forged_token(lambda_env, project):
    event = load_event("list_secrets", project_id=project.id, token="eyJhbGciOiJub25lIn0.e30.")
    response = invoke("list_secrets", event)
    assert response["statusCode"] == 401 and body(response)["error"] == "unauthorized"


def test_serverless_invoke_local(env, project):
    """`npx serverless invoke local` runs a real handler with a sample event."""
    assert (ROOT / "node_modules" / "serverless").is_dir(), "scripts/test installs the serverless CLI"
    event = load_event("list_secrets", project_id=project.id, token=project.tokens["viewer"])
    event_path = ROOT / "test-output" / "invoke-list.json"
    event_path.parent.mkdir(exist_ok=True)
    event_path.write_text(json.dumps(event))
    venv_bin = str(Path(sys.executable).parent)
    run_env = {**os.environ, **env, "PATH": f"{venv_bin}:{os.environ['PATH']}",
               "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "AWS_REGION": "us-east-1"}
    out = subprocess.run(["npx", "serverless", "invoke", "local", "-f", "listSecrets", "-p", str(event_path)],
                         cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # Before the response: the request's log line and its EMF metrics line, one JSON object each.
    start = out.stdout.index('{\n    "statusCode"')
    response = json.loads(out.stdout[start:out.stdout.rindex("}") + 1])
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"secrets": []}


def test_a_function_builds_only_its_own_route():
    from shared.api.app import create_app

    app = create_app(only=["reveal_secret"], observe=False).fastapi
    operations = {op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()}
    assert operations == {"reveal_secret"}


# Cold start: what a handler's import (and its app's build) must not load. Each is either
# not needed by a route (the dev server, the worker client, Prometheus) or only by some
# deployments (boto3: a KMS root key), or replaced by something cheaper (pydantic-settings).
NOT_ON_A_COLD_START = ("boto3", "botocore", "pydantic_settings", "httpx", "uvicorn", "prometheus_client",
                       "shared.cli", "tools")


def test_a_cold_handler_loads_only_what_its_route_needs(tmp_path):
    code = ("import sys, functions.get_secret\n"
            "from shared.api.app import create_app\n"
            "create_app(only=['get_secret'], observe=False)\n"
            "print(' '.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                            cwd=ROOT).stdout.split()
    unwanted = sorted(m for m in loaded if m.split(".")[0] in NOT_ON_A_COLD_START
                      or any(m == p or m.startswith(p + ".") for p in NOT_ON_A_COLD_START))
    assert unwanted == []


def test_every_handler_leaves_the_collector_running_with_the_import_frozen():
    # functions/ pauses the collector for the cold import (shared/coldstart.py); a handler
    # that forgot to resume it would leak every reference cycle for the container's life.
    from shared.api.app import ROUTE_NAMES

    code = ("import gc, importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    importlib.import_module('functions.' + name)\n"
            "    assert gc.isenabled(), name\n"
            "print(gc.get_freeze_count())")
    frozen = subprocess.run([sys.executable, "-c", code, *ROUTE_NAMES, "rotate_keks"], check=True,
                            capture_output=True, text=True, cwd=ROOT).stdout
    assert int(frozen) > 100_000  # the framework's objects, out of every later collection
