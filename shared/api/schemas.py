"""Request and response bodies (DESIGN §4). Unknown fields are refused, never ignored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.secrets.models import AuditEvent, SecretMeta


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSecret(_Strict):
    name: str = Field(description="Unique in the project ignoring case; cannot change later.",
                      examples=["STRIPE_API_KEY"])
    value: str = Field(description="1 byte to 64 KiB of UTF-8. Never returned by list or get.")
    description: str | None = Field(default=None, max_length=10_000)


class UpdateSecret(_Strict):
    value: str | None = Field(default=None, description="A new value: a rotation, version + 1.")
    description: str | None = None


class ResolveSecrets(_Strict):
    names: list[str] = Field(min_length=1, description="Secret names, as in {{secrets.NAME}}.")


class SecretOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, meta: SecretMeta) -> SecretOut:
        return cls.model_validate(meta, from_attributes=True)


class SecretEnvelope(BaseModel):
    secret: SecretOut


class SecretList(BaseModel):
    secrets: list[SecretOut]


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


class AuditEventOut(BaseModel):
    id: int
    project_id: uuid.UUID | None
    secret_id: uuid.UUID | None
    secret_name: str | None
    actor_type: str
    actor_id: str | None
    run_id: str | None
    action: str
    outcome: str
    metadata: dict[str, Any]
    ip_address: str | None
    user_agent: str | None
    created_at: datetime

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls.model_validate(event, from_attributes=True)


class AuditEventList(BaseModel):
    events: list[AuditEventOut]
    next_cursor: str | None


class ErrorOut(BaseModel):
    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["project not found"])


class Health(BaseModel):
    status: str
