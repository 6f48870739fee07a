"""import-legacy killed with SIGKILL mid-run, twice, then run to the end: every good row is
imported exactly once with its value, its legacy plaintext is gone (also from a pg_dump),
and the rows it reported stay where they were."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg

from shared.auth.principal import Principal
from shared.cli.dev.embedded import pg_bin
from shared.cli.main import main
from shared.config import load_settings
from shared.container import build_container
from shared.secrets.bulk import export_secrets
from shared.store.models import RequestInfo
from tests.support.meshhook import add_legacy_rows, add_meshhook_project

ROOT = Path(__file__).resolve().parents[2]
ROWS, BAD = 300, 10


def legacy_rows() -> dict[str, bytes]:
    rows = {f"KEY_{i:04d}": f"sk_test_fake_legacy_{i:04d}_{secrets.token_hex(8)}".encode()
            for i in range(ROWS - BAD)}
    rows |= {f"bad-name-{i}": f"fake-bad-legacy-{i}-{secrets.token_hex(8)}".encode() for i in range(BAD)}
    return rows


def start_import(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli.main", "import-legacy", "--apply", "--json", "--batch-size", "10"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_after(env: dict[str, str], imported: int) -> int:
    """Start an import, SIGKILL it once it has reported `imported` rows imported (each line
    is printed after its page committed); how many it had reported."""
    proc = start_import(env)
    watchdog = threading.Timer(120, proc.kill)  # a hung import fails the test instead of hanging it
    watchdog.start()
    seen = 0
    try:
        for line in proc.stdout:
            seen += json.loads(line).get("status") == "imported"
            if seen >= imported:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    return seen


def state(conn: psycopg.Connection, project_id) -> tuple[set[str], dict[str, int], int]:
    """(legacy keys left, imported secret names with their import event counts, secrets)."""
    left = {k for (k,) in conn.execute("select key from public.secrets where project_id = %s", (project_id,))}
    events = dict(conn.execute(
        "select secret_name, count(*) from secret_audit_events where project_id = %s and action = 'import'"
        " group by secret_name", (project_id,)).fetchall())
    count = conn.execute("select count(*) from project_secrets where project_id = %s", (project_id,)).fetchone()[0]
    return left, events, count


def test_sigkill_mid_run_then_rerun_imports_each_row_exactly_once(cli_env, capsys):
    dsn = cli_env["DATABASE_URL"]
    project_id, owner = add_meshhook_project(dsn)
    rows = legacy_rows()
    add_legacy_rows(dsn, project_id, rows)
    good = {k for k in rows if not k.startswith("bad-")}

    with psycopg.connect(dsn, autocommit=True) as conn:
        for at_least in (30, 60):  # killed twice: once fresh, once while resuming
            kill_after(cli_env, at_least)
            left, events, count = state(conn, project_id)
            imported = good - left
            assert len(imported) >= at_least  # every row reported imported had committed
            assert set(events) == imported and set(events.values()) == {1} and count == len(imported)
        assert main(["import-legacy", "--apply", "--json"]) == 0
        summary = json.loads(capsys.readouterr().out.splitlines()[-1])
        left, events, count = state(conn, project_id)

    assert summary["counts"]["imported"] == len(good) - len(imported)  # the rest, nothing twice
    assert left == set(rows) - good  # the reported rows stay, nothing else
    assert set(events) == good and set(events.values()) == {1} and count == len(good)
    container = build_container(load_settings())
    try:
        values = export_secrets(container.service, Principal("user", user_id=owner), RequestInfo(), project_id,
                                fmt="json")
    finally:
        container.close()
    assert values == {k: rows[k].decode() for k in good}

    dump = subprocess.run([pg_bin("pg_dump"), "--dbname", dsn], capture_output=True, check=True, timeout=120).stdout
    assert rows["bad-name-0"].hex().encode() in dump  # a row left in place is in the dump, as hex...
    for key in good:  # ...an imported one in no form at all
        value = rows[key]
        for needle in (value, value.hex().encode(), base64.b64encode(value)):
            assert needle not in dump, key


def test_two_runs_at_once_import_each_row_once(cli_env):
    """Each page's rows are locked SKIP LOCKED: two imports started together import every
    row once between them, and neither fails."""
    dsn = cli_env["DATABASE_URL"]
    projects = [add_meshhook_project(dsn)[0] for _ in range(2)]
    rows = {f"KEY_{i:04d}": f"sk_test_fake_twice_{i:04d}".encode() for i in range(100)}
    for project_id in projects:
        add_legacy_rows(dsn, project_id, rows)
    procs = [start_import(cli_env) for _ in range(2)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outputs]
    reported = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    imported = [(r["project_id"], r["key"]) for r in reported if r.get("status") == "imported"]
    assert len(imported) == len(set(imported)) == 200  # every row once, by one run or the other
    with psycopg.connect(dsn) as conn:
        for project_id in projects:
            left, events, count = state(conn, project_id)
            assert not left and count == 100 and set(events.values()) == {1}
