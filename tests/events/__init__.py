"""Sample API Gateway HTTP API (v2) events, one per route (`NAME.json` for
`functions/NAME.py`), with placeholders that `load_event` aims at real ids: the project
`11111111-2222-4333-8444-555555555555`, the secret `66666666-7777-4888-9999-000000000000`
and the token `REPLACE_WITH_TOKEN`. Used by the Lambda tests and by `scripts/invoke`."""

from __future__ import annotations

import json
from pathlib import Path

EVENTS = Path(__file__).resolve().parent


def load_event(name: str, *, project_id, token: str, secret_id=None, body=None, headers=None) -> dict:
    """A sample API Gateway HTTP API (v2) event from tests/events, aimed at real ids."""
    text = (EVENTS / f"{name}.json").read_text()
    text = text.replace("11111111-2222-4333-8444-555555555555", str(project_id))
    if secret_id is not None:
        text = text.replace("66666666-7777-4888-9999-000000000000", str(secret_id))
    event = json.loads(text.replace("REPLACE_WITH_TOKEN", token))
    if body is not None:
        event["body"] = json.dumps(body)
    event["headers"].update(headers or {})
    return event
