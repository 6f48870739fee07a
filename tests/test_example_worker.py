"""The example worker, run as the README shows: the value reaches the service, not the log."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.devserver import start_dev_server

ROOT = Path(__file__).resolve().parents[1]
VALUE = "sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc"


def test_example_worker_output_is_redacted(tmp_path):
    server = start_dev_server(tmp_path / ".meshhook")
    try:
        export = server.export_line
        env_vars = dict(part.split("=", 1) for part in export.split()[1:])
        created = httpx.post(f"{server.base_url}/api/projects/{server.project_id}/secrets",
                             headers={"Authorization": f"Bearer {server.token('admin')}"},
                             json={"name": "STRIPE_API_KEY", "value": VALUE})
        assert created.status_code == 201
        out = subprocess.run([sys.executable, str(ROOT / "examples" / "worker.py")], cwd=ROOT,
                             env={**os.environ, **env_vars, "PYTHONPATH": str(ROOT)},
                             capture_output=True, text=True, timeout=60)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr
    assert "the remote service received the real key: True" in out.stdout
    assert "Bearer [REDACTED]" in out.stdout
    assert "{{input.customer_id}}" in out.stdout  # MeshHook's own placeholders are left alone
    echoed_b64 = base64.b64encode(f"Bearer {VALUE}".encode()).decode()
    assert echoed_b64[:10] in out.stdout  # the echo's base64 field is logged, masked inside
    for form in (VALUE, VALUE[8:], echoed_b64[11:-3]):  # the value, a part, its base64 mid-block
        assert form not in out.stdout + out.stderr
