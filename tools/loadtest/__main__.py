"""`python -m tools.loadtest`: see the package's docstring."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import uuid

from tools.loadtest import __doc__ as DOC
from tools.loadtest.runner import LoadError, run_load


def _start_dev(data_dir: str) -> tuple[subprocess.Popen, str, str, str, str]:
    """`meshhook-secrets dev` in a subprocess: (process, base_url, admin, runner, project)."""
    from shared.auth.tokens import mint_runner_token

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MESHHOOK_REVEALS_PER_MINUTE": "1000000"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli.main", "dev", "--data-dir", data_dir, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        if "export API=" in line:
            words = dict(w.split("=", 1) for w in line.split() if "=" in w)
            break
    else:
        raise LoadError("the dev server exited before it was ready")
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    with open(os.path.join(data_dir, "dev.json")) as f:
        jwt_secret = json.load(f)["jwt_secret"]
    project = words["PROJECT"]
    runner = mint_runner_token(jwt_secret, uuid.UUID(project), "run_loadtest", ttl=3600)
    return process, words["API"], words["TOKEN"], runner, project


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.loadtest", description=DOC.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--seed", type=int)
    p.add_argument("--chaos", action="store_true",
                   help="restart Postgres twice and PgBouncer once, and take KMS down, during the load")
    p.add_argument("--kms-outage", type=float, default=10.0, help="seconds KMS is down in the chaos run")
    p.add_argument("--base-url", help="a running server (loopback); default: start `dev` in a temp dir")
    p.add_argument("--project")
    p.add_argument("--token", help="an admin's access token for the project")
    p.add_argument("--runner-token", help="a runner token for the project")
    return p


def _plain(args: argparse.Namespace, p: argparse.ArgumentParser) -> dict:
    if args.base_url:
        if not (args.project and args.token and args.runner_token):
            p.error("--base-url needs --project, --token and --runner-token")
        return run_load(args.base_url, args.token, args.runner_token, args.project,
                        clients=args.clients, seconds=args.seconds, seed=args.seed)
    data_dir = tempfile.mkdtemp(prefix="meshhook-load-")
    process, *target = _start_dev(data_dir)
    print(f"dev server on {target[0]}; {args.clients} clients for {args.seconds:g} s", flush=True)
    try:
        return run_load(*target, clients=args.clients, seconds=args.seconds, seed=args.seed)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    if args.chaos:
        from tools.loadtest.chaos import run_chaos

        if args.base_url:
            p.error("--chaos starts its own stack (it restarts the database): drop --base-url")
        result = run_chaos(clients=args.clients, seconds=args.seconds, seed=args.seed,
                           kms_outage=args.kms_outage, progress=lambda text: print(text, flush=True))
    else:
        result = _plain(args, p)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
