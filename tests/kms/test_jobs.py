"""KEK rotation and root rekey while KMS fails (issue #18): the job stops with exit 75 for a
transient fault and 1 for a refusal, audits `kek_rotation_failure` (or the rekey's failure)
with KMS's error code, changes nothing half-way, and a rerun once KMS is back finishes."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta

import pytest

from shared.crypto.root_keys import KmsRootKey
from shared.keys.rotate import Policy, rotate_keks
from tests.keys.conftest import (
    audit_actions,
    decrypt_all,
    deks_per_kek,
    kek_states,
    snapshot,
)
from tests.kms.conftest import REGION, KmsWorld, cli
from tools.loadtest.kms import FaultyKms

JOB_BOUND = 20.0  # seconds, the CLI's start-up included


def run(kw: KmsWorld, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(cli(*args), env=kw.cli_env(), capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - started


def last_failure(dsn: str, action: str) -> dict:
    failures = [meta for a, outcome, meta in audit_actions(dsn) if a == action and outcome == "failure"]
    assert failures, audit_actions(dsn)
    return failures[-1]


def aged(kw: KmsWorld, n: int) -> dict:
    """n secrets under KEK 1, which is past the 90-day maximum age."""
    values = kw.world.seed(n)
    with kw.world.db.as_system() as conn:
        kw.world.backdate(conn, 100)
    return values


@pytest.mark.parametrize("fault, ops, code, exit_code", [
    ("throttle", {"Encrypt"}, "ThrottlingException", 75),  # after KEK 1 unwrapped: wrapping the new KEK
    ("internal", {"Encrypt"}, "KMSInternalException", 75),
    ("disabled", None, "DisabledException", 1),
    ("access_denied", None, "AccessDeniedException", 1),
])
def test_rotation_under_a_kms_fault(kms_world: KmsWorld, kms: FaultyKms, fault, ops, code, exit_code) -> None:
    kw = kms_world
    values = aged(kw, 40)
    before = snapshot(kw.world.dsn)
    kms.fail(fault, ops=ops)
    done, elapsed = run(kw, "rotate-keks")
    assert done.returncode == exit_code, done.stderr
    assert elapsed < JOB_BOUND
    assert code in done.stderr and "Traceback" not in done.stderr
    if exit_code == 75:
        assert "rerun to resume" in done.stderr
    else:
        assert f"for key {kw.key_id};" in done.stderr
    meta = last_failure(kw.world.dsn, "kek_rotation_failure")
    assert meta["error_code"] == code and meta["transient"] is (exit_code == 75)
    assert snapshot(kw.world.dsn) == before  # the failed step rolled back entirely

    kms.heal()
    assert decrypt_all(kw.world.dsn, kw.world.root) == values
    rerun, _ = run(kw, "rotate-keks")
    assert rerun.returncode == 0, rerun.stderr
    states = kek_states(kw.world.dsn)  # the rolled-back attempt used up an id of the sequence
    assert states.pop(1) == "destroyed" and list(states.values()) == ["active"]
    assert decrypt_all(kw.world.dsn, kw.world.root) == values


def test_interrupted_rotation_resumes_after_a_kms_outage(kms_world: KmsWorld, kms: FaultyKms) -> None:
    kw = kms_world
    values = aged(kw, 200)
    # A rotation stopped right after activating KEK 2 (its time ran out): nothing re-wrapped.
    report = rotate_keks(kw.world.db, kw.world.root, policy=Policy(max_age=timedelta(days=90)),
                         deadline=time.monotonic() - 1)
    assert not report.complete and report.pending == [1]
    before = snapshot(kw.world.dsn)

    kms.fail("timeout", ops={"Decrypt"})  # the rerun must unwrap KEKs 1 and 2
    done, elapsed = run(kw, "rotate-keks")
    assert done.returncode == 75, done.stderr
    assert "KMS unavailable (ReadTimeoutError)" in done.stderr and elapsed < JOB_BOUND
    assert last_failure(kw.world.dsn, "kek_rotation_failure")["error_code"] == "ReadTimeoutError"
    assert snapshot(kw.world.dsn) == before

    kms.heal()
    assert decrypt_all(kw.world.dsn, kw.world.root) == values
    rerun, _ = run(kw, "rotate-keks")
    assert rerun.returncode == 0, rerun.stderr
    assert deks_per_kek(kw.world.dsn) == {2: 200}
    assert kek_states(kw.world.dsn) == {1: "destroyed", 2: "active"}
    assert decrypt_all(kw.world.dsn, kw.world.root) == values


def test_rekey_under_kms_faults_changes_nothing_and_reruns(kms_world: KmsWorld, kms: FaultyKms) -> None:
    kw = kms_world
    values = kw.world.seed(20)
    new_key = kms.create_key()
    before = snapshot(kw.world.dsn)

    kms.fail("throttle", ops={"Encrypt"})  # each KEK unwraps under the old key, then wrapping fails
    done, _ = run(kw, "rekey-root", "--new-kms-key-id", new_key)
    assert done.returncode == 75 and "KMS unavailable (ThrottlingException)" in done.stderr, done.stderr
    assert last_failure(kw.world.dsn, "root_rekey")["error_code"] == "ThrottlingException"
    assert snapshot(kw.world.dsn) == before

    kms.fail("disabled")
    done, _ = run(kw, "rekey-root", "--new-kms-key-id", new_key)
    assert done.returncode == 1 and "DisabledException" in done.stderr, done.stderr
    assert "enable it" in done.stderr
    assert last_failure(kw.world.dsn, "root_rekey")["transient"] is False
    assert snapshot(kw.world.dsn) == before

    kms.heal()
    assert decrypt_all(kw.world.dsn, kw.world.root) == values
    done, _ = run(kw, "rekey-root", "--new-kms-key-id", new_key)
    assert done.returncode == 0, done.stderr
    assert decrypt_all(kw.world.dsn, KmsRootKey.connect(new_key, REGION)) == values
