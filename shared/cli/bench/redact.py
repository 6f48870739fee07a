"""What the redacting log hooks cost in a process's own logging: the strictest case.

The workload is a worker's HTTP steps (shared/cli/bench/workload.py: 1.1 KB lines, ten
values, 1 line in 50 holding one). The same records go through loggers that differ only
in the hook, writing to os.devnull through a StreamHandler (a real file, flushed per
record, as stderr would be; the kernel drops the bytes, so the write is as cheap as a write
gets and the hook's share as large as it gets). The records are timed in chunks of 1000,
the loggers taking turns chunk by chunk, and each chunk's best of `rounds` is kept: a busy
neighbour on a shared machine then spoils one try of a chunk, not a whole pass. Time is
the thread's CPU time (the write to os.devnull included), so the time the neighbours run
on our core is not counted at all. shared/cli/bench/run_events.py measures the log write
MeshHook's bound is about: a run event.

The JS client's redactor (clients/js) runs the same records and values through
clients/js/bench/redact.mjs, a Node logger without redaction, with `redactText`, and
writing through the redactor's `destination`, when node and the built client are there
(`cd clients/js && npm ci && npm run build`).

Run it: `python -m shared.cli.bench.redact` prints the rows `meshhook-secrets bench` shows.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from shared.cli.bench.workload import LINE, workload
from shared.runtime.redact import Redactor

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CHUNK = 1000
_GOAL_PCT, _BOUND_PCT = 5.0, 10.0  # the project's goal; MeshHook's bound
_JS_BENCH = Path(__file__).resolve().parents[3] / "clients" / "js" / "bench" / "redact.mjs"


def redaction_rows(quick: bool = False) -> list[dict[str, object]]:
    """The bench suite's rows: each hook's time against the floor measured in the same run
    (the same records logged with no redactor), with the goal and whether it is met."""
    records = 4000 if quick else 20000
    r = bench_redaction(records=records)
    rows = [overhead_row(f"logging {records:,} records, redacting {hook}", "same logging, no redaction",
                 r["baseline_s"], r[key])
            for hook, key in (("filter", "redacted_s"), ("formatter", "formatter_s"))]
    js = bench_js_redaction(records=records)
    if js is None:
        rows.append({"bench": "JS redactor (clients/js)", "baseline": "", "baseline_ms": None,
                     "measured_ms": 0.0, "ratio": None,
                     "goal": "not measured: needs node and `npm run build` in clients/js"})
    else:
        rows.append(overhead_row(f"JS logging {records:,} records, redactText", "same Node logging, no redaction",
                                 js["baseline_s"], js["redacted_s"]))
        rows.append(overhead_row(f"JS logging {records:,} records, destination", "same Node logging, no redaction",
                                 js["baseline_s"], js["destination_s"]))
    return rows


def overhead_row(bench: str, baseline: str, floor_s: float, measured_s: float, note: str = "",
                 bound: bool = False) -> dict[str, object]:
    """A redaction row: the time added to the floor, in percent, against the project's goal,
    and with `bound` against MeshHook's, which is about MeshHook's log write (a run event,
    shared/cli/bench/run_events.py); a process's own logging is the strictest case."""
    pct = 100.0 * (measured_s - floor_s) / floor_s
    goal = f"{pct:+.1f}%{note}, goal < {_GOAL_PCT:.0f}%: {'met' if pct < _GOAL_PCT else 'not met'}"
    if bound:
        goal += f"; MeshHook's bound {_BOUND_PCT:.0f}%: {'met' if pct < _BOUND_PCT else 'NOT met'}"
    else:
        goal += " (in-process logging, the strictest case)"
    return {"bench": bench, "baseline": baseline, "baseline_ms": floor_s * 1e3,
            "measured_ms": measured_s * 1e3, "ratio": measured_s / floor_s, "goal": goal}


def bench_js_redaction(records: int = 20000, rounds: int = 5) -> dict[str, float] | None:
    """The same workload through the JS redactor, or None without node or the built client."""
    node = shutil.which("node")
    if node is None or not (_JS_BENCH.parents[1] / "dist" / "index.js").exists():
        return None
    values, steps = workload()
    js_records = [[m, url, status, f"{ms:.1f}", headers, body] for m, url, status, ms, headers, body in steps]
    job = json.dumps({"values": values, "records": js_records, "count": records, "rounds": rounds})
    done = subprocess.run([node, str(_JS_BENCH)], input=job, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def bench_redaction(records: int = 20000, rounds: int = 5) -> dict[str, float]:
    values, steps = workload()
    redactor = Redactor(values)
    _check_redaction(redactor, steps, values)

    chunks = [(start, min(_CHUNK, records - start)) for start in range(0, records, _CHUNK)]
    modes = ("plain", "filter", "formatter")
    best = {mode: [float("inf")] * len(chunks) for mode in modes}
    with open(os.devnull, "w") as sink:
        loggers = [(mode, _logger(f"bench.{mode}", sink, None if mode == "plain" else redactor, mode))
                   for mode in modes]
        gc.collect()
        gc.disable()  # a collection would land in whichever logger happened to be running
        try:
            for round_ in range(rounds):
                for i, (start, count) in enumerate(chunks):
                    shift = (round_ + i) % len(loggers)  # rotate who runs first
                    for name, logger in loggers[shift:] + loggers[:shift]:
                        best[name][i] = min(best[name][i], _time(logger, steps, start, count))
        finally:
            gc.enable()
            for _, logger in loggers:
                logger.handlers.clear()
    baseline, filtered, formatted = (sum(best[mode]) for mode in modes)
    return {
        "baseline_s": baseline,
        "redacted_s": filtered,  # the logging.Filter on the handler
        "overhead_pct": 100.0 * (filtered - baseline) / baseline,
        "formatter_s": formatted,  # the handler's formatter wrapped by Redactor.formatter()
        "formatter_overhead_pct": 100.0 * (formatted - baseline) / baseline,
    }


def _time(logger: logging.Logger, steps: list[tuple], start: int, count: int) -> float:
    n = len(steps)
    began = time.thread_time()
    for i in range(start, start + count):
        logger.info(LINE, *steps[i % n])
    return time.thread_time() - began


def _logger(name: str, stream, redactor: Redactor | None, mode: str = "filter") -> logging.Logger:
    handler = logging.StreamHandler(stream)
    formatter = logging.Formatter(_FORMAT)
    handler.setFormatter(formatter)
    if redactor is not None and mode == "filter":
        handler.addFilter(redactor.logging_filter())
    elif redactor is not None:
        handler.setFormatter(redactor.formatter(formatter))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _check_redaction(redactor: Redactor, steps: list[tuple], values: list[str]) -> None:
    """A benchmark of a filter that masks nothing would be meaningless."""
    for mode in ("filter", "formatter"):
        stream = io.StringIO()
        logger = _logger(f"bench.check.{mode}", stream, redactor, mode)
        for args in steps:
            logger.info(LINE, *args)
        logger.handlers.clear()
        out = stream.getvalue()
        if any(value in out for value in values) or "[REDACTED]" not in out:
            raise AssertionError(f"the redacting {mode} did not mask the workload's secrets")


if __name__ == "__main__":
    for row in redaction_rows():
        print(f"{row['bench']:<44} {row['baseline_ms'] or 0:>9.1f} ms {row['measured_ms']:>9.1f} ms  {row['goal']}")
