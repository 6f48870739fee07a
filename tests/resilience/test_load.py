"""Load over loopback (issue #7): 64 concurrent clients with a mix of every operation
against `meshhook-secrets dev` (a real uvicorn and its own embedded Postgres, in a
subprocess), for MESHHOOK_LOAD_SECONDS (15 by default; `python -m tools.loadtest
--seconds 60` is the full run). No 5xx, and afterwards every acknowledged write is there
with its last acknowledged value, every deleted secret is gone (tools/loadtest/).
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from shared.auth.tokens import mint_runner_token
from tests.devserver import start_dev_server
from tools.loadtest import run_load

SECONDS = float(os.environ.get("MESHHOOK_LOAD_SECONDS", "15"))
CLIENTS = int(os.environ.get("MESHHOOK_LOAD_CLIENTS", "64"))


@pytest.fixture
def dev_server(tmp_path, monkeypatch):
    # Reveals are rate-limited per user (60 a minute); the load reveals far more.
    monkeypatch.setenv("MESHHOOK_REVEALS_PER_MINUTE", "1000000")
    server = start_dev_server(tmp_path / "dev")
    yield server
    server.stop()


def test_mixed_load_from_64_clients(dev_server) -> None:
    jwt_secret = json.loads((dev_server.data_dir / "dev.json").read_text())["jwt_secret"]
    project = dev_server.project_id
    runner = mint_runner_token(jwt_secret, uuid.UUID(project), "run_load", ttl=3600)

    result = run_load(dev_server.base_url, dev_server.token("admin"), runner, project,
                      clients=CLIENTS, seconds=SECONDS)
    print(json.dumps({k: result[k] for k in ("requests", "rps", "latency_ms", "statuses", "final_check")}))

    assert result["server_errors"] == 0, result["problems"]
    assert result["rate_limited"] == 0, result["statuses"]
    assert result["problem_count"] == 0, result["problems"]
    assert result["final_check"]["checked"] and result["final_check"]["secrets"] > 0
    assert result["requests"] >= CLIENTS * 5, result  # every client really worked
    assert set(result["ops"]) >= {"create", "list", "get", "update", "reveal", "delete", "resolve"}
    assert result["ok"]
