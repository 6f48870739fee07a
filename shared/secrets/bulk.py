"""Bulk import and export of a project's secrets (.env text or a JSON object).

Import is all or nothing, in ONE transaction: every limit (names, values, the project's
secret count) is checked across the whole batch before anything is written, and every bad
entry is reported in one 422. Secrets are written a batch at a time (a few statements,
whatever the count), each created or updated one audited as `import`.

Export is for admins: the current value of each secret, one `export` audit event per
secret, and ONE reveal against the per-minute reveal limit (the events share an export_id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shared.auth.principal import Principal
from shared.crypto.keyring import Keyring
from shared.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from shared.secrets.context import SecretsContext
from shared.secrets.formats import (
    Entry,
    Problems,
    parse_dotenv,
    parse_json,
    write_dotenv,
)
from shared.secrets.limits import Limits, check_name, check_room, check_value
from shared.secrets.writes import add_secrets, add_versions
from shared.store import audit, versions
from shared.store import secrets as repo
from shared.store.errors import DuplicateKey
from shared.store.models import RequestInfo
from shared.store.secrets import NewSecret

FORMATS = ("dotenv", "json")
ON_CONFLICT = ("fail", "skip", "overwrite")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_upload(fmt: str, content: str, limits: Limits) -> list[tuple[Entry, bytes]]:
    """Every entry with its value as UTF-8, or one ValidationFailed listing every problem."""
    problems = Problems()
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed("content must be valid UTF-8 text") from None
    entries = (parse_dotenv if fmt == "dotenv" else parse_json)(content, problems)
    if len(entries) > limits.max_secrets_per_project:
        problems.add("", f"at most {limits.max_secrets_per_project} secrets per import")
    seen: dict[str, str] = {}
    checked = []
    for entry in entries:
        lowered = entry.name.lower()
        if lowered in seen:
            problems.add(entry.where, f"{entry.name} is given twice (first at {seen[lowered]})")
            continue
        seen[lowered] = entry.where
        try:
            checked.append((entry, check_value(entry.value, limits)))
        except (ValidationFailed, PayloadTooLarge) as exc:  # their messages never hold the value
            problems.add(entry.where, exc.message)
    if not entries and not problems.items:
        problems.add("", "content holds no secrets")
    problems.raise_any()
    return checked


def import_secrets(
    service: SecretsContext, principal: Principal, request: RequestInfo, project_id: uuid.UUID, *,
    fmt: str, content: str, on_conflict: str, dry_run: bool = False,
) -> ImportResult:
    """`dry_run`: every check and the same answer (or the same error), nothing written and
    nothing audited: what an import would do, computed by the server that would do it."""
    if fmt not in FORMATS or on_conflict not in ON_CONFLICT:
        raise ValidationFailed("format must be dotenv or json; on_conflict fail, skip or overwrite")
    checked = parse_upload(fmt, content, service.limits)

    def operation(ring: Keyring) -> ImportResult:
        try:
            with service.tx(principal) as conn:
                service.require(conn, project_id, "editor")
                count = repo.lock_project_for_create(conn, project_id)
                existing = repo.by_lowered_names(conn, project_id, [e.name.lower() for e, _ in checked],
                                                 for_update=True)
                if existing and on_conflict == "fail":
                    raise Conflict("these secrets exist already: "
                                   + ", ".join(sorted(m.name for m in existing.values())))
                return _write(service, conn, ring, principal, request, project_id, checked, existing,
                              count, on_conflict, fmt, dry_run)
        except DuplicateKey:
            raise Conflict("a secret of this import was created meanwhile; retry") from None

    return service.guarded(principal, request, project_id, "import", None, operation)


def _write(service, conn, ring, principal, request, project_id, checked, existing, count,
           on_conflict, fmt, dry_run) -> ImportResult:
    new = [(NewSecret(uuid.uuid4(), e.name, None, None), raw) for e, raw in checked
           if e.name.lower() not in existing]
    if new:
        check_room(count, service.limits, len(new))
    old = [(existing[e.name.lower()], raw) for e, raw in checked if e.name.lower() in existing]
    result = ImportResult(created=[n.name for n, _ in new])
    if on_conflict == "skip":
        result.skipped = [meta.name for meta, _ in old]
    else:
        result.updated = [meta.name for meta, _ in old]
    if dry_run:  # every check passed; the transaction ends having written nothing
        return result
    events = [(m.id, m.name, {"version": 1, "result": "created", "format": fmt})
              for m in repo.metas(add_secrets(conn, ring, principal, project_id, new))]
    if old and on_conflict != "skip":
        updated = repo.metas(add_versions(conn, ring, principal, project_id, [(m.id, m.version, raw) for m, raw in old],
                                          service.limits.max_versions))
        events += [(m.id, m.name, {"version": m.version, "result": "updated", "format": fmt})
                   for m in updated]
    if events:
        audit.insert_audit_many(conn, principal, request, project_id=project_id, action="import",
                                events=events)
    return result


def export_secrets(
    service: SecretsContext, principal: Principal, request: RequestInfo, project_id: uuid.UUID, *,
    fmt: str, names: list[str] | None = None,
) -> str | dict[str, str]:
    """The current values as .env text or a dict; unknown names are a 404 naming them."""
    if fmt not in FORMATS:
        raise ValidationFailed("format must be dotenv or json")
    for name in names or ():
        check_name(name)
    lowered = sorted({n.lower() for n in names}) if names is not None else None

    def operation(ring: Keyring) -> str | dict[str, str]:
        with service.tx(principal) as conn:
            service.require(conn, project_id, "admin")
            service.check_reveal_rate(conn, principal, project_id)
            rows = versions.current_sealed(conn, project_id, lowered)
            missing = sorted(set(lowered or ()) - {name.lower() for name, _, _ in rows})
            if missing:
                raise NotFound("unknown secrets: " + ", ".join(n for n in names or () if n.lower() in missing))
            pairs = [(name, service.decrypt(ring, binding, sealed)) for name, binding, sealed in rows]
            out = write_dotenv(pairs) if fmt == "dotenv" else dict(pairs)
            export_id = uuid.uuid4().hex
            audit.insert_audit_many(conn, principal, request, project_id=project_id, action="export", events=[
                (b.secret_id, name, {"version": b.version, "format": fmt, "export_id": export_id})
                for name, b, _ in rows])
        return out

    return service.guarded(principal, request, project_id, "export", None, operation)
