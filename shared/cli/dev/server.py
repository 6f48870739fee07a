"""`meshhook-secrets dev`: everything a laptop needs, in one command.

An embedded Postgres with its data under `.meshhook/`, the migrations, and on first run
a demo project with three users (owner/admin, editor, viewer) and fresh dev keys, kept
in `.meshhook/dev.json` (mode 0600) and reused on later runs. Then the API and the UI
are served on 127.0.0.1 and a login URL per demo user is printed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import sys
import uuid
from pathlib import Path

import psycopg

from shared.cli.dev.embedded import start_embedded_postgres
from shared.store.migrate import apply_migrations

DEMO_ROLES = ("admin", "editor", "viewer")


def load_or_create_dev_state(data_dir: Path) -> dict:
    path = data_dir / "dev.json"
    if path.exists():
        return json.loads(path.read_text())
    state = {
        "jwt_secret": secrets.token_urlsafe(48),
        "root_key": base64.b64encode(os.urandom(32)).decode(),
        "project_id": str(uuid.uuid4()),
        "users": {role: str(uuid.uuid4()) for role in DEMO_ROLES},
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, indent=2)
    return state


def seed_demo(dsn: str, state: dict) -> None:
    users = state["users"]
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        for role, user_id in users.items():
            conn.execute("insert into auth.users (id, email) values (%s, %s) on conflict do nothing",
                         (user_id, f"{role}@demo.meshhook.local"))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'Demo project')"
                     " on conflict do nothing", (state["project_id"], users["admin"]))
        for role in ("editor", "viewer"):
            conn.execute("insert into public.project_members (project_id, user_id, role)"
                         " values (%s, %s, %s) on conflict do nothing",
                         (state["project_id"], users[role], role))


def dev_app(app):
    """The app `dev` serves: the API and UI of `serve`, plus `GET /api/dev-config`
    `{"dev_login": true}`. The UI accepts a token from a `#access_token=` link (the printed
    demo logins) only when that says so: under `serve` it is 404, so a link crafted by
    someone else cannot sign a user into the attacker's account (login CSRF)."""
    from fastapi.routing import APIRoute

    def dev_config() -> dict[str, bool]:
        return {"dev_login": True}

    # Before the UI's catch-all route, which answers every other /api/ path with 404.
    app.fastapi.router.routes.insert(0, APIRoute("/api/dev-config", dev_config, methods=["GET"],
                                                 include_in_schema=False, name="dev_config"))
    return app


def run_dev(data_dir: Path, host: str, port: int, static_dir: Path) -> None:
    import uvicorn

    from shared.api.app import create_app
    from shared.auth.tokens import mint_runner_token, mint_user_token
    from shared.cli.dev.metrics_page import router as metrics_page
    from shared.config import load_settings
    from shared.container import build_container

    # A plain SIGTERM would skip the exit handlers that stop the embedded Postgres.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    state = load_or_create_dev_state(data_dir)
    dsn = start_embedded_postgres(data_dir / "pgdata")
    apply_migrations(dsn, supabase_compat=True)
    seed_demo(dsn, state)
    os.environ.update({"DATABASE_URL": dsn, "SUPABASE_JWT_SECRET": state["jwt_secret"],
                       "MESHHOOK_ROOT_KEY": state["root_key"]})
    settings = load_settings()
    container = build_container(settings)
    app = dev_app(create_app(container=lambda: container, static_dir=static_dir,
                             max_body_bytes=settings.max_body_bytes,
                             max_import_bytes=settings.max_import_bytes, extra_routers=[metrics_page]))

    # Bind before printing: whoever reads the URLs can connect at once (the backlog holds
    # connections until uvicorn starts accepting).
    sock = socket.create_server((host, port))
    # Accepted connections inherit this. asyncio sets it only on sockets whose proto is
    # IPPROTO_TCP, which create_server's is not: without it, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every response sent in two segments.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    base = f"http://{host}:{port}"
    page = f"{base}/projects/{state['project_id']}/secrets"
    tokens = {role: mint_user_token(state["jwt_secret"], uuid.UUID(uid), ttl=12 * 3600)
              for role, uid in state["users"].items()}
    ui_note = "" if (static_dir / "index.html").is_file() else "  (UI not built: run scripts/dev)"
    print(f"meshhook-secrets dev: serving on {base}{ui_note}")
    print(f"  health: {base}/healthz   API docs: {base}/api/docs   metrics: {base}/dev/metrics")
    print("  Open one of these to sign in as a demo user (tokens last 12 hours):")
    for role in DEMO_ROLES:
        print(f"  {role:<6}: {page}#access_token={tokens[role]}")
    runner = mint_runner_token(state["jwt_secret"], uuid.UUID(state["project_id"]), "run_dev_demo", ttl=12 * 3600)
    print("  For curl (admin token, and a workflow-run token of the demo project):")
    print(f"  export API={base} PROJECT={state['project_id']} TOKEN={tokens['admin']} RUNNER_TOKEN={runner}")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **settings.uvicorn_proxy_options()))
    server.run(sockets=[sock])
