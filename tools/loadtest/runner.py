"""The load itself: shared secrets to race on, N client threads for S seconds, the final
check, and the figures."""

from __future__ import annotations

import ipaddress
import random
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from tools.loadtest.final import final_check
from tools.loadtest.ledger import Ledger, Results, Shared
from tools.loadtest.ops import Client

SHARED_SECRETS = 4


class LoadError(Exception):
    pass


def check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LoadError(f"refusing to load {host!r}: only loopback addresses are load-tested")


def _create_shared(api: str, admin: dict, run_tag: str, timeout: float) -> dict[str, Shared]:
    shared: dict[str, Shared] = {}
    with httpx.Client(timeout=timeout) as http:
        for i in range(SHARED_SECRETS):
            name, value = f"LOAD_{run_tag}_SHARED_{i}", f"fake-shared-{i}"
            r = http.post(api, json={"name": name, "value": value}, headers=admin)
            if r.status_code != 201:
                raise LoadError(f"could not create the shared secrets: {r.status_code} {r.text[:200]}")
            shared[name] = Shared(r.json()["secret"]["id"], {1: value})
    return shared


def run_load(
    base_url: str, admin_token: str, runner_token: str, project_id: str | uuid.UUID, *,
    clients: int = 64, seconds: float = 60.0, max_live_per_client: int = 10, seed: int | None = None,
    timeout: float = 30.0, during: Callable[[float], object] | None = None,
) -> dict:
    """Run the mixed load for `seconds`, then check every acknowledged write. Returns the
    figures and `ok` (no 5xx, no timeout, no mismatch, nothing rate-limited). `during(t0)`,
    if given, runs on its own thread while the clients work (the chaos run's faults);
    its return value is `result["during"]`, and `result["timeline"]` keeps every request."""
    check_loopback(base_url)
    if max_live_per_client * clients + SHARED_SECRETS > 1000:
        raise LoadError("clients x max_live_per_client exceeds the 1,000 secrets of a project")
    seed = random.randrange(2**32) if seed is None else seed
    api = f"{base_url.rstrip('/')}/api/projects/{project_id}/secrets"
    auth = ({"Authorization": f"Bearer {admin_token}"}, {"Authorization": f"Bearer {runner_token}"})
    results, run_tag = Results(), uuid.uuid4().hex[:6]
    ledger = Ledger.for_clients(_create_shared(api, auth[0], run_tag, timeout), clients)
    started = time.monotonic()
    deadline = started + seconds

    def client(n: int) -> None:
        with httpx.Client(timeout=timeout) as http:
            Client(n, http, api, auth, ledger, results, seed=seed, run_tag=run_tag,
                   max_live=max_live_per_client).run(deadline)

    threads = [threading.Thread(target=client, args=(n,), name=f"load-{n}", daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    during_result = during(started) if during is not None else None
    for t in threads:
        t.join(timeout=max(deadline - time.monotonic(), 0) + timeout + 30)
    elapsed = time.monotonic() - started
    if any(t.is_alive() for t in threads):
        results.problem("a client did not finish in time")
    final = final_check(api, auth[0], auth[1], f"LOAD_{run_tag}_", ledger, results, timeout)
    return _figures(results, final, clients=clients, elapsed=elapsed, seed=seed, during=during_result)


def _figures(results: Results, final: dict, *, clients: int, elapsed: float, seed: int, during: object) -> dict:
    lat = sorted(results.latencies)
    count = len(lat)

    def pct(p: float) -> float:
        return round(lat[min(count - 1, int(p * count))] * 1000, 1) if count else 0.0

    statuses = dict(sorted(results.statuses.items()))
    out = {
        "ok": not results.problems and not any(s >= 500 or s == 429 for s in statuses),
        "clients": clients, "seconds": round(elapsed, 1), "seed": seed,
        "requests": count, "rps": round(count / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0)},
        "ops": dict(sorted(results.ops.items())), "statuses": statuses,
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "rate_limited": statuses.get(429, 0),
        "final_check": final,
        "problems": results.problems[:50], "problem_count": len(results.problems),
    }
    if during is not None:
        out["during"] = during
        out["timeline"] = sorted(results.timeline)
    return out
