"""Rotation next to other rotations and next to live API traffic."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import uuid
from datetime import timedelta

import pytest

from shared.auth.principal import Principal
from shared.container import build_container
from shared.keys.rotate import Policy, rotate_keks
from shared.store.database import Database
from shared.store.models import RequestInfo
from tests.keys.conftest import REPO, cli, decrypt_all, deks_per_kek, kek_states


def _run_together(world, policies: list[Policy]) -> list:
    """Start one rotation per policy at the same instant, each with its own pool."""
    barrier = threading.Barrier(len(policies))
    reports, errors = [None] * len(policies), []

    def run(i: int) -> None:
        db = Database(world.dsn, max_size=3)
        try:
            barrier.wait()
            reports[i] = rotate_keks(db, world.root, policy=policies[i], batch_size=100)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(policies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return reports


@pytest.mark.parametrize("how", ["force", "scheduled"])
def test_two_rotations_at_once_end_like_one(world, how):
    # GIVEN 3,000 secrets under a KEK that is due (scheduled) or merely a day old (force)
    values = world.seed(3000)
    with world.db.as_system() as conn:
        world.backdate(conn, 100 if how == "scheduled" else 1)
    policy = Policy(force=how == "force")
    # WHEN two runs start at the same instant
    reports = _run_together(world, [policy, policy])
    # THEN exactly one new KEK, every DEK moved exactly once, the old KEK destroyed
    assert sorted(r.rotated for r in reports) == [False, True]
    assert all(r.complete and r.active_kek_id == 2 for r in reports)
    assert sum(r.rewrapped for r in reports) == 3000
    assert kek_states(world.dsn) == {1: "destroyed", 2: "active"}
    assert deks_per_kek(world.dsn) == {2: 3000}
    assert decrypt_all(world.dsn, world.root) == values


def test_a_newer_rotation_overtaking_an_older_one_is_followed(world):
    # GIVEN two runs that each insist on their own new KEK (no settle window)
    values = world.seed(3000)
    now = Policy(force=True, settle=timedelta(0))
    reports = _run_together(world, [now, now])
    # THEN the later KEK wins, the run that started on the earlier one follows it, nothing is lost
    assert all(r.complete for r in reports)
    assert kek_states(world.dsn) == {1: "destroyed", 2: "destroyed", 3: "active"}
    assert deks_per_kek(world.dsn) == {3: 3000}
    assert decrypt_all(world.dsn, world.root) == values


def test_rotation_while_the_api_serves(world, jwt_secret):
    # GIVEN an API process (its own KEK cache) and 4,000 stored secrets
    values = world.seed(4000)
    api = build_container(world.settings(jwt_secret))
    owner = Principal("user", user_id=world.owner)
    request = RequestInfo("127.0.0.1", "rotation-test")
    stop, failures, ops = threading.Event(), [], [0]
    seeded = list(values)
    with world.db.as_system() as conn:  # a second project for creates (the per-project limit)
        from shared.cli.dev.seed import create_project

        other = create_project(conn, "creates")
        conn.execute("update public.projects set owner = %s where id = %s", (world.owner, other))
    expected: dict[uuid.UUID, str] = {sid: v.decode() for sid, v in values.items()}
    workers = 4

    def client(t: int) -> None:
        rnd = random.Random(t)
        mine = seeded[t::workers]  # each thread updates only its own secrets, so it knows their value
        n = 0
        try:
            while not stop.is_set() or n < 30:
                n += 1
                op = rnd.random()
                sid = rnd.choice(mine)
                if op < 0.4:
                    assert api.service.reveal(owner, request, world.project_id, sid) == expected[sid]
                elif op < 0.8:
                    new = f"v{n}-{uuid.uuid4().hex}"
                    api.service.update(owner, request, world.project_id, sid, value=new)
                    expected[sid] = new
                else:
                    value = uuid.uuid4().hex
                    meta = api.service.create(owner, request, other, name=f"T{t}_{n}", value=value)
                    expected[meta.id] = value
                ops[0] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(workers)]
    try:
        for t in threads:
            t.start()
        # WHEN a rotation runs meanwhile (small batches, so it overlaps plenty of requests)
        report = rotate_keks(world.db, world.root, policy=Policy(force=True, settle=timedelta(0)),
                             batch_size=50)
        during = ops[0]
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        stop.set()
        api.close()
    # THEN no request failed, no value was lost or changed, and the rotation completed
    assert not failures, failures[:3]
    assert during > 20, "the clients should have been busy while the rotation ran"
    assert report.complete and kek_states(world.dsn) == {1: "destroyed", 2: "active"}
    assert set(deks_per_kek(world.dsn)) == {2}
    stored = decrypt_all(world.dsn, world.root)
    assert {sid: v.decode() for sid, v in stored.items()} == expected


def test_two_forced_commands_at_once_make_one_kek(world, jwt_secret):
    # GIVEN a day-old KEK and `rotate-keks --force` typed in two terminals at once
    values = world.seed(2000)
    with world.db.as_system() as conn:
        world.backdate(conn, 1)
    env = world.cli_env(jwt_secret)
    procs = [subprocess.Popen(cli("rotate-keks", "--force", "--batch-size", "100"), cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    ends = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    # THEN one of them rotated, the other joined its re-wrap: the end state of a single run
    assert sorted(e["rotated"] for e in ends) == [False, True]
    assert sum(e["rewrapped"] for e in ends) == 2000
    assert kek_states(world.dsn) == {1: "destroyed", 2: "active"}
    assert decrypt_all(world.dsn, world.root) == values
