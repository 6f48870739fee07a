"""`rotate-keks` killed with SIGKILL at several points, then rerun: nothing is lost.

The job keeps no state outside the database, so a crash at any instant leaves a state the
next run continues from. The test synchronises on the job's own progress lines (JSON, one
per step and batch, since stdout is not a terminal), never on sleeps.
"""

from __future__ import annotations

import json
import subprocess

from tests.keys.conftest import REPO, cli, decrypt_all, deks_per_kek, kek_states
from tests.keys.kills import kill_at_each, run_to_end

KILL_POINTS = [  # (event to wait for, how many of them, run with --force)
    ("start", 1, True),  # before or during activation
    ("activated", 1, False),  # the new KEK is committed, nothing re-wrapped yet
    ("rewrap", 3, True),  # mid re-wrap
    ("rewrap", 6, False),
    ("rewrap", 1, True),  # right after a restart
    ("destroyed", 1, True),  # re-wrap done, between destroying one retired KEK and the next
]


def test_sigkill_at_any_point_then_rerun(world, jwt_secret):
    # GIVEN 5,000 secrets under two KEKs, both older than the max age (an earlier rotation
    # was interrupted), so a run without --force is due too
    values = world.seed(2500, "A")
    world.new_kek()
    values |= world.seed(2500, "B")
    with world.db.as_system() as conn:
        world.backdate(conn, 100)
    env = world.cli_env(jwt_secret)

    # WHEN runs are killed at several different points, then one runs to the end
    killed = kill_at_each(env, KILL_POINTS, lambda: decrypt_all(world.dsn, world.root), values)
    assert killed >= 4, "most runs should have been killed mid-way"
    run_to_end(env)

    # THEN one new KEK, every DEK under it, the old KEKs destroyed, every value intact
    assert kek_states(world.dsn) == {1: "destroyed", 2: "destroyed", 3: "active"}
    assert deks_per_kek(world.dsn) == {3: 5000}
    assert decrypt_all(world.dsn, world.root) == values

    status = subprocess.run(cli("rotate-keks", "--status"), cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    report = json.loads(status.stdout)
    assert report["active_kek_id"] == 3 and report["rotation_due"] is False
    assert report["unfinished"] is False and report["deks_under_retired"] == 0
