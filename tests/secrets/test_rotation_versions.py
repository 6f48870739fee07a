"""KEK rotation with 10 kept versions per secret, SIGKILLed mid-run and resumed (the pattern
of tests/keys/test_crash_safety.py): every version of every secret still opens, each DEK was
re-wrapped once in one pass, and no value was re-encrypted."""

from __future__ import annotations

from tests.keys.conftest import decrypt_versions, deks_per_kek, kek_states, version_rows
from tests.keys.kills import kill_at_each, run_to_end

KILLS = [("activated", 1, True), ("rewrap", 2, False), ("rewrap", 5, False), ("rewrap", 1, False)]


def test_sigkill_mid_rewrap_of_ten_versions_then_resume(world, jwt_secret):
    # GIVEN 300 secrets of 10 versions each (3,000 DEKs) under KEK 1, which is due
    world.seed(300, "V", versions=10)
    with world.db.as_system() as conn:
        world.backdate(conn, 100)
    values = decrypt_versions(world.dsn, world.root)
    assert len(values) == 3000
    ciphertexts = {key: row[5] for key, row in version_rows(world.dsn).items()}
    env = world.cli_env(jwt_secret)

    # WHEN the job is killed at several points, then runs to the end
    killed = kill_at_each(env, KILLS, lambda: decrypt_versions(world.dsn, world.root), values)
    assert killed >= 3
    run_to_end(env)

    # THEN every version of every secret is under the new KEK and opens to its own value
    assert kek_states(world.dsn) == {1: "destroyed", 2: "active"}
    assert deks_per_kek(world.dsn) == {2: 3000}
    assert decrypt_versions(world.dsn, world.root) == values
    assert {key: row[5] for key, row in version_rows(world.dsn).items()} == ciphertexts
