"""Docs that cannot rot: the API reference is the OpenAPI document, rendered."""

from __future__ import annotations

from pathlib import Path

from tools.apidoc import current_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


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
