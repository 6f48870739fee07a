"""Docs that cannot rot: the API reference is the OpenAPI document, rendered; every file
and test a doc cites exists; the project cites only itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tools.apidoc import current_markdown

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
TOP_LEVEL = ("shared", "tests", "functions", "migrations", "web", "clients", "tools", "deploy", "docs",
             "scripts", "examples", ".ci")
# `tests/x.py`, `tests/x.py::test_name`, `functions/f.handler`, `docs/a.md#anchor`, in backticks
# or links; a path in web/README.md may also be relative to web/.
CITED = re.compile(r"(?<![\w./-])((?:" + "|".join(re.escape(t) for t in TOP_LEVEL)
                   + r")/[\w./-]*[\w/])(?:::(\w+))?")


def _doc_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    return [REPO / p for p in tracked if "node_modules" not in p]


def test_api_reference_matches_the_code():
    assert (DOCS / "api.md").read_text() == current_markdown(), (
        "docs/api.md is stale: run `python -m tools.apidoc > docs/api.md`")


def test_api_reference_covers_every_route():
    from shared.api.app import ROUTE_NAMES, create_app

    spec = create_app().fastapi.openapi()
    operations = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert set(ROUTE_NAMES) <= operations
    text = (DOCS / "api.md").read_text()
    for path, item in spec["paths"].items():
        for method in item:
            assert f"`{method.upper()} {path}`" in text


def test_every_path_a_doc_cites_exists():
    missing = []
    for doc in _doc_files():
        for match in CITED.finditer(doc.read_text()):
            cited, name = match.group(1).split("#")[0], match.group(2)
            if cited.startswith("functions/") and cited.endswith(".handler"):
                cited = cited.removesuffix(".handler") + ".py"
            here = next((base / cited for base in (REPO, doc.parent) if (base / cited).exists()), None)
            if here is None:
                missing.append(f"{doc.relative_to(REPO)}: {cited}")
            elif name and here.is_file() and not re.search(rf"\b{name}\b", here.read_text()):
                missing.append(f"{doc.relative_to(REPO)}: {cited}::{name}")
    assert not missing, "\n".join(missing)


BRIEF_MARKERS = ("DESIGN \u00a7", "DESIGN" + ".md", ".." + "/shared/")  # split: this file is tracked too


def test_the_project_cites_no_design_brief_outside_itself():
    # The design is described in the project's own words (docs/architecture.md and the pages
    # it links); a pointer into a brief that is not in the repository helps no reader.
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    offenders = []
    for path in tracked:
        file = REPO / path
        if path.endswith((".png", ".json", ".lock")) or not file.is_file():
            continue
        text = file.read_text(errors="ignore")
        if any(marker in text for marker in BRIEF_MARKERS):
            offenders.append(path)
    assert offenders == []
