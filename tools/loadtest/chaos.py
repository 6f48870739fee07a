"""The chaos run: the mixed load while its dependencies fail (issue #18).

Its own stack, all on loopback: an embedded Postgres, PgBouncer in transaction mode in front
of it, moto's KMS behind the fault proxy (tools/loadtest/kms.py), and `meshhook-secrets
serve` reaching the database through PgBouncer and KMS through AWS_ENDPOINT_URL_KMS. During
the load: Postgres restarted (pg_ctl restart -m fast), PgBouncer restarted, KMS unavailable
(calls held unanswered) for `kms_outage` seconds, Postgres restarted again.

Per fault it reports the 5xx seen (only 503 is allowed) and the recovery time: from the
fault's end to the last 5xx it caused (0 when none outlived it). A cold start during the
KMS outage is probed too: it must fail with a 503-class error in bounded time. At the end,
every acknowledged write must be found (lost_writes = 0).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

from shared.cli.dev.stack import PgBouncer, PgServer, free_port, wait_until
from tools.loadtest.kms import FaultyKms
from tools.loadtest.runner import run_load

JWT_SECRET = "chaos-jwt-secret-fake-" + "0" * 24
# When each fault starts, as a fraction of the run.
SCHEDULE = (("postgres_restart_1", 0.15), ("pgbouncer_restart", 0.35), ("kms_outage", 0.5),
            ("postgres_restart_2", 0.8))


# Server log lines that say nothing about a failure: access lines, the pool's and the 503s'.
_NOISE = ('HTTP/1.1"', "discarding", "request failed: Unavailable", "request failed: RootKeyUnavailable")


class Stack:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg = PgServer.start_new(workdir / "pg")
        self.direct = self.pg.create_database("chaos")
        self.bouncer = PgBouncer(self.pg, workdir / "pgbouncer", query_wait_timeout=3)
        self.kms = FaultyKms.start()
        self.key_id = self.kms.create_key()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None

    def serve(self) -> None:
        env = {**os.environ, **self.kms.env(), "PYTHONUNBUFFERED": "1",
               "DATABASE_URL": self.bouncer.conninfo("chaos"), "SUPABASE_JWT_SECRET": JWT_SECRET,
               "MESHHOOK_KMS_KEY_ID": self.key_id, "MESHHOOK_REVEALS_PER_MINUTE": "1000000"}
        env.pop("MESHHOOK_ROOT_KEY", None)
        log = (self.workdir / "serve.log").open("w")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "shared.cli.main", "serve", "--port", str(self.port), "--ui", "/nonexistent"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2])
        wait_until(self.healthy, timeout=60, what="the server to answer /healthz")

    def healthy(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            raise RuntimeError("serve exited:\n" + (self.workdir / "serve.log").read_text()[-3000:])
        try:
            return httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def project(self) -> tuple[str, str, str]:
        """(project id, admin token, runner token) of a new project."""
        from shared.auth.tokens import mint_runner_token, mint_user_token

        owner, project_id = uuid.uuid4(), uuid.uuid4()
        with psycopg.connect(self.direct, autocommit=True) as conn, conn.transaction():
            conn.execute("insert into auth.users (id, email) values (%s, %s)", (owner, f"{owner}@chaos.invalid"))
            conn.execute("insert into public.projects (id, owner, name) values (%s, %s, 'chaos')", (project_id, owner))
        return (str(project_id), mint_user_token(JWT_SECRET, owner, ttl=3600),
                mint_runner_token(JWT_SECRET, project_id, "run_chaos", ttl=3600))

    def close(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=30)
        self.bouncer.stop()
        self.kms.close()
        if self.pg.is_running():
            self.pg.stop()


def cold_start_probe(stack: Stack) -> dict:
    """A container starting now (nothing cached) loads its keyring: the outcome and its time."""
    from shared.crypto.root_keys import KmsRootKey, RootKeyUnavailable
    from shared.keys.keystore import KeyStore
    from shared.store.database import Database

    kms_env = stack.kms.env()
    saved = {name: os.environ.get(name) for name in kms_env}
    os.environ.update(kms_env)  # boto3 reads the endpoint and credentials from the environment
    db = Database(stack.direct, max_size=1)
    started = time.monotonic()
    try:
        KeyStore(db, KmsRootKey.connect(stack.key_id, kms_env["AWS_REGION"])).keyring()
        outcome = "loaded"
    except RootKeyUnavailable as exc:
        outcome = f"503 unavailable ({exc.cause})"
    finally:
        db.close()
        for name, value in saved.items():  # leave the process as it was (tests share it)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return {"outcome": outcome, "seconds": round(time.monotonic() - started, 2)}


def inject_faults(stack: Stack, seconds: float, kms_outage: float, say: Callable[[str], None]):
    """The `during` of run_load: each fault at its time; returns what happened when."""
    actions = {
        "postgres_restart_1": stack.pg.restart, "postgres_restart_2": stack.pg.restart,
        "pgbouncer_restart": stack.bouncer.restart,
    }
    idle = threading.Event()  # never set: waits on it are the schedule, not synchronisation

    def during(t0: float) -> list[dict]:
        faults = []
        for name, at in SCHEDULE:
            idle.wait(max(t0 + at * seconds - time.monotonic(), 0))
            started = time.monotonic()
            extra = {}
            if name == "kms_outage":
                stack.kms.fail("timeout")
                extra["cold_start_probe"] = cold_start_probe(stack)
                idle.wait(max(started + kms_outage - time.monotonic(), 0))
                extra["kms_calls_failed"] = sum(stack.kms.faulted.values())
                stack.kms.heal()
            else:
                actions[name]()
            ended = time.monotonic()
            say(f"  {name}: {ended - started:.1f} s at t={started - t0:.1f} s")
            faults.append({"fault": name, "start": started, "end": ended, **extra})
        return faults

    return during


def fault_report(faults: list[dict], timeline: list[tuple[float, float, int, str]], t_end: float) -> tuple[list, Counter]:
    """Per fault: 5xx by status, recovery seconds, first success after it. Also the 5xx seen
    outside every fault's window (none are allowed)."""
    out, outside = [], Counter()
    bounds = [f["start"] for f in faults[1:]] + [t_end]
    for fault, next_start in zip(faults, bounds, strict=True):
        window = [(s, e, status) for s, e, status, _ in timeline if fault["start"] <= e < next_start]
        errors = [(e, status) for _, e, status in window if status >= 500]
        last_error = max((e for e, _ in errors), default=fault["end"])
        first_ok = min((e for s, e, status in window if s >= fault["end"] and status < 500), default=None)
        out.append({
            "fault": fault["fault"], "duration_s": round(fault["end"] - fault["start"], 2),
            "requests": len(window), "5xx": dict(Counter(str(status) for _, status in errors)),
            "recovery_s": round(max(last_error - fault["end"], 0.0), 2),
            "first_success_after_s": None if first_ok is None else round(first_ok - fault["end"], 3),
            **{k: v for k, v in fault.items() if k not in ("fault", "start", "end")},
        })
    first = faults[0]["start"] if faults else t_end
    outside.update(str(status) for _, e, status, _ in timeline if status >= 500 and e < first)
    return out, outside


def run_chaos(*, clients: int = 64, seconds: float = 60.0, seed: int | None = None, kms_outage: float = 10.0,
              progress: Callable[[str], None] = lambda text: None) -> dict:
    if kms_outage > 0.28 * seconds:
        raise ValueError("the KMS outage must end before the last fault: give more --seconds")
    workdir = Path(tempfile.mkdtemp(prefix="meshhook-chaos-"))
    workdir.chmod(0o755)
    stack = Stack(workdir)
    try:
        stack.serve()
        project, admin, runner = stack.project()
        progress(f"chaos: {clients} clients for {seconds:g} s against {stack.base_url}")
        result = run_load(stack.base_url, admin, runner, project, clients=clients, seconds=seconds, seed=seed,
                          timeout=30.0, during=inject_faults(stack, seconds, kms_outage, progress))
        log = (workdir / "serve.log").read_text()
    finally:
        stack.close()
        shutil.rmtree(workdir, ignore_errors=True)
    summary = summarize(result)
    if not summary["ok"]:  # the server's own account of what went wrong
        summary["serve_log_tail"] = [
            line for line in log.splitlines() if not any(n in line for n in _NOISE)][-40:]
    return summary


def summarize(result: dict) -> dict:
    timeline = result.pop("timeline")
    t_end = max((e for _, e, _, _ in timeline), default=0.0) + 1
    faults, outside = fault_report(result.pop("during"), timeline, t_end)
    statuses = result["statuses"]
    final = result["final_check"]
    result["faults"] = faults
    result["5xx_outside_faults"] = dict(outside)
    result["ok"] = (not result["problem_count"] and not outside and final.get("checked", False)
                    and final.get("lost_writes") == 0 and result["rate_limited"] == 0
                    and all(s == 503 or s < 500 for s in statuses))
    return result
