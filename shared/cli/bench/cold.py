"""Cold start figures: what a fresh Lambda container pays before its first answer.

- The import of each handler module, against `import fastapi, mangum` (the floor any
  FastAPI-on-Lambda handler pays; goal: at most 1.2x).
- The first request of a handler in a fresh interpreter: import, pool, keyring and the
  response to a resolve event, against a bare FastAPI + Mangum app that connects and runs
  the same SELECT plus one audit INSERT, committed, in one round trip.

Each figure is the best of several fresh subprocesses, interpreter start included on both
sides, and each is timed in turns with its own floor (floor, handler, handler, floor...):
on a shared machine whose speed drifts over the minute this takes, a floor timed once at
the start would be compared with handlers timed at another speed. Bytecode is compiled
first, as the package step would (Lambda's /var/task is read-only, so nothing would cache
it there).
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from shared.auth.tokens import mint_runner_token
from shared.cli.bench.stats import best_in_turns
from shared.config import Settings

Row = dict[str, object]
ROOT = Path(__file__).resolve().parents[3]

_FIRST_REQUEST = """
import json, sys
import functions.resolve_secrets as handler_module
response = handler_module.handler(json.loads(sys.argv[1]), None)
assert response["statusCode"] == 200, response
"""

# The bare app imports nothing of the service: FastAPI, Mangum, psycopg, one route.
_BARE_REQUEST = """
import json, os, sys
import fastapi, mangum, psycopg

app = fastapi.FastAPI()

@app.post("/api/projects/{project_id}/secrets/resolve")
def resolve(project_id: str, body: dict = fastapi.Body(...)):
    lowered = [n.lower() for n in body["names"]]
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=None) as conn:
        cur = psycopg.ClientCursor(conn)
        cur.execute("; ".join([
            "begin",
            cur.mogrify("select s.name, v.ciphertext from public.project_secrets s join public.project_secret_versions v"
                        " on v.secret_id = s.id and v.version = s.version where s.project_id = %s"
                        " and lower(s.name) = any(%s::text[])", (project_id, lowered)),
            cur.mogrify("insert into public.secret_audit_events (project_id, actor_type, action, outcome)"
                        " values (%s, 'runner', 'resolve', 'success')", (project_id,)),
            "commit"]))
        cur.nextset()
        return {"secrets": {name: bytes(ct).hex() for name, ct in cur.fetchall()}}

response = mangum.Mangum(app, lifespan="off")(json.loads(sys.argv[1]), None)
assert response["statusCode"] == 200, response
"""


def _event(project_id: uuid.UUID, token: str, names: list[str]) -> str:
    path = f"/api/projects/{project_id}/secrets/resolve"
    return json.dumps({
        "version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": "",
        "headers": {"authorization": f"Bearer {token}", "content-type": "application/json",
                    "host": "bench.execute-api.local", "user-agent": "meshhook-bench"},
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "bench.execute-api.local",
                           "domainPrefix": "bench", "requestId": str(uuid.uuid4()), "routeKey": f"POST {path}",
                           "stage": "$default", "time": "02/Dec/2026:12:00:00 +0000", "timeEpoch": 1796212800000,
                           "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.10", "userAgent": "meshhook-bench"}},
        "pathParameters": {"project_id": str(project_id)}, "isBase64Encoded": False,
        "body": json.dumps({"names": names}),
    })


def _best(args: list[str], runs: int, env: dict[str, str]) -> float:
    return _best_in_turns([args], runs, env)[0]


def _best_in_turns(commands: list[list[str]], runs: int, env: dict[str, str]) -> list[float]:
    """Each command's best time in a fresh interpreter, over `runs` rounds taken in turns."""
    def start(args: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run([sys.executable, *args], check=True, cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL)

    return best_in_turns([start(args) for args in commands], repeat=1, rounds=runs)


def bench_cold_start(quick: bool, settings: Settings, project_id: uuid.UUID, names: list[str]) -> list[Row]:
    from shared.api.app import ROUTE_NAMES

    for folder in ("shared", "functions"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)
    runs = 2 if quick else 5
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    empty = _best(["-c", "pass"], runs, env)
    framework = _best(["-c", "import fastapi"], runs, env)
    floor_args = ["-c", "import fastapi, mangum"]
    floor = _best(floor_args, runs, env)
    rows: list[Row] = [
        {"bench": "cold import fastapi alone (reference)", "baseline": "empty interpreter",
         "baseline_ms": empty * 1e3, "measured_ms": framework * 1e3, "ratio": framework / empty, "goal": ""},
        {"bench": "cold import fastapi, mangum (the floor)", "baseline": "empty interpreter",
         "baseline_ms": empty * 1e3, "measured_ms": floor * 1e3, "ratio": floor / empty, "goal": ""},
    ]
    handlers = [*ROUTE_NAMES, *(["rotate_keks"] if (ROOT / "functions" / "rotate_keks.py").exists() else [])]
    for name in handlers:
        own_floor, t = _best_in_turns([floor_args, ["-c", f"import functions.{name}"]], runs, env)
        rows.append({"bench": f"cold import functions.{name}", "baseline": "import fastapi, mangum",
                     "baseline_ms": own_floor * 1e3, "measured_ms": t * 1e3, "ratio": t / own_floor, "target": 1.2,
                     "goal": f"import {1e3 * (t - empty):.0f} ms"})
    secret = settings.supabase_jwt_secret.get_secret_value()
    event = _event(project_id, mint_runner_token(secret, project_id, "bench-cold", ttl=3600), names[:10])
    env = {**env, "DATABASE_URL": settings.database_url.get_secret_value(), "SUPABASE_JWT_SECRET": secret,
           "MESHHOOK_ROOT_KEY": settings.meshhook_root_key.get_secret_value(), "DB_POOL_MAX": "1"}
    bare, first = _best_in_turns([["-c", _BARE_REQUEST, event], ["-c", _FIRST_REQUEST, event]], runs, env)
    rows.append({"bench": "cold first request, resolve_secrets", "baseline": "bare FastAPI + Mangum, same SQL",
                 "baseline_ms": bare * 1e3, "measured_ms": first * 1e3, "ratio": first / bare, "target": 1.2,
                 "goal": "import + pool + keyring + response (goal by analogy with the import's)"})
    return rows
