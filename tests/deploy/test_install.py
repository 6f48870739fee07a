"""`pip install .` (not editable) into a fresh virtualenv gives a `meshhook-secrets` whose
`migrate` works from any working directory: the SQL ships inside the package (docs/operations.md#deploy)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from tests.deploy.conftest import record_figures

ROOT = Path(__file__).resolve().parents[2]


def test_installed_package_migrates_from_another_directory(database, tmp_path):
    venv = tmp_path / "venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True, timeout=900,
                   cwd=tmp_path)
    record_figures({"pip_install_s": round(time.monotonic() - started, 1)})

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import shared.store.migrate as m; print(m.__file__); print(m.MIGRATIONS_DIR)"],
        cwd=elsewhere, capture_output=True, text=True, check=True).stdout.split()
    module, migrations = Path(where[0]), Path(where[1])
    assert module.is_relative_to(venv) and not migrations.is_symlink(), where  # a copy, not the checkout
    assert sorted(p.name for p in migrations.glob("*.sql")) == sorted(p.name for p in (ROOT / "migrations").glob("*.sql"))

    with psycopg.connect(database.admin_dsn, autocommit=True) as conn:
        conn.execute('drop database if exists "installed_migrate"')
        conn.execute('create database "installed_migrate"')
    dsn = make_conninfo(database.admin_dsn, dbname="installed_migrate")
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": dsn}
    run = [str(venv / "bin" / "meshhook-secrets"), "migrate", "--supabase-compat"]
    first = subprocess.run(run, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("applied ") == len(list((ROOT / "migrations").glob("*.sql"))), first.stdout
    again = subprocess.run(run, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert again.stdout.strip() == "up to date", again.stdout + again.stderr
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regclass('public.project_secrets') is not null").fetchone()[0]
