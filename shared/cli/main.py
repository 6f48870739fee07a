"""The `meshhook-secrets` command: dev, serve, migrate, token, rotate-keks, rekey-root,
import-legacy, bench."""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path

from shared.cli import legacy
from shared.config import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_UI = REPO_ROOT / "web" / "build"


def _require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def cmd_dev(args: argparse.Namespace) -> int:
    from shared.cli.dev.server import run_dev

    run_dev(Path(args.data_dir), args.host, args.port, Path(args.ui))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.api.app import create_app
    from shared.config import get_settings
    from shared.container import default_container

    settings = get_settings()
    app = create_app(static_dir=Path(args.ui), max_body_bytes=settings.max_body_bytes,
                     cors_origins=settings.cors_origin_list, max_import_bytes=settings.max_import_bytes)
    default_container()  # build now, so a bad setting stops start-up, not the first request
    print(f"meshhook-secrets: serving on http://{args.host}:{args.port}", flush=True)
    # No access log: the app writes one JSON line per request (shared/observability), without the raw path.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False,
                **settings.uvicorn_proxy_options())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared.store.migrate import BaselineMismatch, apply_migrations

    try:
        report = apply_migrations(_require_env("DATABASE_URL"), supabase_compat=args.supabase_compat)
    except BaselineMismatch as exc:
        raise SystemExit(f"meshhook-secrets migrate: {exc}") from None
    print("\n".join(report) or "up to date")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from shared.auth.tokens import (
        mint_runner_token,
        mint_service_token,
        mint_user_token,
    )

    secret = os.environ.get("SUPABASE_JWT_SECRET")
    dev_state = Path(args.data_dir) / "dev.json"
    if not secret and dev_state.is_file():  # on a laptop: the secret `dev` generated
        secret = json.loads(dev_state.read_text())["jwt_secret"]
    if not secret:
        raise ConfigError("SUPABASE_JWT_SECRET is not set (and no dev.json from `dev` was found)")
    if args.runner:
        if not args.project:
            raise SystemExit("meshhook-secrets token: --runner needs --project UUID")
        run_id = args.run_id or f"run_{uuid.uuid4().hex[:12]}"
        print(mint_runner_token(secret, args.project, run_id, ttl=args.ttl))
    elif args.service:
        print(mint_service_token(secret, ttl=args.ttl))
    elif args.sub:
        print(mint_user_token(secret, args.sub, ttl=args.ttl))
    else:
        raise SystemExit("meshhook-secrets token: give --sub UUID, --runner --project UUID, or --service")
    return 0


def cmd_rotate_keks(args: argparse.Namespace) -> int:
    from shared.cli.keys import run_rotate_keks

    return run_rotate_keks(args)


def cmd_rekey_root(args: argparse.Namespace) -> int:
    from shared.cli.keys import run_rekey_root

    return run_rekey_root(args)


def add_bench_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", dest="json_path", metavar="FILE", help="also write the figures to this file")
    p.add_argument("--compare", metavar="FILE", help="print each ratio against a run saved with --json")
    p.add_argument("--quick", action="store_true", help="fewer iterations")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from shared.cli.bench.suite import run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meshhook-secrets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("dev", help="embedded Postgres + demo data + API and UI on 127.0.0.1")
    p.add_argument("--data-dir", default=".meshhook")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--ui", default=str(DEFAULT_UI), help="built UI folder")
    p.set_defaults(func=cmd_dev)

    p = sub.add_parser("serve", help="serve the API (and the UI if built) against DATABASE_URL")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--ui", default=str(DEFAULT_UI))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply migrations to DATABASE_URL")
    p.add_argument("--supabase-compat", action="store_true", help="first create what Supabase has (plain Postgres)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("token", help="mint a dev access token, runner token or service token")
    p.add_argument("--sub", type=uuid.UUID, help="user id for an access token")
    p.add_argument("--runner", action="store_true", help="a workflow-run token")
    p.add_argument("--project", type=uuid.UUID, help="the runner token's project")
    p.add_argument("--run-id")
    p.add_argument("--service", action="store_true", help="a service_role token")
    p.add_argument("--ttl", type=int, default=3600, help="seconds")
    p.add_argument("--data-dir", default=".meshhook",
                   help="without SUPABASE_JWT_SECRET, use the secret `dev` keeps here")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("rotate-keks", help="rotate the key-encryption keys")
    p.add_argument("--force", action="store_true", help="rotate even if the active KEK is young")
    p.add_argument("--status", action="store_true", help="show KEKs and whether rotation is due")
    p.add_argument("--batch-size", type=int, default=1000)
    p.set_defaults(func=cmd_rotate_keks)

    p = sub.add_parser("rekey-root", help="re-wrap the KEKs under a new root key")
    p.add_argument("--new-root-key-env", default="MESHHOOK_NEW_ROOT_KEY",
                   help="variable holding the new local root key (base64)")
    p.add_argument("--new-kms-key-id", help="the new AWS KMS key id instead")
    p.set_defaults(func=cmd_rekey_root)
    legacy.register(sub)  # import-legacy: shared/cli/legacy.py

    add_bench_arguments(sub.add_parser("bench", help="run the benchmark suite"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"meshhook-secrets: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
