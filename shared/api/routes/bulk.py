"""Routes on many secrets at once: import, export, and the reference check of a config."""

from __future__ import annotations

import uuid

from fastapi.responses import JSONResponse, PlainTextResponse, Response

from shared.api.deps import CurrentPrincipal, Requester, Service
from shared.api.errors import COMMON, responses
from shared.api.routes.table import RouteTable
from shared.api.schemas import (
    CheckConfig,
    CheckResult,
    ExportSecrets,
    ImportOutcome,
    ImportSecrets,
)
from shared.secrets.bulk import export_secrets, import_secrets
from shared.secrets.check import check_references

routes = RouteTable(prefix="/api/projects/{project_id}/secrets", tags=["bulk"])

IMPORT_PATH = "/api/projects/{project_id}/secrets/import"  # the body-size middleware's exception

_EXPORTED = {200: {"description": "The secrets: .env text, or a JSON object of NAME: value.", "content": {
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}},
}}}


@routes.post("/import", name="import_secrets", response_model=ImportOutcome,
             responses=responses(*COMMON, 403, 409, 413))
def import_(
    project_id: uuid.UUID, body: ImportSecrets, principal: CurrentPrincipal, service: Service,
    request: Requester,
) -> ImportOutcome:
    """Create (and with `overwrite`, rotate) many secrets from .env text or a JSON object:
    all or nothing. A 422 lists every bad entry by line or key, never a value; with `fail`,
    a 409 lists the names that exist. With `dry_run`, the same checks and answer, nothing
    written."""
    result = import_secrets(service, principal, request, project_id, fmt=body.format,
                            content=body.content, on_conflict=body.on_conflict, dry_run=body.dry_run)
    return ImportOutcome(created=result.created, updated=result.updated, skipped=result.skipped,
                         dry_run=body.dry_run)


@routes.post("/export", name="export_secrets", response_class=Response,
             responses={**_EXPORTED, **responses(*COMMON, 403, 413, 429)})
def export(
    project_id: uuid.UUID, body: ExportSecrets, principal: CurrentPrincipal, service: Service,
    request: Requester,
) -> Response:
    """The current values, for admins: `.env` text (it imports back as it is) or a JSON
    object. One `export` audit event per secret; counts as one reveal against the limit."""
    out = export_secrets(service, principal, request, project_id, fmt=body.format, names=body.names)
    if isinstance(out, str):
        return PlainTextResponse(out)
    return JSONResponse(out)


@routes.post("/check", name="check_references", response_model=CheckResult,
             responses=responses(*COMMON, 413))
def check(
    project_id: uuid.UUID, body: CheckConfig, principal: CurrentPrincipal, service: Service,
) -> CheckResult:
    """The `{{secrets.NAME}}` placeholders of a workflow step's config, and which name no
    secret of the project. For members and the project's workflow runs; reads no value."""
    referenced, missing = check_references(service, principal, project_id, body.config)
    return CheckResult(referenced=referenced, missing=missing)
