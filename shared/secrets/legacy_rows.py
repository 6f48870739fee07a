"""What `import-legacy` decides for each row of MeshHook's `public.secrets`: import it
(under which name), or leave it in place and say why, with a valid name to use instead
when the name is the problem. Pure: no I/O, so a dry run and an import decide alike.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from shared.errors import PayloadTooLarge, ValidationFailed
from shared.secrets.limits import NAME_PATTERN, Limits, check_value
from shared.store.legacy import LegacyRow

IMPORTED = "imported"
# Why a row stays where it is; each one a run reports instead of importing.
NAME_INVALID = "name_invalid"
NAME_TAKEN = "name_taken"
NOT_UTF8 = "not_utf8"
VALUE_TOO_LARGE = "value_too_large"
VALUE_EMPTY = "value_empty"
PROJECT_MISSING = "project_missing"
PROJECT_FULL = "project_full"
STATUSES = (IMPORTED, NAME_INVALID, NAME_TAKEN, NOT_UTF8, VALUE_TOO_LARGE, VALUE_EMPTY,
            PROJECT_MISSING, PROJECT_FULL)
MAX_NAME = 128
TAKEN_SUFFIX = "_LEGACY"


@dataclass(frozen=True, slots=True)
class RowReport:
    """One line of the report. Names and reasons only, never the value."""

    project_id: uuid.UUID
    key: str  # the row's name in MeshHook's table
    status: str
    name: str | None = None  # what it is (or would be) imported as
    suggestion: str | None = None  # a valid, free name, when the name is the problem
    message: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"project_id": str(self.project_id), "key": self.key, "status": self.status,
                "name": self.name, "suggestion": self.suggestion, "message": self.message}


@dataclass
class ProjectNames:
    """The lowered names a project holds, plus those this run has placed in it already;
    `reserved`: the keys of its legacy rows still to come, which a suggestion avoids too
    (suggesting API_KEY for `api-key` while a row API_KEY waits would only move the clash)."""

    taken: set[str] = field(default_factory=set)
    reserved: set[str] = field(default_factory=set)

    def free(self, candidate: str) -> str:
        """`candidate`, or `candidate_2`, `_3`, ... : the first no secret or row of the project has."""
        name, n = candidate, 1
        while name.lower() in self.taken or name.lower() in self.reserved:
            n += 1
            suffix = f"_{n}"
            name = candidate[: MAX_NAME - len(suffix)] + suffix
        return name


def suggest_name(key: str) -> str:
    """A valid name close to `key`, in the environment-variable style secrets use:
    accents dropped, every run of other characters one underscore, upper case, a leading
    underscore before a digit. `api-key` -> `API_KEY`, `2fa.token` -> `_2FA_TOKEN`."""
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_key).strip("_").upper() or "SECRET"
    if name[0].isdigit():
        name = "_" + name
    return name[:MAX_NAME]


def decide(
    row: LegacyRow, names: ProjectNames, limits: Limits, *, rename_invalid: bool,
) -> tuple[RowReport, bytes | None]:
    """The row's report and, when it is to be imported, its value as UTF-8 bytes (the
    caller records the name as taken once it writes it)."""

    def report(status: str, message: str, **kw: str | None) -> tuple[RowReport, None]:
        return RowReport(row.project_id, row.key, status, message=message, **kw), None

    if not row.project_exists:
        return report(PROJECT_MISSING, "no project with this id")
    try:
        raw = check_value(row.value.decode("utf-8"), limits)
    except UnicodeDecodeError:
        return report(NOT_UTF8, "the value is not UTF-8 text")
    except PayloadTooLarge as exc:  # the limits' messages never hold the value
        return report(VALUE_TOO_LARGE, exc.message)
    except ValidationFailed as exc:
        return report(VALUE_EMPTY, exc.message)
    name = row.key
    if not NAME_PATTERN.fullmatch(name):
        suggestion = names.free(suggest_name(name))
        if not rename_invalid:
            return report(NAME_INVALID, "names are letters, digits and underscores, not starting"
                          " with a digit (at most 128); --rename-invalid imports it as the suggestion",
                          suggestion=suggestion)
        name = suggestion
    elif name.lower() in names.taken:
        return report(NAME_TAKEN, "the project already has a secret of this name (ignoring case)",
                      suggestion=names.free(name[: MAX_NAME - len(TAKEN_SUFFIX)] + TAKEN_SUFFIX))
    if len(names.taken) >= limits.max_secrets_per_project:
        return report(PROJECT_FULL, f"the project holds {limits.max_secrets_per_project} secrets, the limit")
    return RowReport(row.project_id, row.key, IMPORTED, name=name), raw
