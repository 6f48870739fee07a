"""The two bulk formats, .env and a JSON object: parse an upload into entries, write an export.

Parsing reports every bad entry by line (dotenv) or key (JSON) and never repeats a value, or a
name that is not a valid name (a value pasted on its own line would otherwise be echoed).
Dotenv is read with python-dotenv's parser (`export`, quotes, escapes, multi-line values,
comments) and written in the form that parser reads back exactly: single quotes, with `\\`
and `'` escaped, which no dotenv tool expands `$VAR` in.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from dotenv.parser import parse_stream

from shared.errors import ValidationFailed
from shared.secrets.limits import NAME_PATTERN

_NEWLINES = re.compile(r"\r\n|\n|\r")
BAD_NAME = ("the name is not a valid secret name (a letter or underscore, then up to 127 letters,"
            " digits or underscores)")


@dataclass(frozen=True, slots=True)
class Entry:
    where: str  # "line 3" or "key STRIPE_KEY": how errors name this entry
    name: str
    value: str


class Problems:
    """Every problem of an upload, reported together in one 422."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}" if where else message)

    def raise_any(self) -> None:
        if self.items:
            count = len(self.items)
            raise ValidationFailed(f"{count} problem{'s' if count > 1 else ''} in content: "
                                   + "; ".join(self.items))


def parse_dotenv(content: str, problems: Problems) -> list[Entry]:
    entries = []
    for binding in parse_stream(io.StringIO(content)):
        text = binding.original.string
        stripped = text.lstrip()
        where = f"line {binding.original.line + len(_NEWLINES.findall(text[:len(text) - len(stripped)]))}"
        if "\x00" in text:
            problems.add(where, "contains a NUL character")
        elif binding.error:
            problems.add(where, "not a NAME=value line (or a quote is never closed)")
        elif binding.key is None:
            continue  # a comment or blank lines
        elif not NAME_PATTERN.fullmatch(binding.key):
            problems.add(where, BAD_NAME)
        elif binding.value is None:
            problems.add(where, "a name without '=' and a value")
        else:
            entries.append(Entry(where, binding.key, binding.value))
    return entries


class _Pairs(list):
    """A JSON object's (key, value) pairs in order: duplicates stay visible."""


def parse_json(content: str, problems: Problems) -> list[Entry]:
    try:
        pairs = json.loads(content, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        problems.add("", f"content is not valid JSON (line {exc.lineno}, column {exc.colno})")
        return []
    except RecursionError:
        problems.add("", "content is nested too deeply")
        return []
    if not isinstance(pairs, _Pairs):
        problems.add("", 'content must be one JSON object, {"NAME": "value", ...}')
        return []
    entries = []
    for position, (name, value) in enumerate(pairs, start=1):
        if not NAME_PATTERN.fullmatch(name):
            problems.add(f"entry {position}", BAD_NAME)
        elif not isinstance(value, str):
            problems.add(f"key {name}", "the value must be a string")
        else:
            entries.append(Entry(f"key {name}", name, value))
    return entries


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_dotenv(pairs: list[tuple[str, str]]) -> str:
    """NAME='value' lines. A value holding NUL cannot be written as .env text."""
    unwritable = [name for name, value in pairs if "\x00" in value]
    if unwritable:
        raise ValidationFailed("these values hold a NUL character, which .env text cannot carry;"
                               " export them as json: " + ", ".join(unwritable))
    return "".join(f"{name}={_quote(value)}\n" for name, value in pairs)
