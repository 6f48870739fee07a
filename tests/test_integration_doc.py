"""The commands of docs/integration.md, run as written: the orchestrator's runner token and a
resolve with it, the Node executor example, and the legacy import on a MeshHook-shaped
database (blocks found by their marker comments, tests/support/doc_blocks.py)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tests.clients.conftest import VALUE, dev, http_stub, js_client, json_answer  # noqa: F401 - fixtures
from tests.support.doc_blocks import marked_block, run_block
from tests.support.meshhook import (  # noqa: F401 - fixtures
    add_legacy_rows,
    add_meshhook_project,
    cli_env,
    meshhook_dsn,
    meshhook_template,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "integration.md"


def test_runner_token_block_resolves_and_may_do_nothing_else(dev):  # noqa: F811
    script = marked_block(DOC, "doc-runner-token").replace("curl -sS -X", "curl -fsS -X")
    out = run_block(script, env={"API": dev.server.base_url, "PROJECT": dev.server.project_id},
                    cwd=dev.server.data_dir.parent)  # where `dev` keeps .meshhook/dev.json
    assert out.returncode == 0, out.stderr
    resolved, status = out.stdout.rsplit("}", 1)
    assert json.loads(resolved + "}") == {"secrets": {"STRIPE_API_KEY": VALUE}}
    assert status.strip() == "403"


def test_node_executor_block_records_the_response_redacted(dev, http_stub):  # noqa: F811
    stub = http_stub(lambda request: json_answer(200, {"echo": request["headers"]["Authorization"]}))
    script = marked_block(DOC, "doc-node-executor").replace("https://httpbin.org/anything", stub.url)
    out = run_block(script, env=dev.env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert stub.requests[0]["headers"]["Authorization"] == f"Bearer {VALUE}"
    assert '"Authorization":"Bearer [REDACTED]"' in out.stdout
    assert 'recorded): {"echo": "Bearer [REDACTED]"}' in out.stdout  # the slice MeshHook stores
    assert VALUE not in out.stdout + out.stderr


def test_legacy_import_block_moves_the_rows_and_reports_the_rest(cli_env, tmp_path):  # noqa: F811
    dsn = cli_env["DATABASE_URL"]
    project_id, _ = add_meshhook_project(dsn)
    add_legacy_rows(dsn, project_id, {"STRIPE_API_KEY": b"sk_test_fake_doc_0001", "api-key": b"fake-doc-dash"})
    out = run_block(marked_block(DOC, "doc-legacy-import"), env=cli_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    [at] = [i for i, line in enumerate(lines) if line.startswith("{")]  # `tail -n 1`: the summary
    dry, summary, again = lines[:at], json.loads(lines[at]), lines[at + 1:]
    assert sorted(line.split()[0] for line in dry[:2]) == ["name", "would"]  # one line per row
    assert "dry run: nothing written" in dry[2]
    assert summary["event"] == "summary" and summary["counts"] == {"imported": 1, "name_invalid": 1}
    assert summary["left"] == 1 and summary["rows_per_second"] > 0
    assert again[0].startswith("name invalid") and "(suggested: API_KEY)" in again[0]
    assert again[1].startswith("would import 0 of 1 rows")  # the rerun: only what it reported
    rows = [json.loads(line) for line in (tmp_path / "import-legacy.jsonl").read_text().splitlines()]
    assert sorted(r.get("status", "") for r in rows) == ["", "imported", "name_invalid"]
    with psycopg.connect(dsn) as conn:
        assert [k for (k,) in conn.execute("select key from public.secrets")] == ["api-key"]
        assert [n for (n,) in conn.execute("select name from project_secrets where project_id = %s",
                                            (project_id,))] == ["STRIPE_API_KEY"]
    assert "sk_test_fake_doc" not in out.stdout + out.stderr
