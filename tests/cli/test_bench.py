"""The bench's structure, not its timings: each floor does its operation's database work
(and the audit row) in ONE round trip; every row says whether it meets its goal; --compare
lines up a run with a saved one; the HTTP app serves its floors; its clients connect before
the clock starts."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from shared.cli.bench import floors
from shared.cli.bench.report import print_compare, print_table, verdict
from shared.cli.bench.rewrap import rewrap_row
from shared.store.models import RequestInfo
from tests.support.round_trips import round_trips


@pytest.fixture
def seeded(container, project):
    owner = project.principal("owner")
    metas = [container.service.create(owner, RequestInfo(), project.id, name=f"FLOOR_{i}", value=f"fake-floor-{i}")
             for i in range(3)]
    return project.id, metas


def audit_count(dsn, project_id) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select count(*) from secret_audit_events where project_id = %s",
                            (project_id,)).fetchone()[0]


def test_each_floor_is_one_round_trip_and_commits_its_audit_row(container, dsn, seeded, monkeypatch):
    project_id, metas = seeded
    with container.db.connection() as conn:
        kek = floors.active_kek(conn)
        before = audit_count(dsn, project_id)
        with round_trips(monkeypatch) as sent:
            assert [r[2] for r in floors.list_rows(conn, project_id)] == ["FLOOR_0", "FLOOR_1", "FLOOR_2"]
            assert floors.get_row(conn, project_id, metas[0].id)[0][0] == metas[0].id
            assert sorted(r[1] for r in floors.resolve_rows(conn, project_id, ["floor_0", "floor_1"])) == [
                "FLOOR_0", "FLOOR_1"]
            created = floors.create_row(conn, project_id, kek, "FLOOR_NEW")
            updated = floors.update_row(conn, project_id, kek, metas[1].id)
        assert len(sent) == 5, sent
    assert created[0][2] == "FLOOR_NEW" and updated[0][4] == 2
    assert audit_count(dsn, project_id) == before + 3  # resolve, create, update: committed


def test_every_goal_row_says_met_or_not_met(capsys):
    rows = [{"bench": "a", "baseline": "x", "baseline_ms": 1.0, "measured_ms": 1.2, "ratio": 1.2, "target": 1.5},
            {"bench": "b", "baseline": "x", "baseline_ms": 1.0, "measured_ms": 2.0, "ratio": 2.0, "target": 1.5},
            rewrap_row("c", {"seconds": 2.0, "floor_seconds": 1.0, "deks_per_s": 5, "floor_deks_per_s": 10}),
            {"bench": "d", "baseline": "", "baseline_ms": None, "measured_ms": None, "ratio": None, "goal": "not run"}]
    assert [verdict(r) for r in rows] == ["goal <= 1.5x: met", "goal <= 1.5x: NOT met",
                                          "goal >= 0.7x: NOT met", ""]
    print_table(rows)
    out = capsys.readouterr().out
    assert "NOT met" in out and "not run" in out


def test_compare_prints_each_ratio_against_the_saved_run(tmp_path, capsys):
    saved = tmp_path / "before.json"
    saved.write_text(json.dumps({"rows": [{"bench": "resolve 50", "baseline": "plain", "ratio": 8.0},
                                          {"bench": "gone", "baseline": "plain", "ratio": 1.0}]}))
    print_compare([{"bench": "resolve 50", "baseline": "plain", "ratio": 2.0},
                   {"bench": "new row", "baseline": "plain", "ratio": 1.0}], str(saved))
    lines = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("resolve 50")]
    assert lines == [["resolve", "50", "8.00x", "2.00x", "0.25x"]]


def test_the_bench_app_serves_the_floors(container, seeded):
    from starlette.testclient import TestClient

    from shared.cli.bench.http import bench_app

    project_id, metas = seeded
    with TestClient(bench_app(lambda: container)) as http:
        assert [s["name"] for s in http.get(f"/bench/floor/{project_id}/list").json()["secrets"]][:1] == ["FLOOR_0"]
        assert http.put(f"/bench/floor/{project_id}/update/{metas[2].id}").json()["version"] == 2
        created = http.post(f"/bench/floor/{project_id}/create/FLOOR_{uuid.uuid4().hex[:6]}")
        assert created.status_code == 200 and created.json()["version"] == 1
        resolved = http.post(f"/bench/floor/{project_id}/resolve", json=["FLOOR_0"]).json()["secrets"]
        assert list(resolved) == ["FLOOR_0"]


def test_each_client_connects_before_its_requests_are_timed():
    """Every client sends one untimed request first (opening its keep-alive connection), so
    the samples are exactly the operation's requests."""
    from shared.cli.bench.traffic import load
    from tests.support.http_stub import serve

    with serve(lambda request: (200, {}, b"{}")) as stub:
        result = load(stub.url, 3, 0.2, lambda client, i: ("GET", f"/op/{client}", {}))
    paths = [r["path"] for r in stub.requests]
    # The clients wait for each other after that request, so the first three to arrive are it.
    assert paths[:3] == ["/healthz"] * 3 and "/healthz" not in paths[3:]
    assert result["n"] == len(paths) - 3 and result["errors"] == 0
    assert {f"/op/{client}" for client in range(3)} <= set(paths)


def test_each_cold_import_is_timed_in_turns_with_its_floor(monkeypatch):
    """A floor timed once, before a minute of handler imports, would be compared with them
    at another machine speed: each handler's floor is timed in the same rounds, in turns."""
    from shared.cli.bench import cold, stats

    calls: list[str] = []
    clock = [0.0]

    def run(cmd, **_):  # the machine slows down as the bench goes on
        calls.append(cmd[-1])
        clock[0] += {"floor": 1.0, "handler": 1.2}[cmd[-1]] * (1 + 0.1 * len(calls))

    monkeypatch.setattr(cold.subprocess, "run", run)
    monkeypatch.setattr(stats.time, "perf_counter", lambda: clock[0])
    floor, handler = cold._best_in_turns([["floor"], ["handler"]], 3, {})
    assert calls == ["floor", "handler", "handler", "floor", "floor", "handler"]  # who goes first rotates
    assert (floor, handler) == (pytest.approx(1.1), pytest.approx(1.2 * 1.2))  # each one's best round
