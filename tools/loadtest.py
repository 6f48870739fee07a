"""A bounded load test over loopback: mixed operations from many concurrent clients
against a running server, then a check that every acknowledged write is there.

    python -m tools.loadtest [--seconds 60] [--clients 64]
        starts `meshhook-secrets dev` in a temporary folder (its own embedded Postgres,
        reveal rate limit raised) and runs against it
    python -m tools.loadtest --base-url http://127.0.0.1:8787 --project UUID \\
        --token ADMIN_TOKEN --runner-token RUNNER_TOKEN
        against a server already running (loopback only)

Each client owns its secrets (so it knows exactly what each read must return) and also
races the others on a few shared secrets with If-Match: two clients must never both be
acknowledged for the same version. At the end every surviving secret must be listed at
its last acknowledged version and reveal (and resolve) to its last acknowledged value;
every deleted one must be gone. Any 5xx, timeout or mismatch is a failure.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import string
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

SHARED_SECRETS = 4
# Operation mix (weights); a client with no secret of its own creates one first.
MIX = {"create": 12, "list": 5, "get": 14, "update": 18, "stale_update": 4, "reveal": 12,
       "delete": 8, "resolve": 14, "contend": 8, "get_deleted": 5}
_ALPHABET = string.ascii_letters + string.digits + " -_=+/.:;!?#@%&*()[]{}<>'\"\\|~`^$,éßøΩ中文🔑"


class LoadError(Exception):
    pass


@dataclass
class _Own:
    id: str
    version: int
    value: str


@dataclass
class _Shared:
    """What the server acknowledged for one contended secret: version -> value."""

    id: str
    acked: dict[int, str] = field(default_factory=dict)


@dataclass
class _Results:
    latencies: list[float] = field(default_factory=list)
    ops: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def _check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LoadError(f"refusing to load {host!r}: only loopback addresses are load-tested")


def _value(rng: random.Random) -> str:
    size = rng.choice((1, 8, 40, 200, 1000, 4000))
    return "fake-" + "".join(rng.choice(_ALPHABET) for _ in range(size))


def run_load(
    base_url: str, admin_token: str, runner_token: str, project_id: str | uuid.UUID, *,
    clients: int = 64, seconds: float = 60.0, max_live_per_client: int = 10, seed: int | None = None,
    timeout: float = 30.0,
) -> dict:
    """Run the mixed load for `seconds`, then check every acknowledged write. Returns the
    figures and `ok` (no 5xx, no timeout, no mismatch, nothing rate-limited)."""
    _check_loopback(base_url)
    if max_live_per_client * clients + SHARED_SECRETS > 1000:
        raise LoadError("clients x max_live_per_client exceeds the 1,000 secrets of a project")
    seed = random.randrange(2**32) if seed is None else seed
    api = f"{base_url.rstrip('/')}/api/projects/{project_id}/secrets"
    admin = {"Authorization": f"Bearer {admin_token}"}
    runner = {"Authorization": f"Bearer {runner_token}"}
    results = _Results()
    run_tag = uuid.uuid4().hex[:6]

    # Secrets every client races on.
    shared: dict[str, _Shared] = {}
    with httpx.Client(timeout=timeout) as http:
        for i in range(SHARED_SECRETS):
            name, value = f"LOAD_{run_tag}_SHARED_{i}", f"fake-shared-{i}"
            r = http.post(api, json={"name": name, "value": value}, headers=admin)
            if r.status_code != 201:
                raise LoadError(f"could not create the shared secrets: {r.status_code} {r.text[:200]}")
            shared[name] = _Shared(r.json()["secret"]["id"], {1: value})
    shared_lock = threading.Lock()
    owned: list[dict[str, _Own]] = [{} for _ in range(clients)]
    deleted: list[list[str]] = [[] for _ in range(clients)]
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        mine, gone = owned[n], deleted[n]
        seen_shared = {name: 1 for name in shared}
        ops, weights = list(MIX), list(MIX.values())
        counter = 0

        with httpx.Client(timeout=timeout) as http:
            def call(op: str, method: str, url: str, **kwargs) -> httpx.Response | None:
                started = time.perf_counter()
                try:
                    r = http.request(method, url, **kwargs)
                except httpx.HTTPError as exc:
                    results.problem(f"{op}: {type(exc).__name__}")
                    return None
                elapsed = time.perf_counter() - started
                with results.lock:
                    results.latencies.append(elapsed)
                    results.ops[op] += 1
                    results.statuses[r.status_code] += 1
                if r.status_code >= 500:
                    results.problem(f"{op}: {r.status_code} {r.text[:200]}")
                    return None
                if r.status_code == 429:
                    return None  # counted in statuses; the result says so
                return r

            def expect(op: str, r: httpx.Response | None, *codes: int) -> bool:
                if r is None:
                    return False
                if r.status_code not in codes:
                    results.problem(f"{op}: expected {codes}, got {r.status_code} {r.text[:200]}")
                    return False
                return True

            while time.monotonic() < deadline:
                op = rng.choices(ops, weights)[0]
                if not mine and op not in ("list", "contend", "get_deleted"):
                    op = "create"
                if op == "create" and len(mine) >= max_live_per_client:
                    op = "delete"
                if op == "get_deleted" and not gone:
                    op = "list"
                name = rng.choice(sorted(mine)) if mine else None

                if op == "create":
                    counter += 1
                    new, value = f"LOAD_{run_tag}_{n}_{counter}", _value(rng)
                    r = call(op, "POST", api, json={"name": new, "value": value}, headers=admin)
                    if expect(op, r, 201):
                        meta = r.json()["secret"]
                        if meta["version"] != 1:
                            results.problem(f"create: version {meta['version']}")
                        mine[new] = _Own(meta["id"], 1, value)
                elif op == "list":
                    r = call(op, "GET", api, headers=admin)
                    if expect(op, r, 200):
                        listed = {s["name"]: s["version"] for s in r.json()["secrets"]}
                        for own_name, own in list(mine.items()):
                            if listed.get(own_name) != own.version:
                                results.problem(f"list: {own_name} at {listed.get(own_name)}, acked {own.version}")
                elif op == "get":
                    own = mine[name]
                    r = call(op, "GET", f"{api}/{own.id}", headers=admin)
                    if expect(op, r, 200) and r.json()["secret"]["version"] != own.version:
                        results.problem(f"get: {name} at {r.json()['secret']['version']}, acked {own.version}")
                elif op == "update":
                    own, value = mine[name], _value(rng)
                    body = {"value": value}
                    if rng.random() < 0.3:
                        body["description"] = f"rotated by client {n}"
                    r = call(op, "PUT", f"{api}/{own.id}", json=body,
                             headers={**admin, "If-Match": f'"{own.version}"'})
                    if expect(op, r, 200):
                        version = r.json()["secret"]["version"]
                        if version != own.version + 1:
                            results.problem(f"update: {name} went {own.version} -> {version}")
                        own.version, own.value = version, value
                elif op == "stale_update":
                    own = mine[name]
                    stale = own.version - 1 if own.version > 1 else own.version + 7
                    r = call(op, "PUT", f"{api}/{own.id}", json={"value": _value(rng)},
                             headers={**admin, "If-Match": str(stale)})
                    expect(op, r, 412)
                elif op == "reveal":
                    own = mine[name]
                    r = call(op, "POST", f"{api}/{own.id}/reveal", headers=admin)
                    if expect(op, r, 200) and r.json()["value"] != own.value:
                        results.problem(f"reveal: {name} is not its last acknowledged value")
                elif op == "delete":
                    own = mine[name]
                    r = call(op, "DELETE", f"{api}/{own.id}", headers=admin)
                    if expect(op, r, 204):
                        del mine[name]
                        gone.append(own.id)
                elif op == "get_deleted":
                    r = call(op, "GET", f"{api}/{rng.choice(gone)}", headers=admin)
                    expect(op, r, 404)
                elif op == "resolve":
                    names = rng.sample(sorted(mine), min(len(mine), rng.randint(1, 3)))
                    r = call(op, "POST", f"{api}/resolve", json={"names": names}, headers=runner)
                    if expect(op, r, 200):
                        got = r.json()["secrets"]
                        for resolved in names:
                            if got.get(resolved) != mine[resolved].value:
                                results.problem(f"resolve: {resolved} is not its last acknowledged value")
                elif op == "contend":
                    shared_name = rng.choice(sorted(shared))
                    target, value = shared[shared_name], _value(rng)
                    expected = seen_shared[shared_name]
                    r = call(op, "PUT", f"{api}/{target.id}", json={"value": value},
                             headers={**admin, "If-Match": str(expected)})
                    if expect(op, r, 200, 412):
                        if r.status_code == 200:
                            version = r.json()["secret"]["version"]
                            with shared_lock:
                                if version in target.acked:
                                    results.problem(f"contend: version {version} of {shared_name} acknowledged twice")
                                target.acked[version] = value
                            if version != expected + 1:
                                results.problem(f"contend: If-Match {expected} gave version {version}")
                            seen_shared[shared_name] = version
                        else:
                            g = call("get", "GET", f"{api}/{target.id}", headers=admin)
                            if expect("get", g, 200):
                                seen_shared[shared_name] = g.json()["secret"]["version"]

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), name=f"load-{n}", daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + timeout + 30)
    elapsed = time.monotonic() - started
    if any(t.is_alive() for t in threads):
        results.problem("a client did not finish in time")

    final = _final_check(api, admin, runner, f"LOAD_{run_tag}_", owned, deleted, shared, results, timeout)
    lat = sorted(results.latencies)
    count = len(lat)

    def pct(p: float) -> float:
        return round(lat[min(count - 1, int(p * count))] * 1000, 1) if count else 0.0

    statuses = dict(sorted(results.statuses.items()))
    return {
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


def _final_check(
    api: str, admin: dict, runner: dict, prefix: str, owned: list[dict[str, _Own]], deleted: list[list[str]],
    shared: dict[str, _Shared], results: _Results, timeout: float,
) -> dict:
    """Every acknowledged write is there with its last acknowledged value; deletes are gone."""
    expected: dict[str, tuple[str, int, str]] = {}  # name -> (id, version, value)
    for mine in owned:
        for name, own in mine.items():
            expected[name] = (own.id, own.version, own.value)
    for name, s in shared.items():
        last = max(s.acked)
        expected[name] = (s.id, last, s.acked[last])
    gone = [secret_id for ids in deleted for secret_id in ids]

    with httpx.Client(timeout=timeout) as http:
        r = http.get(api, headers=admin)
        if r.status_code != 200:
            results.problem(f"final list: {r.status_code}")
            return {"checked": False}
        listed = {s["name"]: (s["id"], s["version"]) for s in r.json()["secrets"]}
        ours = {name for name in listed if name.startswith(prefix)}  # the project may hold others
        if set(ours) != set(expected):
            results.problem(f"final list: missing {sorted(set(expected) - set(ours))[:5]},"
                            f" unexpected {sorted(set(ours) - set(expected))[:5]}")
        for name, (secret_id, version, _) in expected.items():
            if name in listed and listed[name] != (secret_id, version):
                results.problem(f"final list: {name} at {listed[name][1]}, acknowledged {version}")
        listed_ids = {v[0] for v in listed.values()}
        for secret_id in gone:
            if secret_id in listed_ids:
                results.problem(f"final list: deleted {secret_id} is listed")

        names = sorted(expected)
        for i in range(0, len(names), 500):
            batch = names[i:i + 500]
            r = http.post(f"{api}/resolve", json={"names": batch}, headers=runner)
            if r.status_code != 200:
                results.problem(f"final resolve: {r.status_code} {r.text[:200]}")
                continue
            got = r.json()["secrets"]
            for name in batch:
                if got.get(name) != expected[name][2]:
                    results.problem(f"final resolve: {name} is not its last acknowledged value")

    def reveal(name: str) -> None:
        secret_id, _, value = expected[name]
        r = httpx.post(f"{api}/{secret_id}/reveal", headers=admin, timeout=timeout)
        if r.status_code != 200:
            results.problem(f"final reveal: {name}: {r.status_code} {r.text[:100]}")
        elif r.json()["value"] != value:
            results.problem(f"final reveal: {name} is not its last acknowledged value")

    def gone_for_good(secret_id: str) -> None:
        r = httpx.get(f"{api}/{secret_id}", headers=admin, timeout=timeout)
        if r.status_code != 404:
            results.problem(f"final get: deleted {secret_id} answered {r.status_code}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(reveal, names))
        list(pool.map(gone_for_good, gone))
    return {"checked": True, "secrets": len(expected), "deleted": len(gone),
            "shared_versions": {name: max(s.acked) for name, s in shared.items()}}


# -- the command line ------------------------------------------------------------------


def _start_dev(data_dir: str) -> tuple[object, str, str, str, str]:
    """`meshhook-secrets dev` in a subprocess: (process, base_url, admin, runner, project)."""
    import socket
    import subprocess
    import sys

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


def main(argv: list[str] | None = None) -> int:
    import shutil
    import signal
    import tempfile

    p = argparse.ArgumentParser(prog="python -m tools.loadtest", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--seed", type=int)
    p.add_argument("--base-url", help="a running server (loopback); default: start `dev` in a temp dir")
    p.add_argument("--project")
    p.add_argument("--token", help="an admin's access token for the project")
    p.add_argument("--runner-token", help="a runner token for the project")
    args = p.parse_args(argv)

    process = data_dir = None
    if args.base_url:
        if not (args.project and args.token and args.runner_token):
            p.error("--base-url needs --project, --token and --runner-token")
        target = (args.base_url, args.token, args.runner_token, args.project)
    else:
        data_dir = tempfile.mkdtemp(prefix="meshhook-load-")
        process, *rest = _start_dev(data_dir)
        target = tuple(rest)
        print(f"dev server on {target[0]}; {args.clients} clients for {args.seconds:g} s", flush=True)
    try:
        result = run_load(*target, clients=args.clients, seconds=args.seconds, seed=args.seed)
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
