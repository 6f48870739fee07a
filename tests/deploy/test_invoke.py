"""`scripts/invoke FUNCTION` runs `serverless invoke local` against a `dev` set-up with no
hand editing: the sample event gets the demo project, a fresh token and a real secret id."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def invoke(data_dir: Path, *args: str) -> dict:
    env = {**os.environ, "SLS_TELEMETRY_DISABLED": "1"}
    for name in ("DATABASE_URL", "SUPABASE_JWT_SECRET", "MESHHOOK_ROOT_KEY"):
        env.pop(name, None)  # all of it comes from the dev set-up
    out = subprocess.run([str(ROOT / "scripts" / "invoke"), *args, "--data-dir", str(data_dir)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # The log and EMF lines come first, one JSON object a line; the response is printed indented.
    return json.loads(out.stdout[out.stdout.index("{\n    \"statusCode\""):out.stdout.rindex("}") + 1])


def test_invoke_create_then_get_the_first_secret(tmp_path):
    created = invoke(tmp_path, "createSecret")
    assert created["statusCode"] == 201, created
    secret = json.loads(created["body"])["secret"]
    got = invoke(tmp_path, "get_secret")  # the module name works too; the secret id is found
    assert got["statusCode"] == 200 and json.loads(got["body"])["secret"]["id"] == secret["id"]
    assert (tmp_path / "invoke-get_secret.json").stat().st_mode & 0o077 == 0  # it holds a token
