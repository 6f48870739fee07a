"""`scripts/invoke FUNCTION`: `npx serverless invoke local` against the `scripts/dev` set-up,
with nothing to edit by hand.

It prepares what `meshhook-secrets dev` prepares (the embedded Postgres under .meshhook/,
the migrations, the demo project and keys in .meshhook/dev.json: reused if `dev` made them),
takes the function's sample event from tests/events/, aims it at the demo project with a
fresh token (the demo admin's, another role's with --as, or a workflow run's for
resolveSecrets) and, for the routes of one secret, at --secret-id or the project's first
secret by name. Then it runs the function with the environment a deployed one has.

FUNCTION is the serverless name (listSecrets) or the module (list_secrets).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/events: the sample events

from shared.auth.tokens import mint_runner_token, mint_user_token  # noqa: E402
from shared.cli.dev.embedded import start_embedded_postgres  # noqa: E402
from shared.cli.dev.server import load_or_create_dev_state, seed_demo  # noqa: E402
from shared.store.migrate import apply_migrations  # noqa: E402
from tests.events import EVENTS, load_event  # noqa: E402

SAMPLE_SECRET = "66666666-7777-4888-9999-000000000000"


def module_name(function: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", function).lower()


def serverless_name(module: str) -> str:
    head, *rest = module.split("_")
    return head + "".join(part.title() for part in rest)


def first_secret(dsn: str, project_id: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select id from public.project_secrets where project_id = %s order by name limit 1",
                           (project_id,)).fetchone()
    if row is None:
        raise SystemExit("scripts/invoke: the demo project has no secret yet: scripts/invoke createSecret")
    return str(row[0])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/invoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("function", help="e.g. listSecrets or list_secrets")
    parser.add_argument("--as", dest="role", default="admin", choices=["admin", "editor", "viewer"])
    parser.add_argument("--secret-id", help="for the routes of one secret (default: the first by name)")
    parser.add_argument("--data-dir", default=str(ROOT / ".meshhook"))
    args, extra = parser.parse_known_args(argv)  # the rest goes to `serverless invoke local`

    module = module_name(args.function)
    data_dir = Path(args.data_dir).resolve()
    state = load_or_create_dev_state(data_dir)
    dsn = start_embedded_postgres(data_dir / "pgdata")  # stops when this script ends
    apply_migrations(dsn, supabase_compat=True)
    seed_demo(dsn, state)

    project_id = state["project_id"]
    secret = state["jwt_secret"]
    if (EVENTS / f"{module}.json").is_file():
        if module == "resolve_secrets":
            token = mint_runner_token(secret, uuid.UUID(project_id), "run_invoke_local")
        else:
            token = mint_user_token(secret, uuid.UUID(state["users"][args.role]))
        needs_secret = SAMPLE_SECRET in (EVENTS / f"{module}.json").read_text()
        secret_id = (args.secret_id or first_secret(dsn, project_id)) if needs_secret else None
        event = load_event(module, project_id=project_id, token=token, secret_id=secret_id)
    else:
        event = {}  # rotateKeks: the scheduled event; pass -d '{"force": true}' to force
    event_file = data_dir / f"invoke-{module}.json"
    fd = os.open(event_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a token
    with os.fdopen(fd, "w") as f:
        json.dump(event, f, indent=2)

    venv_bin = str(Path(sys.executable).parent)  # invoke local runs `python3.11`: this venv's
    env = {**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}", "DATABASE_URL": dsn,
           "SUPABASE_JWT_SECRET": secret, "MESHHOOK_ROOT_KEY": state["root_key"],
           "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
           "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"}
    source = [] if "-d" in extra or "--data" in extra else ["-p", str(event_file)]
    command = ["npx", "serverless", "invoke", "local", "-f", serverless_name(module), *source, *extra]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
