"""KEK rotation in one process: what it moves, what it destroys, what it audits, when it runs."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import psycopg
import pytest

from shared.auth.principal import Principal
from shared.crypto.root_keys import LocalRootKey
from shared.keys.keystore import KeyStore, RootKeyMismatch
from shared.keys.rewrap import DekIntegrityError
from shared.keys.rotate import Policy, rotate_keks
from shared.secrets.resolve import resolve_secrets
from shared.secrets.service import SecretsService
from shared.store.models import RequestInfo
from tests.keys.conftest import (
    audit_actions,
    decrypt_all,
    deks_per_kek,
    kek_states,
    local_root,
    secret_rows,
    snapshot,
    version_rows,
)

FORCE_NOW = Policy(force=True, settle=timedelta(0))


def test_rotation_moves_every_dek_and_destroys_the_old_kek(world):
    # GIVEN secrets under two older KEKs (an earlier rotation never finished)
    values = world.seed(700, "A")
    world.new_kek()
    values |= world.seed(500, "B")
    before, secrets_before = version_rows(world.dsn), secret_rows(world.dsn)

    report = rotate_keks(world.db, world.root, policy=FORCE_NOW, batch_size=128)

    assert report.rotated and report.complete
    assert (report.active_kek_id, report.retired_kek_id) == (3, 2)
    assert report.rewrapped == 1200 and sorted(report.destroyed) == [1, 2]
    assert kek_states(world.dsn) == {1: "destroyed", 2: "destroyed", 3: "active"}
    assert deks_per_kek(world.dsn) == {3: 1200}
    assert decrypt_all(world.dsn, world.root) == values
    for key, row in version_rows(world.dsn).items():
        old = before[key]
        # columns: secret_id, version, project_id, kek_id, wrapped_dek, ciphertext, created_*
        assert row[5] == old[5], "values are never re-encrypted: only the DEK moves"
        assert row[3] == 3 and row[4] != old[4]
        assert row[:3] == old[:3] and row[6:] == old[6:], "version and timestamps untouched"
    assert secret_rows(world.dsn) == secrets_before


def test_rotation_never_decrypts_values(world):
    # GIVEN one value whose ciphertext is corrupt (its DEK is fine)
    values = world.seed(50)
    broken = next(iter(values))
    with world.db.as_system() as conn:
        conn.execute("update public.project_secret_versions set ciphertext = ciphertext || '\\x00'::bytea"
                     " where secret_id = %s", (broken,))
    report = rotate_keks(world.db, world.root, policy=FORCE_NOW)
    # THEN the rotation does not notice: it only ever opens 32-byte DEKs
    assert report.complete and report.rewrapped == 50
    assert deks_per_kek(world.dsn) == {2: 50}


def test_a_tampered_dek_stops_the_rotation_loudly(world):
    world.seed(300)
    victim = world.seed(1, "T")
    with world.db.as_system() as conn:
        conn.execute("update public.project_secret_versions set wrapped_dek = set_byte(wrapped_dek, 20,"
                     " get_byte(wrapped_dek, 20) # 1) where secret_id = %s", (next(iter(victim)),))
    world.new_kek()
    with pytest.raises(DekIntegrityError) as failure:
        rotate_keks(world.db, world.root, batch_size=50, workers=1)
    assert failure.value.secret_id == next(iter(victim))
    assert kek_states(world.dsn)[1] == "retired", "a KEK still needed is never destroyed"
    action, outcome, meta = audit_actions(world.dsn)[-1]
    assert (action, outcome, meta["error"]) == ("kek_rotation_failure", "failure", "DekIntegrityError")


def test_a_second_run_changes_nothing(world):
    world.seed(200)
    rotate_keks(world.db, world.root, policy=FORCE_NOW)
    before = snapshot(world.dsn)
    report = rotate_keks(world.db, world.root, policy=Policy(force=True))  # settle: 60 s
    assert not report.rotated and report.rewrapped == 0 and report.complete
    assert snapshot(world.dsn) == before


@pytest.mark.parametrize(("age_days", "force", "rotates"), [
    (10, False, False), (90, False, True), (0, True, False), (1, True, True),
])
def test_max_age_and_force_decide(world, age_days, force, rotates):
    world.seed(10)
    with world.db.as_system() as conn:
        world.backdate(conn, age_days)
    report = rotate_keks(world.db, world.root, policy=Policy(max_age=timedelta(days=90), force=force))
    assert report.rotated is rotates
    assert report.active_kek_id == (2 if rotates else 1)


def test_rotation_with_no_kek_yet_creates_the_first(world):
    report = rotate_keks(world.db, world.root)
    assert report.rotated and report.active_kek_id == 1 and report.retired_kek_id is None
    assert kek_states(world.dsn) == {1: "active"}


def test_start_progress_and_end_are_audited_without_key_material(world):
    world.seed(1100)
    events = []
    report = rotate_keks(world.db, world.root, policy=FORCE_NOW, batch_size=100, workers=1,
                         progress=events.append)
    actions = [a for a, _, _ in audit_actions(world.dsn)]
    assert actions[0] == "kek_rotation_start" and actions[-1] == "kek_rotation_end"
    assert {"kek_activate", "kek_destroy", "kek_rotation_progress"} <= set(actions)
    end = audit_actions(world.dsn)[-1][2]
    assert end["rewrapped"] == 1100 and end["destroyed"] == [1] and end["complete"] is True
    with psycopg.connect(world.dsn) as conn:
        rows = conn.execute("select project_id, actor_type, actor_id, metadata::text"
                            " from public.secret_audit_events").fetchall()
        keks = [bytes(k) for (k,) in conn.execute("select wrapped_key from public.secret_keks"
                                                  " where wrapped_key is not null")]
    assert all(r[0] is None and r[1] == "system" and r[2] == "rotate-keks" for r in rows)
    dump = " ".join(r[3] for r in rows)
    assert all(k.hex() not in dump for k in keks)
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["start", "activated"] and kinds[-1] == "end"
    batches = [e for e in events if e["event"] == "rewrap"]
    assert len(batches) == 11 and batches[-1]["remaining"] == 0 and batches[-1]["rewrapped"] == 1100
    assert report.batches == 11


def test_wrong_local_root_key_fails_loudly_and_changes_nothing(world):
    world.seed(100)
    world.new_kek(backdate_days=100)
    before = snapshot(world.dsn)
    other, _ = local_root()
    with pytest.raises(RootKeyMismatch):
        rotate_keks(world.db, other, policy=FORCE_NOW)
    # A different key presenting the right fingerprint is caught by the AEAD itself.
    impostor = LocalRootKey(bytes(32))
    impostor.key_id = world.root.key_id
    from shared.crypto.aead import DecryptionError

    with pytest.raises(DecryptionError):
        rotate_keks(world.db, impostor, policy=FORCE_NOW)
    assert snapshot(world.dsn) == before
    failures = [(m["error"]) for a, o, m in audit_actions(world.dsn) if o == "failure"]
    assert failures == ["RootKeyMismatch", "DecryptionError"]


def test_status_reports_keks_deks_and_due(world):
    from shared.cli.keys import _print_status
    from shared.keys.status import kek_status

    world.seed(30)
    world.new_kek(backdate_days=120)
    world.seed(20, "B")
    with world.db.as_system() as conn:
        status = kek_status(conn, Policy())
    assert status["active_kek_id"] == 2 and status["rotation_due"] is True
    assert status["active_age_days"] >= 120 and status["unfinished"] is True
    assert [(k["id"], k["state"], k["deks"]) for k in status["keks"]] == [(1, "retired", 30), (2, "active", 20)]

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    _print_status(status, out)
    assert "rotation due: yes" in out.getvalue() and "30 DEKs under retired KEKs" in out.getvalue()
    plain = io.StringIO()
    _print_status(status, plain)
    assert json.loads(plain.getvalue())["active_kek_id"] == 2


def test_scheduled_lambda_rotates_by_age_and_returns_a_summary(world, jwt_secret, monkeypatch):
    import functions.rotate_keks as fn
    from shared.container import build_container

    world.seed(40)
    container = build_container(world.settings(jwt_secret))
    monkeypatch.setattr(fn, "default_container", lambda: container)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 300_000

    try:
        quiet = fn.handler({"source": "aws.events"}, Context())
        assert quiet["rotated"] is False and quiet["complete"] is True
        with world.db.as_system() as conn:
            world.backdate(conn, container.settings.kek_max_age_days)
        summary = fn.handler({"source": "aws.events"}, Context())
    finally:
        container.close()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["rotated"] is True and summary["rewrapped"] == 40 and summary["destroyed"] == [1]
    assert [a for a, _, m in audit_actions(world.dsn) if a == "kek_rotation_start"] == ["kek_rotation_start"] * 2


def test_deadline_stops_early_and_a_rerun_finishes(world):
    world.seed(400)
    report = rotate_keks(world.db, world.root, policy=FORCE_NOW, deadline=0.0)
    assert report.rotated and not report.complete and report.pending == [1]
    assert kek_states(world.dsn) == {1: "retired", 2: "active"}
    report = rotate_keks(world.db, world.root)
    assert not report.rotated and report.complete and report.rewrapped == 400
    assert kek_states(world.dsn) == {1: "destroyed", 2: "active"}


def test_a_resolve_after_a_rotation_elsewhere_opens_every_value_and_is_recorded_once(world):
    # GIVEN a service whose cached keyring predates a rotation done by another process
    service = SecretsService(world.db, KeyStore(world.db, world.root))
    old = world.seed(1, "OLD")
    service.keys.keyring()  # cached: the first KEK only
    world.new_kek()
    new = world.seed(1, "NEW")  # under the new KEK, which the cached keyring lacks
    runner = Principal("runner", project_id=world.project_id, run_id="run_after_rotation")

    # WHEN a run resolves a secret under each KEK
    values = resolve_secrets(service, runner, RequestInfo(), world.project_id, ["OLD_0", "NEW_0"])

    # THEN the keyring was reloaded, both open, and the one statement ran (and audited) once
    assert values == {"OLD_0": next(iter(old.values())).decode(), "NEW_0": next(iter(new.values())).decode()}
    with world.db.as_system() as conn:
        events = conn.execute("select count(*) from public.secret_audit_events where action = 'resolve'"
                              " and run_id = 'run_after_rotation'").fetchone()[0]
    assert events == 1
