"""The whole API suite (tests/api) again, in the deployed shape: `DB_POOL_MAX=1` (what
serverless.yml gives every HTTP function) and the service's connections through PgBouncer
in transaction mode. A write needs the keyring, loaded in a transaction of its own before
the caller's (SecretsService.with_keyring): with one connection it must not wait for itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_suite_with_a_pool_of_one_through_pgbouncer(pooled_server, tmp_path):
    server, bouncer = pooled_server
    report = tmp_path / "checked"
    env = {**os.environ, "DB_POOL_MAX": "1",
           "DATABASE_URL": server.dsn(),  # direct: the fixtures create databases and look underneath
           "MESHHOOK_TEST_POOLER": bouncer.conninfo(),  # the service's own connections
           "MESHHOOK_POOL_CHECK_REPORT": str(report), "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/api", "-p", "no:cacheprovider", "-p", "tests.deploy.pool_of_one_check",
         "-q", "-x"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert re.search(r"^\d+ passed", output, re.M) and " failed" not in output, output[-2000:]
    assert int(report.read_text()) >= 50  # tests that used the app's container, each with a pool of one
    stats = {row["database"]: row for row in bouncer.admin("SHOW STATS")}
    assert sum(int(r["total_xact_count"]) for name, r in stats.items() if name.startswith("meshhook_t")) >= 200
