"""`meshhook-secrets dev` as a new user meets it: start, health, sign-in URLs, restart."""

from __future__ import annotations

import stat

import httpx

from tests.devserver import start_dev_server


def test_dev_serves_health_and_keeps_its_keys(tmp_path):
    data = tmp_path / ".meshhook"
    server = start_dev_server(data)
    try:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        headers = {"Authorization": f"Bearer {server.token('admin')}"}
        listed = httpx.get(f"{server.base_url}/api/projects/{server.project_id}/secrets", headers=headers)
        assert listed.status_code == 200 and listed.json() == {"secrets": []}
        created = httpx.post(f"{server.base_url}/api/projects/{server.project_id}/secrets",
                             headers=headers, json={"name": "DEV_ONE", "value": "fake-dev-value"})
        assert created.status_code == 201
        first_project = server.project_id
    finally:
        output = server.stop()
    assert "fake-dev-value" not in output
    mode = stat.S_IMODE((data / "dev.json").stat().st_mode)
    assert mode == 0o600

    # GIVEN the same data folder WHEN dev starts again THEN project, keys and data are reused.
    again = start_dev_server(data)
    try:
        assert again.project_id == first_project
        headers = {"Authorization": f"Bearer {again.token('viewer')}"}
        listed = httpx.get(f"{again.base_url}/api/projects/{again.project_id}/secrets", headers=headers)
        assert [s["name"] for s in listed.json()["secrets"]] == ["DEV_ONE"]
    finally:
        again.stop()


def test_token_command_mints_tokens_dev_accepts(tmp_path):
    """`token` without SUPABASE_JWT_SECRET uses the secret `dev` keeps, so a developer can
    mint a token for another user or a run; the API accepts it."""
    import subprocess
    import sys
    import uuid

    data = tmp_path / ".meshhook"
    server = start_dev_server(data)
    try:
        def mint(*args: str) -> str:
            out = subprocess.run([sys.executable, "-m", "shared.cli.main", "token", "--data-dir", str(data), *args],
                                 capture_output=True, text=True, timeout=60,
                                 env={"PATH": "/usr/bin:/bin"})
            assert out.returncode == 0, out.stderr
            return out.stdout.strip()

        url = f"{server.base_url}/api/projects/{server.project_id}"
        runner = mint("--runner", "--project", server.project_id)
        resolved = httpx.post(f"{url}/secrets/resolve", json={"names": ["NOTHING_YET"]},
                              headers={"Authorization": f"Bearer {runner}"})
        assert resolved.status_code == 404 and "NOTHING_YET" in resolved.json()["message"]
        stranger = mint("--sub", str(uuid.uuid4()))
        assert httpx.get(url, headers={"Authorization": f"Bearer {stranger}"}).status_code == 404
    finally:
        server.stop()
