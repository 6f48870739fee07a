"""Finding 3 of issue #12: the reveal limit is exact under concurrency, counts the service
key, and a 429 says when to retry."""

from __future__ import annotations

import concurrent.futures

from starlette.testclient import TestClient

from shared.auth.principal import Principal
from shared.errors import RateLimited
from shared.secrets.limits import Limits
from shared.secrets.service import SecretsService
from shared.store.models import RequestInfo
from tests.api.conftest import secrets_url

NOWHERE = RequestInfo(ip_address=None, user_agent="tests/security")


def reveal_in_parallel(service, principal, project_id, secret_id, n: int, workers: int = 20):
    def one(_):
        try:
            service.reveal(principal, NOWHERE, project_id, secret_id)
            return "ok"
        except RateLimited:
            return "limited"

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(n)))


def test_parallel_reveals_never_pass_the_limit(container, project, create, sql):
    """Before: 100 parallel reveals by one admin, limit 60: 66, 60, 62 succeeded (count,
    then insert, nothing serialising). After: exactly 60, every time."""
    secret = create(project, value="fake-value-for-limit-test")
    service = SecretsService(container.db, container.keys, Limits(reveals_per_minute=60))
    results = reveal_in_parallel(service, project.principal("admin"), project.id, secret["id"], 100)
    assert results.count("ok") == 60 and results.count("limited") == 40
    rows = dict(sql.execute(
        "select outcome, count(*) from secret_audit_events where secret_id = %s and action = 'reveal'"
        " group by outcome", (secret["id"],)).fetchall())
    assert rows == {"success": 60, "denied": 40}


def test_service_key_reveals_are_counted(container, project, create, sql):
    """Before: service_role reveals had actor_id NULL and were never counted."""
    secret = create(project, value="fake-value-for-service-limit")
    service = SecretsService(container.db, container.keys, Limits(reveals_per_minute=3))
    results = reveal_in_parallel(service, Principal("service"), project.id, secret["id"], 10, workers=5)
    assert results.count("ok") == 3
    actors = {r[0] for r in sql.execute(
        "select actor_id from secret_audit_events where secret_id = %s and action = 'reveal'",
        (secret["id"],)).fetchall()}
    assert actors == {"service_role"}


def test_429_carries_retry_after(app_with, container, project, create):
    secret = create(project, value="fake-value-for-retry-after")
    limited = SecretsService(container.db, container.keys, Limits(reveals_per_minute=2))
    with TestClient(app_with(service=limited), raise_server_exceptions=False) as c:
        url = secrets_url(project.id, secret["id"], "reveal")
        assert [c.post(url, headers=project.auth("owner")).status_code for _ in range(2)] == [200, 200]
        r = c.post(url, headers=project.auth("owner"))
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # The limit is per actor: another admin of the project still may.
        assert c.post(url, headers=project.auth("admin")).status_code == 200
