"""The secrets operations on one secret: create, list, get, update, delete, reveal.

Roles (shared/secrets/access.py): viewer < editor < admin; a caller who does not belong to
a project gets NotFound, exactly as if it did not exist. Each operation is one transaction
(SecretsContext.tx) sent in as few round trips as its logic allows: a read or a create is
one (the role check, the statements, the audit row and the COMMIT together), an update two
(the role check with the row it locks; then the writes, the audit row and the COMMIT).
"""

from __future__ import annotations

import uuid

from shared.auth.principal import Principal
from shared.crypto.keyring import Keyring
from shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.secrets import access
from shared.secrets.context import SecretsContext
from shared.secrets.limits import (
    check_description,
    check_name,
    check_room,
    check_rotation_period,
    check_value,
)
from shared.secrets.sealing import IntegrityFailure, StaleKeyring
from shared.secrets.versions import reveal
from shared.secrets.writes import add_secrets, add_versions
from shared.store import audit
from shared.store import secrets as repo
from shared.store.errors import DuplicateKey, NoRoom, VersionMoved
from shared.store.models import RequestInfo, SecretMeta
from shared.store.secrets import NewSecret

__all__ = ["IntegrityFailure", "SecretsService", "StaleKeyring"]


class SecretsService(SecretsContext):
    def project_role(self, principal: Principal, project_id: uuid.UUID) -> tuple[str, str]:
        """(name, role) of a project the caller belongs to."""
        with self.tx(principal) as conn:
            return access.project_role(conn, project_id)

    def create(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, *,
        name: str, value: str, description: str | None = None, rotation_period_days: int | None = None,
    ) -> SecretMeta:
        check_name(name)
        raw = check_value(value, self.limits)
        new = NewSecret(uuid.uuid4(), name, check_description(description),
                        check_rotation_period(rotation_period_days))

        def operation(ring: Keyring) -> SecretMeta:
            # Every input is known beforehand, so all of it is ONE round trip: the checks
            # are statements that fail, and the writes behind them run only if they pass.
            try:
                with self.tx(principal) as conn:
                    repo.queue_require_role(conn, project_id, "editor")
                    repo.queue_require_room(conn, project_id, self.limits.max_secrets_per_project, 1)
                    written = add_secrets(conn, ring, principal, project_id, [(new, raw)])
                    audit.insert_audit(conn, principal, request, project_id=project_id, action="create",
                                       secret_id=new.id, secret_name=name, metadata={"version": 1})
                    conn.commit()
                [meta] = repo.metas(written)
                return meta
            except DuplicateKey:
                raise Conflict(f"a secret named {name} already exists in this project") from None
            except NoRoom as full:
                check_room(full.held, self.limits)
                raise AssertionError("the database and the limits disagree") from None

        return self.guarded(principal, request, project_id, "create", None, operation)

    def list(self, principal: Principal, project_id: uuid.UUID, *, overdue: bool = False) -> list[SecretMeta]:
        with self.tx(principal) as conn:
            check = self.require_later(conn, project_id, "viewer")
            found = repo.list_secrets(conn, project_id, overdue=overdue, then_commit=True)
        check()
        return found

    def get(self, principal: Principal, project_id: uuid.UUID, secret_id: uuid.UUID) -> SecretMeta:
        with self.tx(principal) as conn:
            check = self.require_later(conn, project_id, "viewer")
            meta = repo.get_secret(conn, project_id, secret_id, then_commit=True)
        check()
        if meta is None:
            raise NotFound("secret not found")
        return meta

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
            try:
                return write(ring)
            except VersionMoved as moved:
                raise PreconditionFailed(f"the secret is at version {moved.current}, not {if_match}") from None

        def write(ring: Keyring) -> SecretMeta:
            with self.tx(principal) as conn:
                if if_match is not None:  # the new version's number is known: ONE round trip
                    repo.queue_require_role(conn, project_id, "editor")
                    repo.queue_require_version(conn, project_id, secret_id, if_match)
                    version, name = if_match, audit.NAME_OF_ROW
                else:  # read the locked row's version first: two
                    check = self.require_later(conn, project_id, "editor")
                    current = self.locked_current(conn, project_id, secret_id, None, check)
                    version, name = current.version, current.name
                written = [repo.update_fields(conn, secret_id, fields)] if fields else []
                if raw is not None:
                    written.append(add_versions(conn, ring, principal, project_id, [(secret_id, version, raw)],
                                                self.limits.max_versions))
                changed = (["value"] if raw is not None else []) + sorted(fields)
                audit.insert_audit(conn, principal, request, project_id=project_id,
                                   action="rotate" if raw is not None else "update",
                                   secret_id=secret_id, secret_name=name,
                                   metadata={"version": version + (raw is not None), "changed": changed})
                conn.commit()
            return repo.metas(written[-1])[0]

        return self.guarded(principal, request, project_id, "update", secret_id, operation)

    def delete(
        self, principal: Principal, request: RequestInfo, project_id: uuid.UUID, secret_id: uuid.UUID
    ) -> None:
        """Delete a secret and every one of its versions."""

        def operation(ring: Keyring) -> None:
            with self.tx(principal) as conn:
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
        return reveal(self, principal, request, project_id, secret_id, version=version, purpose=purpose)
