"""`meshhook-secrets bench`: every figure next to a baseline measured in the same run.

Ratios, not absolute times, are the point: the machine's speed cancels out. The suite
starts its own embedded Postgres (or uses DATABASE_URL when set, which must allow CREATE
DATABASE), so it can be rerun anywhere the tests run.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import sys
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo
from pydantic import SecretStr

from shared.auth.principal import Principal
from shared.cli.bench.cold import bench_cold_start
from shared.cli.bench.fresh import fresh_database
from shared.cli.bench.report import print_compare, print_table
from shared.cli.bench.stats import best_in_turns
from shared.cli.dev.seed import crowd_platform
from shared.config import Settings
from shared.container import Container, build_container
from shared.store.models import RequestInfo

Row = dict[str, object]


# Other teams' projects in the bench's database: MeshHook's scale, not an empty table.
PLATFORM_PROJECTS = 100_000


def seed_project(dsn: str, container: Container, n: int) -> tuple[uuid.UUID, uuid.UUID, list[str]]:
    owner, project_id = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(dsn, autocommit=True) as conn:
        crowd_platform(conn, PLATFORM_PROJECTS)
        conn.execute("insert into auth.users (id) values (%s)", (owner,))
        conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'bench')", (project_id, owner))
    names = [f"BENCH_{i:03d}" for i in range(n)]
    for name in names:
        container.service.create(Principal("user", user_id=owner), RequestInfo(), project_id,
                                 name=name, value=f"fake-bench-value-{name}-" + "x" * 40)
    return owner, project_id, names


def bench_resolve(
    container: Container, no_flush: Container, project_id: uuid.UUID, names: list[str], quick: bool
) -> list[Row]:
    """Against the plain SELECT of the same rows (a reference) and against the floor: that
    SELECT plus the one audit INSERT, committed durably, in one round trip on the same pool
    (shared/cli/bench/floors.py). `no_flush` is the same service on connections with
    synchronous_commit=off: a diagnostic row showing how much is the WAL flush of the audit."""
    from shared.cli.bench import floors
    from shared.secrets.resolve import resolve_secrets

    runner = Principal("runner", project_id=project_id, run_id="bench-run")
    rows = []
    repeat = 30 if quick else 150
    for count in (1, 10, 50):
        wanted = names[:count]
        lowered = [n.lower() for n in wanted]

        def plain() -> None:
            with container.db.connection() as conn:
                conn.execute("select s.id, v.kek_id, v.wrapped_dek, v.ciphertext from public.project_secrets s"
                             " join public.project_secret_versions v on v.secret_id = s.id and v.version = s.version"
                             " where s.project_id = %s and lower(s.name) = any(%s)", (project_id, lowered)).fetchall()

        def floor() -> None:
            with container.db.connection() as conn:
                floors.resolve_rows(conn, project_id, lowered)

        def resolve() -> None:
            resolve_secrets(container.service, runner, RequestInfo(), project_id, wanted)

        def resolve_unflushed() -> None:
            resolve_secrets(no_flush.service, runner, RequestInfo(), project_id, wanted)

        timed = [plain, floor, resolve] + ([resolve_unflushed] if count == 50 else [])
        base, bare, measured, *diagnostic = best_in_turns(timed, repeat)
        rows.append({"bench": f"resolve {count}", "baseline": "plain SELECT of the same rows",
                     "baseline_ms": base * 1e3, "measured_ms": measured * 1e3, "ratio": measured / base, "goal": ""})
        rows.append({"bench": f"resolve {count} / its floor", "baseline": "SELECT + audit INSERT + COMMIT, 1 trip",
                     "baseline_ms": bare * 1e3, "measured_ms": measured * 1e3, "ratio": measured / bare,
                     "target": 1.5 if count == 50 else None, "goal": ""})
        for unflushed in diagnostic:  # count 50 only
            rows.append({"bench": "resolve 50, commit without WAL flush", "baseline": "SELECT + audit INSERT + COMMIT, 1 trip",
                         "baseline_ms": bare * 1e3, "measured_ms": unflushed * 1e3, "ratio": unflushed / bare,
                         "goal": "diagnostic: what the durable audit commit costs"})
    return rows


def bench_crypto(quick: bool) -> list[Row]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from shared.crypto import AesGcm, Binding, Keyring, open_value, seal_value
    from shared.crypto.aead import new_key

    ring = Keyring({1: AesGcm(new_key())}, 1)
    binding = Binding(uuid.uuid4(), uuid.uuid4(), 1)
    value = b"fake-value-" + b"x" * 53
    bare = AESGCM(new_key())
    nonce = os.urandom(12)
    sealed = seal_value(ring, value, binding)
    blob = bare.encrypt(nonce, value, b"ad")
    repeat = 2000 if quick else 20000
    base_enc, enc, base_dec, dec = best_in_turns([
        lambda: bare.encrypt(nonce, value, b"ad"), lambda: seal_value(ring, value, binding),
        lambda: bare.decrypt(nonce, blob, b"ad"), lambda: open_value(ring, sealed, binding)], repeat)
    note = "envelope = new DEK + 2 AES-GCM ops"
    return [
        {"bench": "encrypt a value", "baseline": "one bare AES-GCM encrypt", "baseline_ms": base_enc * 1e3,
         "measured_ms": enc * 1e3, "ratio": enc / base_enc, "goal": note},
        {"bench": "decrypt a value", "baseline": "one bare AES-GCM decrypt", "baseline_ms": base_dec * 1e3,
         "measured_ms": dec * 1e3, "ratio": dec / base_dec, "goal": note},
    ]


def bench_rewrap_rows(base_dsn: str, quick: bool) -> list[Row]:
    from shared.cli.bench.rewrap import bench_rewrap, rewrap_row

    n = 2000 if quick else 10_000
    return [rewrap_row(f"KEK re-wrap {n} DEKs", bench_rewrap(fresh_database(base_dsn), n))]


def bench_redaction_rows(dsn: str, quick: bool) -> list[Row]:
    """The hooks in a process's own logging (the strictest case), then MeshHook's log write."""
    from shared.cli.bench.redact import redaction_rows
    from shared.cli.bench.run_events import run_event_rows

    return redaction_rows(quick) + run_event_rows(dsn, quick)


def bench_pgbouncer_rows(settings: Settings, dsn: str, owner: uuid.UUID, project_id: uuid.UUID,
                         names: list[str], quick: bool) -> list[Row]:
    """The HTTP figures again with the server's connections through PgBouncer in
    transaction mode, as deployed (Debian's pgbouncer, run by shared/cli/dev/stack.py)."""
    import shutil
    import tempfile
    from types import SimpleNamespace

    from psycopg.conninfo import conninfo_to_dict

    from shared.cli.bench.http import bench_http
    from shared.cli.dev.stack import PGBOUNCER, PgBouncer

    if PGBOUNCER is None:
        return [{"bench": "HTTP via PgBouncer", "baseline": "", "baseline_ms": None, "measured_ms": None,
                 "ratio": None, "goal": "not run: Debian's pgbouncer is not installed"}]
    info = conninfo_to_dict(dsn)
    server = SimpleNamespace(socket_dir=info.get("host", "/tmp"), port=int(info.get("port") or 5432))
    workdir = Path(tempfile.mkdtemp(prefix="meshhook-bench-pgbouncer-"))
    bouncer = PgBouncer(server, workdir)  # type: ignore[arg-type] (it reads socket_dir and port)
    try:
        return bench_http(settings, owner, project_id, names, quick, via=" via PgBouncer",
                          dsn=bouncer.conninfo(info["dbname"]))
    finally:
        bouncer.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_bench(args: argparse.Namespace) -> int:
    from shared.cli.bench.http import bench_http
    from shared.cli.bench.lifecycle import bench_import_rows, bench_rewrap_versions_rows
    from shared.cli.bench.observe import bench_observability

    base_dsn = os.environ.get("DATABASE_URL")
    if not base_dsn:
        from shared.cli.dev.embedded import start_embedded_postgres

        base_dsn = start_embedded_postgres(Path(tempfile.mkdtemp(prefix="meshhook-bench-")) / "data")
    dsn = fresh_database(base_dsn)
    settings = Settings(database_url=dsn, supabase_jwt_secret="bench-jwt-secret-" + uuid.uuid4().hex,
                        meshhook_root_key=base64.b64encode(os.urandom(32)).decode(), db_pool_max=40)
    container = build_container(settings)
    no_flush = build_container(settings.model_copy(update={
        "database_url": SecretStr(make_conninfo(dsn, options="-c synchronous_commit=off"))}))
    owner, project_id, names = seed_project(dsn, container, 50)

    rows: list[Row] = []
    sections = [
        ("resolve", lambda: bench_resolve(container, no_flush, project_id, names, args.quick)),
        ("crypto", lambda: bench_crypto(args.quick)),
        ("http", lambda: bench_http(settings, owner, project_id, names, args.quick)),
        ("http via PgBouncer", lambda: bench_pgbouncer_rows(settings, dsn, owner, project_id, names, args.quick)),
        ("cold start", lambda: bench_cold_start(args.quick, settings, project_id, names)),
        ("re-wrap", lambda: bench_rewrap_rows(base_dsn, args.quick)),
        ("import", lambda: bench_import_rows(container, dsn, args.quick)),
        ("re-wrap with versions", lambda: bench_rewrap_versions_rows(base_dsn, args.quick)),
        ("redaction", lambda: bench_redaction_rows(dsn, args.quick)),
        ("observability", lambda: bench_observability(container, owner, project_id, args.quick)),
    ]
    for label, section in sections:
        print(f"... {label}", file=sys.stderr, flush=True)
        rows += section()
    container.close()
    no_flush.close()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"meshhook-secrets bench, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine}")
    print_table(rows)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))
    if args.compare:
        print_compare(rows, args.compare)
    return 0
