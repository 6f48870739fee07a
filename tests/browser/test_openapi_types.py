"""The UI's API types come from web/src/lib/api/openapi.json (`npm run gen:types`).

This fails while that committed document differs from what the Python app serves, so
a change to the API that the UI's types do not know about fails the test run; then
`bash scripts/update-openapi` and `cd web && npm run check` show what the UI must follow.
"""

from __future__ import annotations

import json
from pathlib import Path

COMMITTED = Path(__file__).resolve().parents[2] / "web" / "src" / "lib" / "api" / "openapi.json"


def test_committed_openapi_document_matches_the_app():
    from shared.api.app import create_app

    served = json.loads(json.dumps(create_app().fastapi.openapi()))  # as `update-openapi` writes it
    committed = json.loads(COMMITTED.read_text())
    if served != committed:
        changed = sorted(
            f"{kind} {key}"
            for kind in ("paths", "components.schemas")
            for key in _diff(served, committed, kind)
        )
        raise AssertionError(
            "web/src/lib/api/openapi.json is stale; run `bash scripts/update-openapi`, then "
            f"`cd web && npm run check`. Differences: {', '.join(changed) or 'top-level fields'}"
        )


def _diff(a: dict, b: dict, dotted: str) -> set[str]:
    for part in dotted.split("."):
        a, b = a.get(part, {}), b.get(part, {})
    return {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}
