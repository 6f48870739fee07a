"""psycopg's errors, translated once, where a transaction ends (shared/store/database.py).

Above the store nothing catches a psycopg exception: a lost or refused connection is the
service's `Unavailable` (503), and the few database errors the service acts on have names
of their own. Anything else leaves unchanged, as the bug it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg

from shared.errors import Forbidden, NotFound, Unavailable

KEK_NOT_ACTIVE = "MH001"  # raised by the require_active_kek trigger (migrations)
# Raised by meshhook.require_role / require_room (migrations/..._baseline.sql).
NOT_MEMBER, ROLE_TOO_LOW, NO_ROOM = "MH404", "MH403", "MH409"
# Raised by meshhook.require_every_name and require_version (the same file).
UNKNOWN_NAMES, NO_SECRET, VERSION_MOVED = "MH410", "MH414", "MH412"


class StoreError(Exception):
    """A database refusal the service handles. Never carries a statement's parameters."""


class DuplicateKey(StoreError):
    """A unique constraint refused the row (a secret name taken in its project)."""


class KekRetired(StoreError):
    """A write named a KEK that a rotation in another process has retired."""


class Deadlock(StoreError):
    """Two transactions waited on each other; the database aborted this one."""


class NoRoom(StoreError):
    """The project's secrets limit refused the rows; `held` is how many it holds."""

    def __init__(self, held: int) -> None:
        super().__init__("no room")
        self.held = held


class VersionMoved(StoreError):
    """A write named the version it replaces (If-Match) and the secret is at `current`."""

    def __init__(self, current: int) -> None:
        super().__init__("version moved")
        self.current = current


class UnknownNames(StoreError):
    """A resolve named secrets the project does not hold: `lowered`, their lowered names."""

    def __init__(self, lowered: list[str]) -> None:
        super().__init__("unknown names")
        self.lowered = lowered


_BY_SQLSTATE: dict[str, type[StoreError]] = {
    "23505": DuplicateKey, KEK_NOT_ACTIVE: KekRetired, "40P01": Deadlock,
}


# The checks that are statements failing on purpose (the meshhook.require_* functions), by
# code: what each becomes, read from the error's text or detail (a number, or names).
_FAILED_CHECKS: dict[str, Callable[[psycopg.errors.Diagnostic], BaseException]] = {
    NOT_MEMBER: lambda diag: NotFound("project not found"),  # exactly as for a missing project
    ROLE_TOO_LOW: lambda diag: Forbidden(diag.message_primary or ""),  # its text: the role needed
    NO_ROOM: lambda diag: NoRoom(int(diag.message_detail or 0)),
    NO_SECRET: lambda diag: NotFound("secret not found"),
    VERSION_MOVED: lambda diag: VersionMoved(int(diag.message_detail or 0)),
    UNKNOWN_NAMES: lambda diag: UnknownNames(json.loads(diag.message_detail or "[]")),
}


def translate(exc: BaseException) -> BaseException:
    """The exception to raise instead of `exc` (itself when it is not a database error)."""
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.QueryCanceled,
                        TimeoutError)):
        # A lost connection, a pool timeout, a server shutting down, a statement timeout.
        return Unavailable()
    if isinstance(exc, psycopg.InternalError) and exc.sqlstate is None:
        # Raised by psycopg itself, not by the server: the protocol broke off mid-statement
        # (a COMMIT answered twice as the server or the pooler restarted). Whether that COMMIT
        # took effect is unknown, as with a lost connection: a 503, never a 500.
        return Unavailable()
    if isinstance(exc, psycopg.Error) and exc.sqlstate in _FAILED_CHECKS:
        return _FAILED_CHECKS[exc.sqlstate](exc.diag)
    if isinstance(exc, psycopg.Error):
        kind = _BY_SQLSTATE.get(exc.sqlstate or "")
        if kind is not None:
            return kind(type(exc).__name__)
    return exc
