"""Fixtures for the deployment tests: the Lambda artifact built by the real command
(`npx serverless package`), a clean interpreter that has only that artifact and boto3 (what
Lambda's python3.11 runtime has), and a Postgres of their own behind PgBouncer in
transaction mode (Supabase's pooler), as docs/operations.md#deploy promises.

Each architecture is built once per session into the session's temporary folder; pip's
wheel cache (serverless-python-requirements' download cache) makes a rebuild download
nothing. boto3 is installed once into `.cache/deploy/` (ignored by git).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.pgbouncer import PgBouncer, run_pgbouncer
from tests.support.postgres import PgServer, own_pg_server

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "lambda_driver.py"
SERVICE = "meshhook-secrets"
FIGURES = ROOT / "test-output" / "deploy-figures.json"


def serverless_env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}", "SLS_TELEMETRY_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off"}


@dataclass
class Artifact:
    arch: str
    folder: Path  # what `serverless package --package` wrote
    build_s: float
    _unzipped: Path | None = field(default=None, repr=False)

    @property
    def zip(self) -> Path:
        return self.folder / f"{SERVICE}.zip"

    def template(self) -> dict:
        return json.loads((self.folder / "cloudformation-template-update-stack.json").read_text())

    def functions(self) -> dict[str, dict]:
        """Each Lambda function's CloudFormation properties, by resource name."""
        resources = self.template()["Resources"]
        return {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.zip) as zf:
            return zf.namelist()

    def unzipped_bytes(self) -> int:
        with zipfile.ZipFile(self.zip) as zf:
            return sum(info.file_size for info in zf.infolist())

    def unzipped(self) -> Path:
        """The zip extracted as Lambda does into /var/task (file modes kept)."""
        if self._unzipped is None:
            target = self.folder / "task"
            with zipfile.ZipFile(self.zip) as zf:
                zf.extractall(target)
                for info in zf.infolist():
                    mode = info.external_attr >> 16
                    if mode and not info.is_dir():
                        (target / info.filename).chmod(mode & 0o755 | 0o444)
            self._unzipped = target
        return self._unzipped


def build_artifact(arch: str, folder: Path) -> Artifact:
    started = time.monotonic()
    out = subprocess.run(["npx", "serverless", "package", f"--param=arch={arch}", "--package", str(folder)],
                         cwd=ROOT, env=serverless_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    return Artifact(arch, folder, time.monotonic() - started)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Iterator[dict[str, Artifact]]:
    """`artifacts[arch]`, built on first use."""
    built: dict[str, Artifact] = {}

    class Builds(dict):
        def __missing__(self, arch: str) -> Artifact:
            built[arch] = build_artifact(arch, tmp_path_factory.mktemp(f"sls-{arch}"))
            return built[arch]

    yield Builds()
    record_figures({f"build_s_{arch}": round(a.build_s, 1) for arch, a in built.items()})


def record_figures(figures: dict) -> None:
    """Keep the measured figures in test-output/deploy-figures.json (README, "Deploy")."""
    FIGURES.parent.mkdir(exist_ok=True)
    current = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    FIGURES.write_text(json.dumps({**current, **figures}, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def boto3_dir() -> Path:
    """boto3 alone (and what it needs), as Lambda's python3.11 runtime provides it."""
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
    target = ROOT / ".cache" / "deploy" / f"boto3-{tag}"
    done = target / ".installed"
    if not done.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--upgrade", "--target", str(target),
                        "boto3"], check=True, timeout=600)
        done.write_text("boto3\n")
    return target


def run_in_clean_python(artifact_dir: Path, boto3: Path, spec: dict, env: dict[str, str],
                        tmp: Path) -> dict:
    """Lambda's view: `python -I -S` (no site-packages, no PYTHON* variables, no cwd on
    sys.path), with the unzipped artifact and boto3 as its only libraries."""
    spec_file = tmp / f"spec-{time.monotonic_ns()}.json"
    spec_file.write_text(json.dumps({**spec, "path": [str(artifact_dir), str(boto3)]}))
    clean_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC", **env}
    out = subprocess.run([sys.executable, "-I", "-S", "-B", str(DRIVER), str(spec_file)], cwd=tmp,
                         env=clean_env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-6000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def pooled_server() -> Iterator[tuple[PgServer, PgBouncer]]:
    """A Postgres of the deploy tests' own, behind PgBouncer in transaction mode."""
    with own_pg_server() as server, run_pgbouncer(server) as bouncer:
        yield server, bouncer
