"""What every secrets operation stands on: the database, the keys and the limits, one
transaction under the caller's identity, and a refusal put on the audit trail.

Every operation is one transaction under the caller's identity (shared/store/database.py),
so row-level security backs up every check made here. The operations themselves are
SecretsService's (service.py) and the functions of versions.py, resolve.py, bulk.py,
audit.py and check.py, which all take this context.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from shared.auth.principal import Principal
from shared.crypto.keyring import Keyring
from shared.errors import Forbidden, NotFound, PreconditionFailed, RateLimited
from shared.keys.keystore import KeyStore
from shared.secrets import access, sealing
from shared.secrets.limits import Limits
from shared.secrets.reveal_limit import enforce_reveal_limit
from shared.store import audit
from shared.store import secrets as repo
from shared.store.batch import Batch
from shared.store.database import Connection, Database
from shared.store.models import RequestInfo, SecretMeta

T = TypeVar("T")


class SecretsContext:
    require = staticmethod(access.require)
    require_later = staticmethod(access.require_later)
    decrypt = staticmethod(sealing.decrypt)

    def __init__(self, db: Database, keys: KeyStore, limits: Limits | None = None) -> None:
        self.db = db
        self.keys = keys
        self.limits = limits or Limits()

    @contextmanager
    def tx(self, principal: Principal) -> Iterator[Batch]:
        with self.db.as_caller(principal.db_claims()) as conn:
            yield conn

    def with_keyring(self, operation: Callable[[Keyring], T]) -> T:
        return sealing.with_keyring(self.keys, operation)

    def guarded(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, action: str,
        secret_id: uuid.UUID | None, operation: Callable[[Keyring], T],
    ) -> T:
        """Run a write or a reveal with the keyring; audit a refusal by role."""
        try:
            return self.with_keyring(operation)
        except (Forbidden, RateLimited):
            self.audit_refusal(principal, request, project_id, action, secret_id)
            raise
        except sealing.IntegrityFailure:  # a tampered row: the attempt is on the trail all the same
            self.audit_refusal(principal, request, project_id, action, secret_id, outcome="failure")
            raise

    def audit_refusal(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, action: str,
        secret_id: uuid.UUID | None, outcome: str = "denied",
    ) -> None:
        """Record a refused (or failed) attempt in its own transaction, opened after the
        refused one rolled back and gave its connection back: one connection suffices."""
        with self.tx(principal) as conn:
            audit.insert_audit(conn, principal, request, project_id=project_id, action=action,
                               outcome=outcome, secret_id=secret_id)

    def check_reveal_rate(self, conn: Connection, principal: Principal, project_id: uuid.UUID) -> None:
        """Reveals, copies and exports share one per-minute limit per actor and project,
        exact under concurrency (shared/secrets/reveal_limit.py)."""
        enforce_reveal_limit(conn, principal, project_id, self.limits)

    @staticmethod
    def locked_current(
        conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID, if_match: int | None,
        check: Callable[[], str] | None = None,
    ) -> SecretMeta:
        """The secret's row, locked for a change; 412 if If-Match names another version.
        `check`, a queued role check (require_later), is decided first."""
        current = repo.get_secret(conn, project_id, secret_id, for_update=True)
        if check is not None:
            check()
        if current is None:
            raise NotFound("secret not found")
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed(f"the secret is at version {current.version}, not {if_match}")
        return current
