"""Request and response bodies (docs/api.md). Unknown fields are refused, never ignored.

Responses reuse the store's row types (SecretMeta, AuditEvent) as they are: the fields a
client sees are the fields the service returns, declared once, and none holds a value.
The limits published here are the ones the service enforces (shared/secrets/limits.py).
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.secrets.limits import MAX_DESCRIPTION_CHARS, NAME_PATTERN, Limits
from shared.store.models import AuditEvent, SecretMeta

_DEFAULTS = Limits()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSecret(_Strict):
    name: str = Field(description="Unique in the project ignoring case; cannot change later.",
                      pattern=f"^{NAME_PATTERN.pattern}$", examples=["STRIPE_API_KEY"])
    value: str = Field(description=f"1 byte to {_DEFAULTS.max_value_bytes // 1024} KiB of UTF-8 (by default;"
                       " MESHHOOK_MAX_VALUE_BYTES). Never returned by list or get.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)


class UpdateSecret(_Strict):
    value: str | None = Field(default=None, description="A new value: a rotation, version + 1.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)


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
