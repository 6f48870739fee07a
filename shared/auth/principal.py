"""Who is calling, once their token is verified: a user, a workflow run or the service role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

SERVICE_ACTOR_ID = "service_role"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["user", "runner", "service"]
    user_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None  # a runner's project
    run_id: str | None = None

    @property
    def actor_id(self) -> str:
        """Who acted, for the audit trail and the reveal limit: the user id, the run id, or
        SERVICE_ACTOR_ID for the service key (one stable actor: it is counted too)."""
        if self.kind == "user":
            return str(self.user_id)
        if self.kind == "runner":
            return str(self.run_id)
        return SERVICE_ACTOR_ID

    def db_claims(self) -> dict[str, str]:
        """The claims the database policies read (request.jwt.claims)."""
        if self.kind == "user":
            return {"role": "authenticated", "sub": str(self.user_id)}
        if self.kind == "runner":
            return {"role": "workflow_runner", "project_id": str(self.project_id), "run_id": str(self.run_id)}
        return {"role": "service_role"}
