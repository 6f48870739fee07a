"""deploy/requirements.txt (what the Lambda zip installs) stays in step with pyproject.toml's
dependencies: the same specifier for each, and every runtime dependency but those a Lambda
does not take (the runtime's boto3, the dev server's uvicorn, the worker client's httpx and
the workers' redactor's ahocorasick-rs)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_A_LAMBDA = {"boto3", "uvicorn", "httpx", "ahocorasick-rs"}


def _by_name(lines: list[str]) -> dict[str, Requirement]:
    found = [Requirement(line) for line in lines]
    return {r.name.lower(): r for r in found}


def test_the_zip_installs_the_packages_dependencies_with_the_same_specifiers():
    project = _by_name(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    lines = [line.strip() for line in (ROOT / "deploy" / "requirements.txt").read_text().splitlines()]
    zipped = _by_name([line for line in lines if line and not line.startswith("#")])
    assert set(zipped) == set(project) - NOT_IN_A_LAMBDA
    assert {name: (r.specifier, r.extras) for name, r in zipped.items()} == {
        name: (project[name].specifier, project[name].extras) for name in zipped}
