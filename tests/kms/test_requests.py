"""Requests while KMS fails (issue #18): a cold start answers a fast 503 with Retry-After and
a log line naming the cause, a warm container serves from its cached KEKs without calling
KMS, and the first request after KMS is back succeeds, without a restart."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from starlette.testclient import TestClient

from shared.api.app import create_app
from shared.container import build_container
from shared.crypto.root_keys import RootKeyUnavailable
from shared.observability.prom import process_backend
from tests.kms.conftest import PERMANENT, TRANSIENT, KmsWorld
from tools.loadtest.kms import FaultyKms

COLD_START_BOUND = 5.0  # seconds: a 503 well within the functions' 10 s timeout
UNAVAILABLE = {"error": "unavailable", "message": "the key service is unavailable; retry shortly"}


def reveal(http: TestClient, kw: KmsWorld, secret_id) -> tuple[object, float]:
    started = time.monotonic()
    r = http.post(kw.url(str(secret_id), "reveal"), headers=kw.owner_headers)
    return r, time.monotonic() - started


@pytest.mark.parametrize("fault, code", [*TRANSIENT.items(), *PERMANENT.items()])
def test_cold_start_during_a_kms_fault(kms_world: KmsWorld, kms: FaultyKms, fault: str, code: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    kw = kms_world
    values = kw.world.seed(3)  # a KEK exists: a previous container made it
    container = build_container(kw.settings)  # cold: nothing unwrapped yet
    secret_id, value = next(iter(values.items()))
    registry = process_backend().registry  # the app's metrics (what /metrics serves)
    failures_before = registry.get_sample_value("meshhook_kms_failures_total") or 0.0
    kms.fail(fault)
    try:
        with TestClient(create_app(container=lambda: container)) as http, caplog.at_level(logging.INFO):
            r, elapsed = reveal(http, kw, secret_id)
            assert r.status_code == 503 and r.json() == UNAVAILABLE, r.text
            assert r.headers["retry-after"] == "2" and r.headers["cache-control"] == "no-store"
            assert elapsed < COLD_START_BOUND, f"{fault}: the 503 took {elapsed:.1f}s"
            # Metadata needs no KEK: list still answers during the outage.
            assert http.get(kw.url(), headers=kw.owner_headers).status_code == 200

            transient = fault in TRANSIENT
            assert kms.faulted["Decrypt"] == (2 if transient else 1)  # one retry, or none for a refusal
            # One failed call (botocore's retry is inside it), counted once.
            assert registry.get_sample_value("meshhook_kms_failures_total") - failures_before == 1
            kms_lines = [r for r in caplog.records if r.name == "meshhook_secrets.kms"]
            assert len(kms_lines) == 1, [r.getMessage() for r in kms_lines]
            line = kms_lines[0]
            verb = "failed" if transient else "refused"
            assert line.getMessage().startswith(f"kms Decrypt {verb}: {code} (")
            assert f"key {kw.key_id}," in line.getMessage()
            assert line.levelno == (logging.WARNING if transient else logging.ERROR)
            assert "arn:" not in caplog.text and "injected" not in caplog.text  # no KMS message text
            assert "Traceback" not in caplog.text

            kms.heal()
            r, _ = reveal(http, kw, secret_id)
            assert r.status_code == 200 and r.json() == {"value": value.decode()}
    finally:
        container.close()


@pytest.mark.parametrize("fault", ["timeout", "internal", "disabled"])
def test_warm_container_keeps_serving_from_cached_keks(kms_world: KmsWorld, kms: FaultyKms, fault: str) -> None:
    kw = kms_world
    container = build_container(kw.settings)
    try:
        with TestClient(create_app(container=lambda: container)) as http:
            made = http.post(kw.url(), json={"name": "WARM", "value": "fake-warm-1"}, headers=kw.owner_headers)
            assert made.status_code == 201, made.text
            sid = made.json()["secret"]["id"]
            kms.fail(fault)
            kms.calls.clear()
            other = http.post(kw.url(), json={"name": "DURING", "value": "fake-during"}, headers=kw.owner_headers)
            assert other.status_code == 201, other.text
            put = http.put(kw.url(sid), json={"value": "fake-warm-2"}, headers=kw.owner_headers)
            assert put.status_code == 200 and put.json()["secret"]["version"] == 2
            assert reveal(http, kw, sid)[0].json() == {"value": "fake-warm-2"}
            resolved = http.post(kw.url("resolve"), json={"names": ["WARM", "DURING"]}, headers=kw.runner_headers)
            assert resolved.json() == {"secrets": {"WARM": "fake-warm-2", "DURING": "fake-during"}}
            assert http.delete(kw.url(sid), headers=kw.owner_headers).status_code == 204
            assert sum(kms.calls.values()) == 0, kms.calls  # not one KMS call
    finally:
        container.close()


def test_requests_queued_behind_a_failing_cold_start_share_its_failure(kms_world: KmsWorld, kms: FaultyKms) -> None:
    """`serve` has many threads: they must not each wait out KMS's timeout in turn."""
    kms_world.world.seed(1)
    container = build_container(kms_world.settings)
    kms.fail("timeout")

    def load() -> tuple[str, float]:
        started = time.monotonic()
        try:
            container.keys.keyring()
            return "loaded", time.monotonic() - started
        except RootKeyUnavailable as exc:
            return exc.cause, time.monotonic() - started

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(lambda _: load(), range(8)))
    finally:
        container.close()
    assert {cause for cause, _ in outcomes} == {"ReadTimeoutError"}
    assert max(elapsed for _, elapsed in outcomes) < COLD_START_BOUND, outcomes
    assert kms.faulted["Decrypt"] == 2  # one load (and its one retry), not eight


def test_first_start_during_an_outage_makes_no_kek(kms_world: KmsWorld, kms: FaultyKms) -> None:
    kw = kms_world
    container = build_container(kw.settings)
    kms.fail("throttle")
    try:
        with TestClient(create_app(container=lambda: container)) as http:
            body = {"name": "FIRST", "value": "fake-first"}
            r = http.post(kw.url(), json=body, headers=kw.owner_headers)
            assert r.status_code == 503 and r.headers["retry-after"] == "2", r.text
            with psycopg.connect(kw.world.dsn) as conn:
                assert conn.execute("select count(*) from public.secret_keks").fetchone()[0] == 0
            kms.heal()
            assert http.post(kw.url(), json=body, headers=kw.owner_headers).status_code == 201
    finally:
        container.close()
