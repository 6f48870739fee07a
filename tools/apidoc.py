"""Render docs/api.md from the OpenAPI document, so the reference cannot drift from the code.

`python -m tools.apidoc > docs/api.md` regenerates it; tests/test_docs.py fails when the
committed file differs from what the running code would produce.
"""

from __future__ import annotations

import sys
from typing import Any

WHO = {
    "get_project": "any member (and a workflow run of the project)",
    "create_secret": "editor, admin",
    "list_secrets": "viewer, editor, admin",
    "get_secret": "viewer, editor, admin",
    "update_secret": "editor, admin",
    "delete_secret": "editor, admin",
    "reveal_secret": "admin",
    "resolve_secrets": "a workflow run of the project (runner token), or `service_role`",
    "audit_events": "admin",
    "list_versions": "viewer, editor, admin",
    "rollback_secret": "editor, admin",
    "import_secrets": "editor, admin",
    "export_secrets": "admin",
    "check_references": "viewer, editor, admin, or a workflow run of the project",
}

INTRO = """# HTTP API reference

Generated from the OpenAPI document (`/api/openapi.json`) by `python -m tools.apidoc`;
do not edit by hand. A walkthrough with curl is in the README.

- JSON in and out, snake_case fields; every response carries `Cache-Control: no-store`,
  and headers that forbid framing (`X-Frame-Options: DENY`, `frame-ancestors 'none'`),
  MIME sniffing and the Referer.
- Authentication: `Authorization: Bearer <token>`: a Supabase access token (users), a
  runner token (`role: workflow_runner`, one project, short-lived), or the `service_role` key.
- A caller who does not belong to a project gets `404 not_found` for it, exactly as for a
  project that does not exist; a member without the needed role gets `403 forbidden`.
- Errors: `{"error": "<code>", "message": "<text>"}`, with the codes in the table below.
- Limits: name `^[A-Za-z_][A-Za-z0-9_]{0,127}$`, unique per project ignoring case and
  immutable; value 1 byte to 64 KiB of UTF-8; description at most 500 characters; at most
  1,000 secrets per project; request body at most 128 KiB (the import route: 1 MiB);
  the last 10 versions of each secret are kept (`MESHHOOK_MAX_VERSIONS`), older ones destroyed.
"""


def _schema_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("type", "")


def _fields(spec: dict[str, Any], name: str) -> list[str]:
    schema = spec["components"]["schemas"].get(name, {})
    required = set(schema.get("required", []))
    rows = []
    for field, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or " or ".join(
            p.get("type", _schema_name(p)) for p in prop.get("anyOf", [])) or _schema_name(prop)
        note = prop.get("description", "")
        rows.append(f"| `{field}` | {kind} | {'yes' if field in required else 'no'} | {note} |")
    return rows


def render(spec: dict[str, Any]) -> str:
    out = [INTRO, error_table()]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            name = op.get("operationId", "")
            out.append(f"## `{method.upper()} {path}`\n")
            out.append(f"{op.get('description') or op.get('summary', '')}\n")
            if name in WHO:
                out.append(f"Who: {WHO[name]}.\n")
            params = [p for p in op.get("parameters", []) if p["in"] in ("query", "header")]
            if params:
                out.append("| parameter | in | meaning |\n| --- | --- | --- |")
                out += [f"| `{p['name']}` | {p['in']} | {p.get('description', '')} |" for p in params]
                out.append("")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                out.append("Request body:\n\n| field | type | required | meaning |\n| --- | --- | --- | --- |")
                out += _fields(spec, _schema_name(body))
                out.append("")
            out.append("| status | body |\n| --- | --- |")
            for status, resp in op["responses"].items():
                schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
                out.append(f"| {status} | {_schema_name(schema) or '(empty)'}: {resp.get('description', '')} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def error_table() -> str:
    from shared.errors import ERRORS

    rows = [f"| {e.status} | `{e.code}` | {e.meaning()} |" for e in sorted(ERRORS, key=lambda e: e.status)]
    return "\n".join(["## Errors", "", "| status | error | meaning |", "| --- | --- | --- |", *rows, ""])


def current_markdown() -> str:
    from shared.api.app import create_app

    return render(create_app().fastapi.openapi())


if __name__ == "__main__":
    sys.stdout.write(current_markdown())
