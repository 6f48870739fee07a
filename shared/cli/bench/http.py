"""HTTP figures for the bench: the real app under uvicorn, next to a bare endpoint on the
same stack (same process, middleware and pool) that does one `SELECT 1`.

The server runs in its own process, so the clients (threads with keep-alive connections)
do not share its interpreter lock; both compete for the same two cores, equally for the
measured routes and for the baseline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid

import httpx
import psycopg

from shared.auth.tokens import mint_runner_token, mint_user_token
from shared.cli.bench.stats import percentile
from shared.config import Settings


def bench_app():
    """uvicorn factory: the full API plus `/bench/select1`."""
    from shared.api.app import create_app
    from shared.container import default_container

    asgi = create_app()

    @asgi.fastapi.get("/bench/select1")
    def select1() -> dict:
        with default_container().db.as_system() as conn:
            conn.execute("select 1").fetchone()
        return {"ok": True}

    return asgi


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(settings: Settings) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url.get_secret_value(),
           "SUPABASE_JWT_SECRET": settings.supabase_jwt_secret.get_secret_value(),
           "MESHHOOK_ROOT_KEY": settings.meshhook_root_key.get_secret_value(),
           "DB_POOL_MAX": "40", "MESHHOOK_MAX_SECRETS": "1000000"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "shared.cli.bench.http:bench_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # poll until it answers, with a deadline
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError("bench server exited: " + proc.stderr.read().decode()) from None
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("bench server did not start")


def _load(base: str, clients: int, seconds: float, make_request) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def client(index: int) -> None:
        nonlocal errors
        mine, bad = [], 0
        with httpx.Client(base_url=base, timeout=30) as http:
            start_gate.wait()
            deadline = time.perf_counter() + seconds
            i = 0
            while time.perf_counter() < deadline:
                method, url, kwargs = make_request(index, i)
                t = time.perf_counter()
                r = http.request(method, url, **kwargs)
                mine.append(time.perf_counter() - t)
                bad += r.status_code >= 400
                i += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0

    return {"p50": percentile(latencies, 50) * 1e3, "p99": percentile(latencies, 99) * 1e3,
            "rps": len(latencies) / elapsed, "errors": errors, "n": len(latencies)}


def bench_http(
    settings: Settings, owner: uuid.UUID, project_id: uuid.UUID, names: list[str], quick: bool
) -> list[dict]:
    secret = settings.supabase_jwt_secret.get_secret_value()
    proc, base = _serve(settings)
    try:
        user = {"Authorization": f"Bearer {mint_user_token(secret, owner, ttl=3600)}"}
        runner = {"Authorization": f"Bearer {mint_runner_token(secret, project_id, 'bench-http', ttl=3600)}"}
        path = f"/api/projects/{project_id}/secrets"
        # Creates go to a project of their own, so the list below stays at 50 secrets.
        scratch = uuid.uuid4()
        with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as conn:
            conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'bench scratch')",
                         (scratch, owner))
        create_path = f"/api/projects/{scratch}/secrets"
        with httpx.Client(base_url=base, headers=user) as http:
            ids = {s["name"]: s["id"] for s in http.get(path).json()["secrets"]}
        run_tag = uuid.uuid4().hex[:6]
        ops = {
            "bare SELECT 1": lambda c, i: ("GET", "/bench/select1", {"headers": user}),
            "create": lambda c, i: ("POST", create_path, {"headers": user, "json": {
                "name": f"H_{run_tag}_{c}_{i}", "value": "fake-http-bench-value"}}),
            "list (50)": lambda c, i: ("GET", path, {"headers": user}),
            "get": lambda c, i: ("GET", f"{path}/{ids[names[c % 50]]}", {"headers": user}),
            "update": lambda c, i: ("PUT", f"{path}/{ids[names[c % 50]]}", {"headers": user, "json": {
                "value": f"fake-rotated-{i}"}}),
            "resolve (10)": lambda c, i: ("POST", f"{path}/resolve", {"headers": runner, "json": {
                "names": names[(c % 5) * 10:(c % 5) * 10 + 10]}}),
        }
        seconds = 1.0 if quick else 3.0
        rows = []
        for clients in (1, 32):
            results = {}
            for op, make in ops.items():
                results[op] = _load(base, clients, seconds, make)
                run_tag = uuid.uuid4().hex[:6]
            bare = results["bare SELECT 1"]
            for op, r in results.items():
                rows.append({
                    "bench": f"HTTP {op}, {clients} client{'s' if clients > 1 else ''}",
                    "baseline": "bare SELECT 1 endpoint, p99", "baseline_ms": bare["p99"],
                    "measured_ms": r["p99"], "ratio": r["p99"] / bare["p99"],
                    "goal": f"p50 {r['p50']:.2f} ms, {r['rps']:.0f} req/s, {r['errors']} errors"
                            + (", p99 goal <= 2x" if op != "bare SELECT 1" else ""),
                })
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=10)
