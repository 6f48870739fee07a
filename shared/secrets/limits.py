"""The limits on what may be stored (docs/api.md), checked before anything is.

The service calls these (not the HTTP layer), so the Python API for workers and the
HTTP API refuse the same inputs with the same errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.errors import Conflict, PayloadTooLarge, ValidationFailed

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
MAX_DESCRIPTION_CHARS = 500


@dataclass(frozen=True, slots=True)
class Limits:
    max_value_bytes: int = 64 * 1024
    max_secrets_per_project: int = 1000
    max_resolve_names: int = 1000
    reveals_per_minute: int = 60  # per user and project: bounds what one stolen admin token can read
    max_versions: int = 10  # versions kept per secret; older ones are destroyed
    max_import_bytes: int = 1024 * 1024  # request body of the import route


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValidationFailed(
            "name must start with a letter or underscore and contain only letters, digits"
            " and underscores (at most 128 characters)"
        )
    return name


def check_value(value: str, limits: Limits) -> bytes:
    """The value as UTF-8 bytes. The message says what is wrong, never what the value is."""
    if not isinstance(value, str):
        raise ValidationFailed("value must be a string")
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed("value must be valid UTF-8 text") from None
    if not raw:
        raise ValidationFailed("value must not be empty")
    if len(raw) > limits.max_value_bytes:
        raise PayloadTooLarge(f"value must be at most {limits.max_value_bytes} bytes of UTF-8")
    return raw


def check_description(description: str | None) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise ValidationFailed("description must be a string")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise ValidationFailed(f"description must be at most {MAX_DESCRIPTION_CHARS} characters")
    if "\x00" in description:
        raise ValidationFailed("description must not contain NUL characters")
    try:
        description.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed("description must be valid UTF-8 text") from None
    return description


def check_room(current_count: int, limits: Limits, adding: int = 1) -> None:
    if current_count + adding > limits.max_secrets_per_project:
        if adding == 1:
            raise Conflict(f"the project already holds {limits.max_secrets_per_project} secrets, the limit")
        raise Conflict(f"the project holds {current_count} secrets; {adding} more would pass the"
                       f" limit of {limits.max_secrets_per_project}")


MAX_ROTATION_DAYS = 3650


def check_rotation_period(days: int | None) -> int | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_ROTATION_DAYS:
        raise ValidationFailed(f"rotation_period_days must be 1 to {MAX_ROTATION_DAYS}, or null")
    return days
