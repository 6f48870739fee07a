"""The secrets operations: role checks, crypto and audit around the repository.

Every operation is one transaction under the caller's identity (shared/db.py), so row-
level security backs up every check made here. Roles: viewer < editor < admin; the
project's owner is an admin; Supabase's service_role acts as an admin of every project.
A caller who does not belong to a project gets NotFound, exactly as if it did not exist.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from shared.auth.principal import Principal
from shared.crypto.aead import DecryptionError
from shared.crypto.envelope import Binding, Sealed, open_value
from shared.crypto.keyring import Keyring
from shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServiceError,
    ValidationFailed,
)
from shared.keys.keystore import KeyStore
from shared.observability import metrics
from shared.secrets.limits import (
    Limits,
    check_description,
    check_name,
    check_room,
    check_rotation_period,
    check_value,
)
from shared.secrets.reveal_limit import enforce_reveal_limit
from shared.secrets.writes import add_secrets, add_versions
from shared.store import audit
from shared.store import secrets as repo
from shared.store.database import Connection, Database
from shared.store.errors import DuplicateKey, KekRetired
from shared.store.models import RequestInfo, SecretMeta
from shared.store.secrets import NewSecret

log = logging.getLogger("meshhook_secrets.service")
T = TypeVar("T")
_RANK = {"viewer": 1, "editor": 2, "admin": 3}


class IntegrityFailure(ServiceError):
    """Stored ciphertext failed authentication: tampering, or the wrong root key."""


class StaleKeyring(Exception):
    """A row names a KEK this process has not loaded yet; reload and retry (with_keyring)."""


class SecretsService:
    def __init__(self, db: Database, keys: KeyStore, limits: Limits | None = None) -> None:
        self.db = db
        self.keys = keys
        self.limits = limits or Limits()

    # -- helpers -----------------------------------------------------------------------

    @contextmanager
    def _tx(self, principal: Principal) -> Iterator[Connection]:
        with self.db.as_caller(principal.db_claims()) as conn:
            yield conn

    @staticmethod
    def require(conn: Connection, project_id: uuid.UUID, need: str, *, runner: bool = False) -> str:
        """The caller's role, if at least `need` (or a runner of the project, when `runner`);
        NotFound for non-members, as for no project."""
        found = repo.caller_project_role(conn, project_id)
        if found is None:
            raise NotFound("project not found")
        role = found[1]
        if role == "runner" and runner:
            return role
        if role == "runner" or _RANK.get(role, 0) < _RANK[need]:
            raise Forbidden(f"this needs the {need} role in the project")
        return role

    def _audit_denied(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, action: str,
        secret_id: uuid.UUID | None = None, outcome: str = "denied",
    ) -> None:
        """Record a refused (or failed) attempt in its own transaction, opened after the
        refused one rolled back and gave its connection back: one connection suffices."""
        with self._tx(principal) as conn:
            audit.insert_audit(conn, principal, request, project_id=project_id, action=action,
                               outcome=outcome, secret_id=secret_id)

    def guarded(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, action: str,
        secret_id: uuid.UUID | None, operation: Callable[[Keyring], T],
    ) -> T:
        """Run a write or a reveal with the keyring; audit a refusal by role."""
        try:
            return self.with_keyring(operation)
        except (Forbidden, RateLimited):
            self._audit_denied(principal, request, project_id, action, secret_id)
            raise
        except IntegrityFailure:  # a tampered row: the attempt is on the trail all the same
            self._audit_denied(principal, request, project_id, action, secret_id, outcome="failure")
            raise

    def with_keyring(self, operation: Callable[[Keyring], T]) -> T:
        """Run `operation(keyring)`, the keyring loaded BEFORE its transaction opens: loading
        takes a connection of its own, and a container may have only one (DB_POOL_MAX=1).
        When the transaction finds the keyring stale (another process rotated: a row under a
        KEK this process hasn't seen, or a write refused for a retired KEK), it rolls back;
        the keyring is reloaded, again outside any transaction, and the operation runs once more."""
        ring = self.keys.keyring()
        for attempt in (1, 2):
            try:
                return operation(ring)
            except (KekRetired, StaleKeyring):
                if attempt == 2:
                    raise
                ring = self.keys.reload()
        raise AssertionError("unreachable")

    def decrypt(self, ring: Keyring, binding: Binding, sealed: Sealed) -> str:
        """The plaintext of one stored version; tampering is an IntegrityFailure (500)."""
        if sealed.kek_id not in ring:
            raise StaleKeyring()
        try:
            plain = open_value(ring, sealed, binding)
        except DecryptionError:
            log.error("secret failed its integrity check", extra={"secret_id": str(binding.secret_id)})
            metrics.count("integrity_failures")
            raise IntegrityFailure() from None
        return plain.decode("utf-8")

    def check_reveal_rate(self, conn: Connection, principal: Principal, project_id: uuid.UUID) -> None:
        """Reveals, copies and exports share one per-minute limit per actor and project,
        exact under concurrency (shared/secrets/reveal_limit.py)."""
        enforce_reveal_limit(conn, principal, project_id, self.limits)

    # -- operations ----------------------------------------------------------------------

    def project_role(self, principal: Principal, project_id: uuid.UUID) -> tuple[str, str]:
        """(name, role) of a project the caller belongs to."""
        with self._tx(principal) as conn:
            found = repo.caller_project_role(conn, project_id)
        if found is None:
            raise NotFound("project not found")
        if found[1] == "runner":  # a run may only resolve
            raise Forbidden("a workflow run may only resolve secrets")
        return found

    def create(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, *,
        name: str, value: str, description: str | None = None, rotation_period_days: int | None = None,
    ) -> SecretMeta:
        check_name(name)
        raw = check_value(value, self.limits)
        new = NewSecret(uuid.uuid4(), name, check_description(description),
                        check_rotation_period(rotation_period_days))

        def operation(ring: Keyring) -> SecretMeta:
            try:
                with self._tx(principal) as conn:
                    self.require(conn, project_id, "editor")
                    check_room(repo.lock_project_for_create(conn, project_id), self.limits)
                    [meta] = add_secrets(self, conn, ring, principal, project_id, [(new, raw)])
                    audit.insert_audit(conn, principal, request, project_id=project_id, action="create",
                                       secret_id=meta.id, secret_name=name, metadata={"version": 1})
                    return meta
            except DuplicateKey:
                raise Conflict(f"a secret named {name} already exists in this project") from None

        return self.guarded(principal, request, project_id, "create", None, operation)

    def list(self, principal: Principal, project_id: uuid.UUID, *, overdue: bool = False) -> list[SecretMeta]:
        with self._tx(principal) as conn:
            self.require(conn, project_id, "viewer")
            return repo.list_secrets(conn, project_id, overdue=overdue)

    def get(self, principal: Principal, project_id: uuid.UUID, secret_id: uuid.UUID) -> SecretMeta:
        with self._tx(principal) as conn:
            self.require(conn, project_id, "viewer")
            meta = repo.get_secret(conn, project_id, secret_id)
        if meta is None:
            raise NotFound("secret not found")
        return meta

    def locked_current(
        self, conn: Connection, project_id: uuid.UUID, secret_id: uuid.UUID, if_match: int | None,
    ) -> SecretMeta:
        """The secret's row, locked for a change; 412 if If-Match names another version."""
        current = repo.get_secret(conn, project_id, secret_id, for_update=True)
        if current is None:
            raise NotFound("secret not found")
        if if_match is not None and if_match != current.version:
            raise PreconditionFailed(f"the secret is at version {current.version}, not {if_match}")
        return current

    def update(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, secret_id: uuid.UUID,
        *, value: str | None = None, fields: dict[str, object] | None = None, if_match: int | None = None,
    ) -> SecretMeta:
        """A new value is a rotation (version + 1); metadata fields (description,
        rotation_period_days) alone keep the version."""
        fields = dict(fields or {})
        if value is None and not fields:
            raise ValidationFailed("give a new value, a description, a rotation period, or several")
        raw = check_value(value, self.limits) if value is not None else None
        if "description" in fields:
            fields["description"] = check_description(fields["description"])  # type: ignore[arg-type]
        if "rotation_period_days" in fields:
            fields["rotation_period_days"] = check_rotation_period(fields["rotation_period_days"])  # type: ignore[arg-type]

        def operation(ring: Keyring) -> SecretMeta:
            with self._tx(principal) as conn:
                self.require(conn, project_id, "editor")
                meta = current = self.locked_current(conn, project_id, secret_id, if_match)
                if fields:
                    meta = repo.update_fields(conn, secret_id, fields)
                if raw is not None:
                    meta = add_versions(self, conn, ring, principal, project_id, [(current, raw)])[secret_id]
                changed = (["value"] if raw is not None else []) + sorted(fields)
                audit.insert_audit(conn, principal, request, project_id=project_id,
                                   action="rotate" if raw is not None else "update",
                                   secret_id=secret_id, secret_name=current.name,
                                   metadata={"version": meta.version, "changed": changed})
                return meta

        return self.guarded(principal, request, project_id, "update", secret_id, operation)

    def delete(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, secret_id: uuid.UUID
    ) -> None:
        """Delete a secret and every one of its versions."""

        def operation(ring: Keyring) -> None:
            with self._tx(principal) as conn:
                self.require(conn, project_id, "editor")
                name = repo.delete_secret(conn, project_id, secret_id)
                if name is None:
                    raise NotFound("secret not found")
                audit.insert_audit(conn, principal, request, project_id=project_id, action="delete",
                                   secret_id=secret_id, secret_name=name)

        self.guarded(principal, request, project_id, "delete", secret_id, operation)

    def reveal(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, secret_id: uuid.UUID,
        *, version: int | None = None, purpose: str = "reveal",
    ) -> str:
        """The value of the current (or a kept older) version, for an admin; audited as
        `reveal` or `copy` (shared/secrets/versions.py)."""
        from shared.secrets.versions import reveal

        return reveal(self, principal, request, project_id, secret_id, version=version, purpose=purpose)

