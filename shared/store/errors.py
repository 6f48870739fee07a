"""psycopg's errors, translated once, where a transaction ends (shared/store/database.py).

Above the store nothing catches a psycopg exception: a lost or refused connection is the
service's `Unavailable` (503), and the few database errors the service acts on have names
of their own. Anything else leaves unchanged, as the bug it is.
"""

from __future__ import annotations

import psycopg

from shared.errors import Unavailable

KEK_NOT_ACTIVE = "MH001"  # raised by the require_active_kek trigger (migrations)


class StoreError(Exception):
    """A database refusal the service handles. Never carries a statement's parameters."""


class DuplicateKey(StoreError):
    """A unique constraint refused the row (a secret name taken in its project)."""


class KekRetired(StoreError):
    """A write named a KEK that a rotation in another process has retired."""


class Deadlock(StoreError):
    """Two transactions waited on each other; the database aborted this one."""


_BY_SQLSTATE: dict[str, type[StoreError]] = {
    "23505": DuplicateKey, KEK_NOT_ACTIVE: KekRetired, "40P01": Deadlock,
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
    if isinstance(exc, psycopg.Error):
        kind = _BY_SQLSTATE.get(exc.sqlstate or "")
        if kind is not None:
            return kind(type(exc).__name__)
    return exc
