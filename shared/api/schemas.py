"""Request and response bodies (docs/api.md). Unknown fields are refused, never ignored.

Responses reuse the store's row types (SecretMeta, AuditEvent) as they are: the fields a
client sees are the fields the service returns, declared once, and none holds a value.
The limits published here are the ones the service enforces (shared/secrets/limits.py).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.secrets.limits import (
    MAX_DESCRIPTION_CHARS,
    MAX_ROTATION_DAYS,
    NAME_PATTERN,
    Limits,
)
from shared.store.models import AuditEvent, SecretMeta, VersionMeta

_DEFAULTS = Limits()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSecret(_Strict):
    name: str = Field(description="Unique in the project ignoring case; cannot change later.",
                      pattern=f"^{NAME_PATTERN.pattern}$", examples=["STRIPE_API_KEY"])
    value: str = Field(description=f"1 byte to {_DEFAULTS.max_value_bytes // 1024} KiB of UTF-8 (by default;"
                       " MESHHOOK_MAX_VALUE_BYTES). Never returned by list or get.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    rotation_period_days: int | None = Field(default=None, ge=1, le=MAX_ROTATION_DAYS, strict=True, description=(
        "Remind to rotate this many days after each new version (metadata: rotation_due_at,"
        " rotation_overdue); null for no reminder."))


class UpdateSecret(_Strict):
    value: str | None = Field(default=None, description="A new value: a rotation, version + 1.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    rotation_period_days: int | None = Field(default=None, ge=1, le=MAX_ROTATION_DAYS, strict=True,
                                             description="As on create; null removes the reminder.")


class RevealSecret(_Strict):
    version: int | None = Field(default=None, ge=1, description="A kept version; the current one if absent.")
    purpose: Literal["reveal", "copy"] = Field(
        default="reveal", description="`copy` when the value goes to the clipboard: audited as copy.")


class RollbackSecret(_Strict):
    version: int = Field(ge=1, description="The kept version whose value becomes a new version.")


Format = Literal["dotenv", "json"]


class ImportSecrets(_Strict):
    format: Format = Field(description="`dotenv` (.env text) or `json` (an object of NAME: value).")
    content: str = Field(description=f"The file's text; the body may be up to {_DEFAULTS.max_import_bytes // 1024}"
                         " KiB (MESHHOOK_MAX_IMPORT_BYTES).")
    on_conflict: Literal["fail", "skip", "overwrite"] = Field(
        default="fail", description="For names that exist: 409 (fail), leave them (skip), or a new version.")
    dry_run: bool = Field(default=False, description="Check everything and answer as the import would, but"
                          " write nothing (and audit nothing).")


class ExportSecrets(_Strict):
    format: Format
    names: list[str] | None = Field(default=None, min_length=1, description="Only these; all by default.")


class CheckConfig(_Strict):
    config: Any = Field(description="A workflow step's config: any JSON.")


class CheckResult(BaseModel):
    referenced: list[str] = Field(description="Every {{secrets.NAME}} in the config, sorted.")
    missing: list[str] = Field(description="The referenced names no secret of the project has.")


class VersionList(BaseModel):
    versions: list[VersionMeta]


class ImportOutcome(BaseModel):
    created: list[str]
    updated: list[str]
    skipped: list[str]
    dry_run: bool = Field(default=False, description="True: nothing was written.")


class ResolveSecrets(_Strict):
    names: list[str] = Field(min_length=1, description="Secret names, as in {{secrets.NAME}}.")


class SecretEnvelope(BaseModel):
    secret: SecretMeta


class SecretList(BaseModel):
    secrets: list[SecretMeta]


class RevealedValue(BaseModel):
    value: str


class ResolvedSecrets(BaseModel):
    secrets: dict[str, str]


class ProjectOut(BaseModel):
    id: uuid.UUID
    name: str
    role: str = Field(description="The caller's role: admin, editor, viewer, or runner.")


class ProjectEnvelope(BaseModel):
    project: ProjectOut


class AuditEventList(BaseModel):
    events: list[AuditEvent]
    next_cursor: str | None


class ErrorOut(BaseModel):
    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["project not found"])


class Health(BaseModel):
    status: str
