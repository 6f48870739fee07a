"""The HTTP bench's traffic: the bench app served by uvicorn in a process of its own, and
N clients (threads, each with its keep-alive connection) sending one operation's requests
for a while, timed one by one (shared/cli/bench/http.py makes the rows)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx

from shared.cli.bench.stats import percentile
from shared.cli.dev.stack import free_port
from shared.config import Settings


def serve(settings: Settings, dsn: str | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn or settings.database_url.get_secret_value(),
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


def load(base: str, clients: int, seconds: float, make_request) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def client(index: int) -> None:
        nonlocal errors
        mine, bad = [], 0
        with httpx.Client(base_url=base, timeout=30) as http:
            # Untimed: the keep-alive connection opens before the clock starts, so no timed
            # sample pays a TCP connect (at 32 clients, 32 of about 1,000 samples did, all
            # at the same moment, in the top few percent a p99 is read from).
            http.get("/healthz")
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
