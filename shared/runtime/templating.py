"""Render `{{secrets.NAME}}` placeholders in a step's config.

A config is any JSON-like structure (dicts, lists, tuples, strings, numbers, bools, None).
Only string values are rendered; dict keys are not (a key naming a secret would put the
value where nobody expects it). Other placeholders, such as `{{input.body}}` or
`{{ steps.x.output }}`, are left exactly as written for MeshHook's own templating.

Secrets are rendered first: a value is substituted once and never scanned again, so a
value that happens to contain `{{secrets.OTHER}}` is not expanded.

An unknown name is an error naming every unknown name, never an empty string or a silent
literal (docs/integration.md). So is a placeholder that starts like one (`{{ secrets.`) but is not a
valid one, for example `{{ secrets.my-key }}`: left alone it would reach the remote
service verbatim. Errors name secrets, never values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.secrets.limits import NAME_PATTERN

# Whitespace is allowed just inside the braces, as in `{{ secrets.NAME }}`.
_PLACEHOLDER = re.compile(r"\{\{\s*secrets\.(" + NAME_PATTERN.pattern + r")\s*\}\}")
# Anything that starts like a secret placeholder; each hit must be a valid _PLACEHOLDER.
_LOOKS_LIKE = re.compile(r"\{\{\s*secrets\s*\.")
_SNIPPET_CHARS = 80


class TemplateError(Exception):
    """A config's secret placeholders can't be rendered."""


class UnknownSecretError(TemplateError, LookupError):
    """Placeholders name secrets that were not resolved; `.names` lists them all, sorted."""

    def __init__(self, names: list[str]) -> None:
        self.names = sorted(set(names))
        super().__init__("unknown secrets: " + ", ".join(self.names))

    def __str__(self) -> str:
        # LookupError's str() would be the repr of the message; keep it readable.
        return self.args[0]


class MalformedPlaceholderError(TemplateError, ValueError):
    """A `{{ secrets.… }}` placeholder whose name is not a valid secret name."""

    def __init__(self, placeholders: list[str]) -> None:
        self.placeholders = placeholders
        super().__init__(
            "malformed secret placeholders (a name is a letter or underscore, then up to 127"
            " letters, digits or underscores): " + ", ".join(map(repr, placeholders))
        )


def find_secret_names(config: Any) -> list[str]:
    """Every secret name the config's strings reference, sorted and deduplicated."""
    names: set[str] = set()
    malformed: list[str] = []
    for text in _strings(config):
        _scan(text, names, malformed)
    if malformed:
        raise MalformedPlaceholderError(malformed)
    return sorted(names)


def render(config: Any, values: Mapping[str, str]) -> Any:
    """A copy of `config` with every secret placeholder replaced by its value.

    Everything is checked before anything is rendered, so a failure leaves no
    half-rendered copy behind. `values` keys match names exactly (case-sensitive).
    """
    names = find_secret_names(config)
    missing = [name for name in names if name not in values]
    if missing:
        raise UnknownSecretError(missing)
    for name in names:
        if not isinstance(values[name], str):
            raise TypeError(f"the value of secret {name!r} is not a str")

    def substitute(match: re.Match[str]) -> str:
        return values[match.group(1)]

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return _PLACEHOLDER.sub(substitute, node) if "{{" in node else node
        if isinstance(node, Mapping):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, tuple):
            return tuple(walk(item) for item in node)
        return node

    return walk(config)


def _strings(node: Any):
    """Every string value in the structure (not dict keys), depth first."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)


def _scan(text: str, names: set[str], malformed: list[str]) -> None:
    if "{{" not in text:  # the common case: no placeholder at all
        return
    for start in _LOOKS_LIKE.finditer(text):
        match = _PLACEHOLDER.match(text, start.start())
        if match:
            names.add(match.group(1))
        else:
            end = text.find("}}", start.start(), start.start() + _SNIPPET_CHARS)
            stop = end + 2 if end != -1 else start.start() + _SNIPPET_CHARS
            malformed.append(text[start.start():stop])
