"""The x86_64 artifact as Lambda runs it (docs/operations.md#deploy): built by `npx serverless package
--param="arch=x86_64"`, unzipped, imported by a clean Python 3.11 that has nothing but the
artifact and boto3, and served with the environment serverless.yml gives each function
(`DB_POOL_MAX=1`) through PgBouncer in transaction mode. Every handler runs in a process of
its own (a container) and answers twice: cold (import, pool, keyring), then warm.

x86_64 because this machine can run it; the arm64 build is checked in test_contents.py.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

import psycopg
import pytest

from shared.auth.tokens import mint_runner_token
from tests.deploy.conftest import Artifact, record_figures, run_in_clean_python
from tests.events import load_event
from tests.support.postgres import add_project

# The routes the walk below calls cold and warm; the lifecycle routes (versions, rollback,
# import, export, check) are imported from the artifact but not walked yet.
WALKED = ("create_secret", "list_secrets", "get_secret", "update_secret", "delete_secret", "reveal_secret",
          "resolve_secrets", "audit_events", "get_project", "import_secrets", "export_secrets",
          "check_references", "list_versions", "rollback_secret")


@pytest.fixture(scope="module")
def x86(artifacts) -> Artifact:
    return artifacts["x86_64"]


@pytest.fixture(scope="module")
def deployed(x86, boto3_dir, pooled_server, tmp_path_factory):
    """A database migrated by the artifact's own code, and a caller for its handlers."""
    server, bouncer = pooled_server
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute('create database "deployed"')
    tmp = tmp_path_factory.mktemp("lambda")
    migrated = run_in_clean_python(x86.unzipped(), boto3_dir, {"migrate": server.dsn("deployed")}, {}, tmp)
    assert migrated["applied"], migrated  # the SQL shipped inside the zip
    jwt_secret = "test-jwt-secret-" + secrets.token_hex(16)
    app_env = {"DATABASE_URL": bouncer.conninfo("deployed"), "SUPABASE_JWT_SECRET": jwt_secret,
               "MESHHOOK_ROOT_KEY": base64.b64encode(os.urandom(32)).decode()}
    project_id, admin = add_project(server.dsn("deployed"), jwt_secret)
    deployed = Deployed(x86, boto3_dir, tmp, app_env, project_id, admin["Authorization"].removeprefix("Bearer "),
                        mint_runner_token(jwt_secret, project_id, "run_deploy_1"))
    deployed.direct_dsn = server.dsn("deployed")
    return deployed


class Deployed:
    def __init__(self, artifact: Artifact, boto3: Path, tmp: Path, app_env: dict, project_id, token: str,
                 runner: str) -> None:
        self.artifact, self.boto3, self.tmp, self.app_env = artifact, boto3, tmp, app_env
        self.project_id, self.token, self.runner = project_id, token, runner
        self.functions = {p["Handler"]: p for p in artifact.functions().values()}
        self.timings: dict[str, dict] = {}
        self.direct_dsn = ""

    def superuser(self, statement: str) -> None:
        """A statement underneath the service (direct, not through the pooler)."""
        with psycopg.connect(self.direct_dsn, autocommit=True) as conn:
            conn.execute(statement)

    def event(self, route: str, *, token: str | None = None, secret_id=None, body=None) -> dict:
        return load_event(route, project_id=self.project_id, token=token or self.token, secret_id=secret_id,
                          body=body)

    def container(self, module: str, events: list, **extra) -> list[dict]:
        """One cold container of a function: its handler imported, then each event in turn,
        with the environment its CloudFormation resource declares (plus the test's keys)."""
        handler = f"functions/{module}.handler"
        props = self.functions[handler]
        assert props["Runtime"] == "python3.11" and props["Architectures"] == ["x86_64"], props
        env = {**props["Environment"]["Variables"], **self.app_env,
               "AWS_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": module}
        result = run_in_clean_python(self.artifact.unzipped(), self.boto3,
                                     {"handler": handler, "events": events, **extra}, env, self.tmp)
        for name, where in result["origins"].items():
            if where:  # every library came from the artifact (boto3: from the runtime's)
                expected = self.boto3 if name == "boto3" else self.artifact.unzipped()
                assert Path(where).is_relative_to(expected), (name, where)
        assert not any("site-packages" in p for p in result["sys_path"]), result["sys_path"]
        calls = result["calls"]
        self.timings[module] = {"import_ms": round(result["import_ms"]),
                                "first_call_ms": round(calls[0]["ms"]), "warm_call_ms": round(calls[-1]["ms"])}
        return [c["response"] for c in calls]


def statuses(responses: list[dict]) -> list[int]:
    return [r["statusCode"] for r in responses]


def body(response: dict) -> dict:
    return json.loads(response["body"]) if response.get("body") else {}


def test_every_route_has_a_function_in_the_artifact(x86):
    from shared.api.app import ROUTE_NAMES

    handlers = {p["Handler"] for p in x86.functions().values()}
    assert handlers == {f"functions/{r}.handler" for r in (*ROUTE_NAMES, "rotate_keks")}
    assert set(WALKED) == set(ROUTE_NAMES)  # every route is walked below, cold and warm
    for props in x86.functions().values():
        pool = props["Environment"]["Variables"]["DB_POOL_MAX"]
        assert pool == ("2" if props["Handler"] == "functions/rotate_keks.handler" else "1"), props


def test_every_shipped_module_imports_from_the_artifact_alone(x86, boto3_dir, tmp_path):
    """No module in the zip needs a library the zip lacks (a new import without a line in
    deploy/requirements.txt fails here), and boto3 is the runtime's."""
    result = run_in_clean_python(x86.unzipped(), boto3_dir,
                                 {"import_all": ["shared", "functions"], "import_boto3": True}, {}, tmp_path)
    assert "shared.store.migrate" in result["imported"] and "functions.rotate_keks" in result["imported"]
    assert Path(result["origins"]["boto3"]).is_relative_to(boto3_dir)


def test_each_handler_serves_its_route_cold_and_warm_with_a_pool_of_one(deployed):
    d = deployed
    created = d.container("create_secret", [
        d.event("create_secret"),
        d.event("create_secret", body={"name": "OTHER_KEY", "value": "fake-other-value-0000"})])
    assert statuses(created) == [201, 201], created
    assert all(r["headers"]["cache-control"] == "no-store" for r in created)
    a, b = (body(r)["secret"]["id"] for r in created)

    got = d.container("get_secret", [d.event("get_secret", secret_id=a), d.event("get_secret", secret_id=b)])
    assert statuses(got) == [200, 200] and body(got[1])["secret"]["name"] == "OTHER_KEY"

    listed = d.container("list_secrets", [d.event("list_secrets")] * 2)
    assert statuses(listed) == [200, 200]
    assert [s["name"] for s in body(listed[1])["secrets"]] == ["OTHER_KEY", "STRIPE_API_KEY"]

    # The sample event rotates the value with If-Match: "1".
    updated = d.container("update_secret", [d.event("update_secret", secret_id=a),
                                            d.event("update_secret", secret_id=b)])
    assert statuses(updated) == [200, 200] and [body(r)["secret"]["version"] for r in updated] == [2, 2]

    revealed = d.container("reveal_secret", [d.event("reveal_secret", secret_id=a),
                                             d.event("reveal_secret", secret_id=b)])
    assert statuses(revealed) == [200, 200] and body(revealed[0]) == {"value": "fake-sk-test-0001"}

    resolved = d.container("resolve_secrets", [
        d.event("resolve_secrets", token=d.runner),
        d.event("resolve_secrets", token=d.runner, body={"names": ["STRIPE_API_KEY", "OTHER_KEY"]})])
    assert statuses(resolved) == [200, 200]
    assert body(resolved[1]) == {"secrets": {"STRIPE_API_KEY": "fake-sk-test-0001", "OTHER_KEY": "fake-sk-test-0001"}}

    audit = d.container("audit_events", [d.event("audit_events")] * 2)
    assert statuses(audit) == [200, 200]
    assert [e["action"] for e in body(audit[1])["events"]][:2] == ["resolve", "resolve"]

    project = d.container("get_project", [d.event("get_project")] * 2)
    assert statuses(project) == [200, 200] and body(project[0])["project"]["role"] == "admin"

    # `force` rotates a KEK older than the settle time (a minute): this one is made a day old.
    d.superuser("update public.secret_keks set created_at = created_at - interval '1 day' where state = 'active'")
    rotations = d.container("rotate_keks", [{"force": True}, {"force": True}], timeout_s=900)
    assert [r["rotated"] for r in rotations] == [True, False], rotations  # the new KEK is still settling
    assert rotations[0]["rewrapped"] >= 2, rotations  # every DEK of the 2 secrets (1 per kept version)
    assert all(r["complete"] and not r["pending"] for r in rotations), rotations

    # After the rotation the values still decrypt (their DEKs were re-wrapped), and go.
    after = d.container("reveal_secret", [d.event("reveal_secret", secret_id=b)])
    assert statuses(after) == [200] and body(after[0]) == {"value": "fake-sk-test-0001"}
    deleted = d.container("delete_secret", [d.event("delete_secret", secret_id=a),
                                            d.event("delete_secret", secret_id=b)])
    assert statuses(deleted) == [204, 204]

    record_figures({"x86_64_containers": d.timings})
    first = d.timings["create_secret"]
    print(f"\ncold container, create_secret: import {first['import_ms']} ms, first request "
          f"{first['first_call_ms']} ms (pool + keyring + response), warm {first['warm_call_ms']} ms")


def test_the_lifecycle_handlers_serve_cold_and_warm_with_a_pool_of_one(deployed):
    """Import, check, versions, rollback and export: each its own cold container."""
    d = deployed
    imported = d.container("import_secrets", [
        d.event("import_secrets"),  # IMPORTED_KEY, on_conflict fail
        d.event("import_secrets", body={"format": "dotenv", "content": "IMPORTED_KEY=sk_test_fake_import_0002\n",
                                        "on_conflict": "overwrite"})])
    assert statuses(imported) == [200, 200], imported
    listed = d.container("list_secrets", [d.event("list_secrets")])
    sid = next(s["id"] for s in body(listed[0])["secrets"] if s["name"] == "IMPORTED_KEY")

    checked = d.container("check_references", [d.event("check_references")] * 2)
    assert statuses(checked) == [200, 200] and body(checked[1])["missing"] == []

    versions = d.container("list_versions", [d.event("list_versions", secret_id=sid)] * 2)
    assert statuses(versions) == [200, 200]
    assert [v["version"] for v in body(versions[1])["versions"]] == [2, 1]

    rollback = d.event("rollback_secret", secret_id=sid)  # to version 1
    rollback["headers"]["if-match"] = '"2"'
    rolled = d.container("rollback_secret", [rollback, rollback])
    assert statuses(rolled) == [200, 412], rolled  # the second is stale: the first made version 3
    assert body(rolled[0])["secret"]["version"] == 3

    exported = d.container("export_secrets", [d.event("export_secrets")] * 2)
    assert statuses(exported) == [200, 200]
    assert json.loads(exported[1]["body"])["IMPORTED_KEY"] == "sk_test_fake_import_0001"  # rolled back to v1
