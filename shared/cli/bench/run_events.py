"""What redaction adds to MeshHook's own log write: a run event.

MeshHook's HTTP executor records each step as a row of `workflow_events` (run_id, type,
payload jsonb) whose payload holds the first 2 KB of the response. That row is the run's
log: MeshHook shows it in its UI, and it is where a value leaks today (the executor writes
it unmasked). MeshHook's bound, at most 10% added latency on log writing, is about that
write. Here the response is redacted before it is cut to 2 KB, as docs/integration.md
tells a worker to, and the event is written as MeshHook writes it: one INSERT per event,
autocommitted, on one connection, into a table with the columns and indexes of MeshHook's
migration (without its foreign key to `workflow_runs`, whose check would only make the
write slower and the share smaller).

Two commits: durable, as Supabase commits (the INSERT waits for the WAL flush), and
without the flush (`synchronous_commit=off`): the cheapest INSERT the database does, where
the redaction's share is as large as it gets for a database write. Python writes with
psycopg, Node with node-postgres (clients/js/bench/run-events.mjs), on the same texts as
the logging bench (shared/cli/bench/workload.py: 1 in 50 holds a value).

Events are timed in chunks of 20, the plain and the redacting writer taking turns chunk by
chunk, each chunk's best of `rounds` kept: a database write's time varies from one to the
next (the WAL flush, the scheduler), and the best of five tries of 20 writes is one that
nothing else slowed. The difference of the two writers' times is still noisy, so the
redaction's own time inside the write path is clocked too (a clock read pair per event,
included) and printed beside it.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from shared.cli.bench.redact import overhead_row
from shared.cli.bench.workload import LINE, workload
from shared.runtime.redact import Redactor

RECORDED_CHARS = 2048  # what MeshHook keeps of a response
_CHUNK = 20
_INSERT = "insert into public.workflow_events (run_id, type, payload) values (%s, 'step_succeeded', %s)"
_NODE = {"id": "callApi", "type": "http_call"}
_JS_BENCH = Path(__file__).resolve().parents[3] / "clients" / "js" / "bench" / "run-events.mjs"
# MeshHook's workflow_events (supabase/migrations/20250110000001_create_core_tables.sql).
_TABLE = """
create table if not exists public.workflow_events (
  id bigserial primary key,
  run_id uuid not null,
  ts timestamptz not null default now(),
  type text not null,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
create index if not exists idx_workflow_events_run_id on public.workflow_events (run_id);
create index if not exists idx_workflow_events_run_ts on public.workflow_events (run_id, ts);
create index if not exists idx_workflow_events_type on public.workflow_events (type);
"""


def run_event_rows(dsn: str, quick: bool = False) -> list[dict[str, object]]:
    """The bench suite's rows: each language's run-event write, redacting and not, for both
    commits. `dsn` is the bench's own database (the table is created there)."""
    events, rounds = (400, 3) if quick else (1000, 5)
    values, steps = workload()
    texts = [LINE % step for step in steps]
    create_events_table(dsn)
    rows = []
    for durable in (True, False):
        commit = "durable" if durable else "without WAL flush"
        py = bench_python_events(dsn, values, texts, events, rounds, durable)
        rows.append(_row(f"run event INSERT ({commit}), Python redacting", py))
        js = bench_js_events(dsn, values, texts, events, rounds, durable)
        if js is None:
            rows.append({"bench": f"run event INSERT ({commit}), JS redacting", "baseline": "",
                         "baseline_ms": None, "measured_ms": None, "ratio": None,
                         "goal": "not measured: needs node and `npm ci && npm run build` in clients/js"})
        else:
            rows.append(_row(f"run event INSERT ({commit}), JS redacting", js))
    return rows


def create_events_table(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(_TABLE)


def _row(bench: str, r: dict[str, float]) -> dict[str, object]:
    share = 100.0 * r["redaction_s"] / r["baseline_s"]
    note = f" (redacting: {r['redaction_s'] * 1e6:.1f} us an event, {share:.2f}% of the write)"
    return overhead_row(bench, "same INSERT, response not redacted", r["baseline_s"], r["redacted_s"], note,
                        bound=True)


def bench_python_events(dsn: str, values: list[str], texts: list[str], events: int, rounds: int,
                        durable: bool) -> dict[str, float]:
    """Seconds per event: the plain write, the redacting one, and the redaction in it; and
    the run id each wrote its events under."""
    redactor = Redactor(values)
    masked = "\n".join(redactor.redact_text(text) for text in texts)
    if any(value in masked for value in values) or "[REDACTED]" not in masked:
        raise AssertionError("the redactor did not mask the workload's secrets")
    runs = {False: uuid.uuid4(), True: uuid.uuid4()}  # a run per writer
    spent = [0, 0]  # nanoseconds redacting, events redacted

    def write(conn: psycopg.Connection, start: int, n: int, redact: bool) -> float:
        began = time.perf_counter()
        for i in range(start, start + n):
            text = texts[i % len(texts)]
            if redact:
                t0 = time.perf_counter_ns()
                response = redactor.redact_text(text)[:RECORDED_CHARS]  # redact first, then cut
                spent[0] += time.perf_counter_ns() - t0
                spent[1] += 1
            else:
                response = text[:RECORDED_CHARS]
            conn.execute(_INSERT, (runs[redact], json.dumps({"node": _NODE, "next": None, "response": response})))
        return time.perf_counter() - began

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"set synchronous_commit = {'on' if durable else 'off'}")
        for redact in (False, True):  # warm the connection and the statement
            write(conn, 0, min(events, 200), redact)
        spent[:] = [0, 0]
        chunks = [(start, min(_CHUNK, events - start)) for start in range(0, events, _CHUNK)]
        best = {False: [float("inf")] * len(chunks), True: [float("inf")] * len(chunks)}
        gc.collect()
        gc.disable()  # a collection would land in whichever writer happened to be running
        try:
            for round_ in range(rounds):
                for i, (start, n) in enumerate(chunks):
                    for redact in ((False, True) if (round_ + i) % 2 == 0 else (True, False)):  # who goes first rotates
                        best[redact][i] = min(best[redact][i], write(conn, start, n, redact))
        finally:
            gc.enable()
    return {"baseline_s": sum(best[False]) / events, "redacted_s": sum(best[True]) / events,
            "redaction_s": spent[0] / 1e9 / spent[1], "events": events,
            "plain_run": str(runs[False]), "redacted_run": str(runs[True])}


def bench_js_events(dsn: str, values: list[str], texts: list[str], events: int, rounds: int,
                    durable: bool) -> dict[str, float] | None:
    """The same through the JS client and node-postgres, or None without node, the built
    client or its dev dependencies."""
    node = shutil.which("node")
    package = _JS_BENCH.parents[1]
    if node is None or not (package / "dist" / "index.js").exists() or not (package / "node_modules" / "pg").exists():
        return None
    info = conninfo_to_dict(dsn)
    connection = {"host": info.get("host") or "localhost", "port": int(info.get("port") or 5432),
                  "database": info["dbname"], "user": info.get("user") or "postgres",
                  "password": info.get("password") or ""}
    job = json.dumps({"connection": connection, "values": values, "texts": texts, "events": events,
                      "rounds": rounds, "chunk": _CHUNK, "synchronousCommit": durable})
    done = subprocess.run([node, str(_JS_BENCH)], input=job, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


if __name__ == "__main__":  # python -m shared.cli.bench.run_events [--quick]
    # DATABASE_URL is a server that allows CREATE DATABASE: the events go to a database of
    # their own, never to a workflow_events table that holds anybody's runs.
    import os
    import sys

    from shared.cli.bench.fresh import fresh_database

    for row in run_event_rows(fresh_database(os.environ["DATABASE_URL"]), quick="--quick" in sys.argv):
        print(f"{row['bench']:<52} {row['baseline_ms'] or 0:>8.3f} ms {row['measured_ms'] or 0:>8.3f} ms  {row['goal']}")
