"""Runs inside a clean interpreter (`python -I -S`) what Lambda's python3.11 runtime does
with an unzipped function: import the handler from the artifact alone (plus boto3, which
the runtime provides) and invoke it with events, one after the other, in one process (one
warm container). Not a test module: tests/deploy/test_artifact.py starts it.

Input: a JSON file named by argv[1]:
  {"path": [artifact dir, boto3 dir], "handler": "functions/x.handler", "events": [...]}
  or {"path": [...], "import_all": ["shared", "functions"]}
  or {"path": [...], "migrate": DSN}
Output: one JSON object on stdout (timings in ms, each response, where modules came from).
"""

import json
import sys
import time

# Before any third-party import: the artifact first, then the boto3 that Lambda provides.
spec = json.loads(open(sys.argv[1]).read())
sys.path[:0] = spec["path"]


class Context:
    """The parts of Lambda's context object that handlers read."""

    function_name = "meshhook-secrets-test"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    memory_limit_in_mb = 512

    def __init__(self, timeout_s: float) -> None:
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def origin(name: str) -> str:
    module = sys.modules.get(name)
    return getattr(module, "__file__", None) or ""


def run_handler() -> dict:
    import importlib

    module_name, _, attr = spec["handler"].rpartition(".")
    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name.replace("/", ".")), attr)
    imported = time.perf_counter()
    calls = []
    for event in spec["events"]:
        t0 = time.perf_counter()
        response = handler(event, Context(spec.get("timeout_s", 10)))
        calls.append({"ms": (time.perf_counter() - t0) * 1000, "response": response})
    return {"import_ms": (imported - started) * 1000, "calls": calls}


def import_all() -> dict:
    import importlib
    import pkgutil

    imported = []
    for top in spec["import_all"]:
        package = importlib.import_module(top)
        imported.append(top)
        for info in pkgutil.walk_packages(package.__path__, prefix=top + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    return {"imported": imported}


def migrate() -> dict:
    from shared.store.migrate import apply_migrations

    return {"applied": apply_migrations(spec["migrate"], supabase_compat=True)}


if "handler" in spec:
    result = run_handler()
elif "import_all" in spec:
    result = import_all()
else:
    result = migrate()
result["origins"] = {name: origin(name) for name in
                     ("fastapi", "pydantic_core", "psycopg", "psycopg_binary", "cryptography", "jwt", "shared")}
if spec.get("import_boto3"):  # the KMS root key's client, as the runtime provides it
    import boto3  # noqa: F401

    result["origins"]["boto3"] = origin("boto3")
result["sys_path"] = sys.path
print(json.dumps(result, default=str))
