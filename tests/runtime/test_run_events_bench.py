"""The run-event bench writes what it says it measures, in both languages: MeshHook's event
rows, the redacting writer's responses masked and cut to 2 KB, the plain writer's not.
No timing is asserted (the figures: docs/integration.md, "What redaction costs")."""

from __future__ import annotations

import psycopg
import pytest

from shared.cli.bench.run_events import (
    RECORDED_CHARS,
    bench_js_events,
    bench_python_events,
    create_events_table,
)
from shared.cli.bench.workload import LINE, workload
from shared.runtime.redact import Redactor

EVENTS, ROUNDS = 300, 1


@pytest.fixture
def events_dsn(fresh_dsn):
    create_events_table(fresh_dsn)
    return fresh_dsn


@pytest.mark.parametrize("bench", [bench_python_events, bench_js_events], ids=["python", "js"])
def test_each_writer_stores_run_events_and_only_the_redacting_one_masks_them(events_dsn, bench):
    values, steps = workload()
    texts = [LINE % step for step in steps]
    result = bench(events_dsn, values, texts, EVENTS, ROUNDS, False)
    assert result is not None, "node, the built client and its dev dependencies are in CI"
    assert result["events"] == EVENTS and result["plain_run"] != result["redacted_run"]
    assert 0 < result["redaction_s"] < result["redacted_s"] and 0 < result["baseline_s"]

    # Each writer: 200 warm-up events, then every event once a round, texts taken in turn;
    # the plain one stores each response as it is, the other redacted, then cut to 2 KB.
    indexes = list(range(min(EVENTS, 200))) + list(range(EVENTS)) * ROUNDS
    redactor = Redactor(values)
    want_plain = [texts[i % len(texts)][:RECORDED_CHARS] for i in indexes]
    want_redacted = [redactor.redact_text(texts[i % len(texts)])[:RECORDED_CHARS] for i in indexes]
    masked = sum(p != r for p, r in zip(want_plain, want_redacted))
    assert masked == 4 + 6 * ROUNDS  # the texts at 25, 75, ... hold a value

    with psycopg.connect(events_dsn) as conn:
        def responses(run: str) -> list[str]:
            return [r for (r,) in conn.execute(
                "select payload->>'response' from public.workflow_events where run_id = %s"
                " and type = 'step_succeeded' and payload->'node'->>'type' = 'http_call' order by id", (run,))]

        plain, redacted = responses(result["plain_run"]), responses(result["redacted_run"])
    assert plain == want_plain and redacted == want_redacted
    assert any(len(text) > RECORDED_CHARS for text in texts)  # so the cut is exercised
    assert not any(v in r for r in redacted for v in values)
