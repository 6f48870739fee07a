"""Plain data the service returns. Nothing here ever holds a secret value."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SecretMeta:
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    rotation_period_days: int | None
    rotation_due_at: datetime | None  # time of the current version + the period
    rotation_overdue: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a version. `email` only for a user who is still a member of the project."""

    type: str  # user, runner, service or system
    id: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class VersionMeta:
    version: int
    created_at: datetime
    created_by: Actor
    current: bool


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Where a request came from, for the audit trail."""

    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    project_id: uuid.UUID | None
    secret_id: uuid.UUID | None
    secret_name: str | None
    actor_type: str
    actor_id: str | None
    actor_email: str | None  # a user actor who is still a member of the project; else None
    run_id: str | None
    action: str
    outcome: str
    metadata: dict[str, Any]
    ip_address: str | None
    user_agent: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str | None
