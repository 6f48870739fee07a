"""Who may do what in a project: viewer < editor < admin; the project's owner is an admin;
Supabase's service_role acts as an admin of every project; a workflow run (runner) may
only resolve. A caller who does not belong to a project gets NotFound, exactly as if it
did not exist (no membership oracle). Row-level security enforces the same rules beneath.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shared.errors import Forbidden, NotFound
from shared.store import secrets as repo
from shared.store.database import Connection

_RANK = {"viewer": 1, "editor": 2, "admin": 3}


def judge(found: tuple[str, str] | None, need: str, *, runner: bool = False) -> str:
    """The caller's role, if at least `need` (or a runner of the project, when `runner`)."""
    if found is None:
        raise NotFound("project not found")
    role = found[1]
    if role == "runner" and runner:
        return role
    if role == "runner" or _RANK.get(role, 0) < _RANK[need]:
        raise Forbidden(f"this needs the {need} role in the project")
    return role


def require(conn: Connection, project_id: uuid.UUID, need: str, *, runner: bool = False) -> str:
    """The role check, now (one round trip, with whatever the transaction has queued)."""
    return judge(repo.caller_project_role(conn, project_id), need, runner=runner)


def require_later(
    conn: Connection, project_id: uuid.UUID, need: str, *, runner: bool = False,
) -> Callable[[], str]:
    """The role check, queued to travel with the statements after it; call the result to
    decide (before using any of their rows). Only for statements that change nothing a
    rollback would not undo, so a refused caller is refused exactly as by `require`."""
    found = repo.queue_caller_project_role(conn, project_id)
    return lambda: judge(repo.role_of(found), need, runner=runner)


def project_role(conn: Connection, project_id: uuid.UUID) -> tuple[str, str]:
    """(name, role) of a project the caller belongs to; a run may only resolve."""
    found = repo.caller_project_role(conn, project_id)
    if found is None:
        raise NotFound("project not found")
    if found[1] == "runner":
        raise Forbidden("a workflow run may only resolve secrets")
    return found
