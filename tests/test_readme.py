"""The README's curl examples, run as a new user would: against a fresh `dev` server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.devserver import start_dev_server
from tests.support.doc_blocks import marked_block, run_block

README = Path(__file__).resolve().parents[1] / "README.md"


def curl_block() -> str:
    return marked_block(README, "readme-curl")


def test_readme_curl_examples_work_against_dev(tmp_path):
    server = start_dev_server(tmp_path / ".meshhook")
    try:
        export = server.export_line
        script = export.strip() + "\n" + curl_block().replace("curl -sS", "curl -fsS")
        out = run_block(script, env={}, cwd=README.parent, timeout=60)
    finally:
        server.stop()
    assert out.returncode == 0, out.stderr
    documents, rest = [], out.stdout
    decoder = json.JSONDecoder()
    while rest.strip().startswith("{"):
        doc, end = decoder.raw_decode(rest.strip())
        documents.append(doc)
        rest = rest.strip()[end:]
    created, listed, got, rotated, revealed, versions, rolled_back, resolved, audit, imported, exported = documents
    assert created["secret"]["name"] == "STRIPE_API_KEY" and created["secret"]["version"] == 1
    assert [s["name"] for s in listed["secrets"]] == ["STRIPE_API_KEY"]
    assert got["secret"]["id"] == created["secret"]["id"]
    assert rotated["secret"]["version"] == 2
    assert revealed == {"value": "sk_test_fake_0001"}
    assert [(v["version"], v["current"]) for v in versions["versions"]] == [(2, True), (1, False)]
    assert rolled_back["secret"]["version"] == 3
    assert resolved == {"secrets": {"STRIPE_API_KEY": "sk_test_fake_0000"}}
    assert [e["action"] for e in audit["events"]] == ["resolve", "rollback", "reveal", "rotate", "create"]
    assert imported == {"created": ["SENTRY_DSN", "DB_PASSWORD"], "updated": [], "skipped": [], "dry_run": False}
    assert exported == {"DB_PASSWORD": "fake pass", "SENTRY_DSN": "fake-dsn-0000", "STRIPE_API_KEY": "sk_test_fake_0000"}
    assert rest.strip() == "204"
