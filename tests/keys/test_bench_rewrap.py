"""The re-wrap benchmark runs and reports what it measured (the figure itself: docs/operations.md)."""

from __future__ import annotations

from shared.cli.bench.rewrap import bench_rewrap
from tests.keys.conftest import deks_per_kek, kek_states


def test_bench_rewrap_reports_its_figures(fresh_dsn):
    result = bench_rewrap(fresh_dsn, n=2000, rounds=2)
    assert result["deks"] == 2000 and result["rounds"] == 2 and 0 < result["seconds"] and 0 < result["floor_seconds"]
    # The figures agree with each other (to 0.1%: a run here takes about 0.04 s, so seconds
    # rounded to the millisecond were off by up to 1.25%).
    assert abs(result["deks_per_s"] * result["seconds"] - 2000) < 0.001 * 2000
    # Each round is a whole rotation: every DEK moved twice, each old KEK destroyed.
    assert kek_states(fresh_dsn) == {1: "destroyed", 2: "destroyed", 3: "active"}
    assert deks_per_kek(fresh_dsn) == {3: 2000}
