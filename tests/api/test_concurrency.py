"""Races resolved by the database: one winner, one clear loser, nothing half-written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.api.conftest import secrets_url


def race(n, fn):
    """Run fn(i) in n threads released together."""
    gate = threading.Barrier(n)

    def run(i):
        gate.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_two_simultaneous_creates_of_one_name(client, project, sql):
    for attempt in range(5):
        name = f"RACE_{attempt}"
        results = race(2, lambda i: client.post(secrets_url(project.id), headers=project.auth("editor"),
                                                json={"name": name, "value": f"fake-racer-{i}"}))
        assert sorted(r.status_code for r in results) == [201, 409]
        assert [r.json()["error"] for r in results if r.status_code == 409] == ["conflict"]
        assert sql.execute("select count(*) from project_secrets where project_id = %s and name = %s",
                           (project.id, name)).fetchone()[0] == 1


def test_two_simultaneous_updates_with_the_same_if_match(client, project, create):
    for attempt in range(5):
        sid = create(project, name=f"UPD_{attempt}", value="fake-v1")["id"]
        results = race(2, lambda i: client.put(secrets_url(project.id, sid), json={"value": f"fake-v2-{i}"},
                                               headers={**project.auth("editor"), "If-Match": '"1"'}))
        assert sorted(r.status_code for r in results) == [200, 412]
        winner = next(r for r in results if r.status_code == 200).json()["secret"]
        assert winner["version"] == 2
        value = client.post(secrets_url(project.id, sid, "reveal"), headers=project.auth("owner")).json()["value"]
        # The stored value is the winner's, whole.
        assert value in ("fake-v2-0", "fake-v2-1")


def test_per_project_limit_holds_under_concurrent_creates(container, project):
    from dataclasses import replace

    from shared.errors import Conflict
    from shared.secrets.service import SecretsService
    from shared.store.models import RequestInfo

    limited = SecretsService(container.db, container.keys, replace(container.service.limits, max_secrets_per_project=4))
    owner = project.principal("owner")

    def attempt(i):
        try:
            limited.create(owner, RequestInfo(), project.id, name=f"L{i}", value="fake-v")
            return "ok"
        except Conflict:
            return "full"

    assert sorted(race(8, attempt)) == ["full"] * 4 + ["ok"] * 4
