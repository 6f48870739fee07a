"""Mask a workflow run's secret values in text, structures and log records.

A `Redactor` is built once per run from the run's resolved values. What it masks, and
where it masks less than GitHub Actions' secret masker on purpose, is written once, in
docs/integration.md, "Masking rules"; tests/vectors/redaction.json holds the examples
that this module and the JS client's redactor (clients/js) both pass. The forms
themselves are made in shared/runtime/masking_forms.py.

Speed: most log lines hold no secret, so a text first gets one test "is any of these
substrings here?", one short substring (an "anchor") standing for many forms. CPython's
`re` takes about 12 us for a 1 KB line against 40 literals, more than the logging call
itself; the regex crate in pydantic-core (a dependency already) about 0.3 us.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from shared.runtime.masking_forms import base64_forms, escapes, transports, with_parts

_ANCHOR_RUN = re.compile(r"[A-Za-z0-9._-]+")  # characters that no transport escapes
_ANCHOR_MIN, _ANCHOR_MAX = 6, 32


class Redactor:
    """Masks a run's resolved values (see the module docstring): each match becomes
    `mask`; values shorter than `min_length` characters match only as whole tokens."""

    __slots__ = ("_mask", "_count", "_any", "_fast", "_groups")

    def __init__(self, values: Iterable[str], mask: str = "[REDACTED]", min_length: int = 4):
        unique = set()
        for value in values:
            if not isinstance(value, str) or not _encodes(value):
                raise TypeError("Redactor values must be str holding valid UTF-8 text")
            if value:
                unique.add(value)
        self._mask, self._count, self._groups = mask, len(unique), []
        anchors: list[str] = []
        for value in sorted(with_parts(unique, min_length)):
            short = len(value) < min_length
            forms = {form for escaped in escapes(value) for form in transports(escaped)}
            for encoded in () if short else base64_forms(value):
                forms |= transports(encoded)
            forms.discard("")
            by_anchor = _group_by_anchor(forms)
            self._groups.append((_matcher(by_anchor)[0], tuple(by_anchor.items()), short))
            anchors.extend(by_anchor)
        # _fast: the same test for ASCII text only, a direct call into Rust when possible.
        self._any, self._fast = _matcher(anchors)

    def __repr__(self) -> str:
        return f"Redactor({self._count} value{'' if self._count == 1 else 's'})"

    def redact_text(self, text: str) -> str:
        return self._mask_spans(text) if self._any(text) else text

    def redact(self, obj: Any) -> Any:
        """A redacted copy: str and bytes (bytes stay bytes, invalid UTF-8 round-trips),
        dicts (keys and values), lists, tuples and sets; an exception becomes its
        "Type: message" line, redacted; anything else is returned as is. Keys that
        redact to the same string collapse into one."""
        return self._redact(obj, set())

    def logging_filter(self, redact_extra: bool = True) -> RedactingFilter:
        return RedactingFilter(self, redact_extra=redact_extra)

    def formatter(self, inner: logging.Formatter | None = None) -> RedactingFormatter:
        return RedactingFormatter(self, inner)

    def _redact(self, obj: Any, active: set[int]) -> Any:
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, (bytes, bytearray)):
            text = bytes(obj).decode("utf-8", "surrogateescape")
            return type(obj)(self.redact_text(text).encode("utf-8", "surrogateescape"))
        if isinstance(obj, BaseException):  # "Type: message"; traceback copes with a bad __str__
            line = "".join(traceback.format_exception_only(type(obj), obj)).rstrip()
            return self.redact_text(line)
        if not isinstance(obj, (Mapping, list, tuple, set, frozenset)):
            return obj
        if id(obj) in active:  # a container that holds itself
            return self._mask
        active.add(id(obj))
        try:
            if isinstance(obj, Mapping):
                return {self._redact(k, active): self._redact(v, active) for k, v in obj.items()}
            items = [self._redact(item, active) for item in obj]
            kind = next(k for k in (list, tuple, frozenset, set) if isinstance(obj, k))
            return kind(items)
        finally:
            active.discard(id(obj))

    def _mask_spans(self, text: str) -> str:
        merged: list[list[int]] = []  # overlapping or touching spans become one
        for start, end in sorted(self._spans(text)):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out, pos = [], 0
        for start, end in merged:
            out += (text[pos:start], self._mask)
            pos = end
        return "".join(out) + text[pos:]

    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        for matcher, by_anchor, whole_token in self._groups:
            if not matcher(text):
                continue
            # A form holds its anchor at a known offset: find the anchor, compare in place.
            for anchor, forms in by_anchor:
                at = text.find(anchor)
                while at != -1:
                    for form, offset in forms:
                        start, end = at - offset, at - offset + len(form)
                        if start >= 0 and text.startswith(form, start) and (not whole_token or (
                                _not_word(text, start - 1) and _not_word(text, end))):
                            yield start, end
                    at = text.find(anchor, at + 1)


class RedactingFilter(logging.Filter):
    """Formats each record's message, redacted, into `msg` (handlers then don't format it
    again); redacts its traceback (into `exc_text`, clearing `exc_info`), stack and
    `extra` fields. Attach it to handlers: a logger's own filters miss records from child
    loggers. It never raises; if redaction fails the record keeps a fixed message.

    Reading `extra` fields means reading `record.__dict__`, which on CPython 3.11 slows
    the rest of the logging call (about 3% of it); `redact_extra=False` skips them, for
    setups where no formatter or handler reads `extra` fields."""

    def __init__(self, redactor: Redactor, *, redact_extra: bool = True) -> None:
        super().__init__()
        self._redactor, self._redact_extra = redactor, redact_extra

    def filter(self, record: logging.LogRecord) -> bool:
        try:  # the hot path of every log call: usually one call into Rust
            msg, redactor = record.getMessage(), self._redactor
            if redactor._fast(msg) if msg.isascii() else redactor._any(msg):
                msg = redactor._mask_spans(msg)
            record.msg, record.args = msg, None
            if record.exc_info or record.exc_text or record.stack_info or (
                    self._redact_extra and len(record.__dict__) > _PLAIN_RECORD_SIZE):
                self._redact_rest(record)
        except Exception as exc:  # a failing filter must not break logging
            record.msg = f"[log record dropped: redaction failed ({type(exc).__name__})]"
            record.args = record.exc_info = record.exc_text = record.stack_info = None
        return True

    def _redact_rest(self, record: logging.LogRecord) -> None:
        redact_text = self._redactor.redact_text
        if record.exc_info:
            record.exc_text = redact_text(_TRACEBACKS.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        if self._redact_extra:  # `extra` fields, and `message` from an earlier formatter
            for key in record.__dict__.keys() - _RECORD_FIELDS:
                record.__dict__[key] = self._redactor.redact(record.__dict__[key])


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter and redacts what it produces: the whole line the handler
    writes (message, arguments, traceback, stack, and whatever `extra` fields a JSON
    formatter puts in), checked in one pass. The cheapest and most complete way to redact
    a handler's output; the filter exists for setups that pass records on unformatted."""

    def __init__(self, redactor: Redactor, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self._redactor, self._inner = redactor, inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        try:
            text = self._inner.format(record)
            redactor = self._redactor
            if redactor._fast(text) if text.isascii() else redactor._any(text):
                text = redactor._mask_spans(text)
            return text
        except Exception as exc:  # a failing formatter must not break logging, nor leak
            return f"[log record dropped: redaction failed ({type(exc).__name__})]"


_TRACEBACKS = logging.Formatter()
_PLAIN_RECORD = vars(logging.LogRecord("", 0, "", 0, "", None, None))
_PLAIN_RECORD_SIZE = len(_PLAIN_RECORD)
_RECORD_FIELDS = frozenset(_PLAIN_RECORD) | {"asctime"}


def _matcher(literals: Iterable[str]) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """Tests "does a text hold any of these literals?": for any text, and for ASCII text.
    Closures, not objects, so no repr or vars() can show the literals."""
    ordered = sorted(set(literals), key=len, reverse=True)
    search = re.compile("|".join(map(re.escape, ordered)) or "(?!)").search
    rust = _rust_matcher(ordered) if ordered else None
    if rust is None:
        check_re = lambda text: search(text) is not None  # noqa: E731
        return check_re, check_re

    def check(text: str) -> bool:
        # pydantic-core wants UTF-8 and quietly says "no" to lone surrogates: use `re`.
        return rust(text) if text.isascii() or _encodes(text) else search(text) is not None

    return check, rust


def _rust_matcher(literals: list[str]) -> Callable[[str], bool] | None:
    try:
        from pydantic_core import SchemaValidator, core_schema

        pattern = "|".join("".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):X}}}"
                                   for c in literal) for literal in literals)
        check = SchemaValidator(core_schema.str_schema(pattern=pattern)).isinstance_python
        # It must never miss: prove that it searches (not matches) and finds each literal.
        if not check("") and all(check(f"\n{literal}\n") for literal in literals):
            return check
    except Exception:  # not installed, or its API changed: use `re`
        pass
    return None


def _group_by_anchor(forms: set[str]) -> dict[str, list[tuple[str, int]]]:
    """Each form, and where its anchor starts in it, under an anchor; few anchors."""
    by_anchor: dict[str, list[tuple[str, int]]] = {}
    for form in sorted(forms, key=lambda f: (len(f), f)):  # short forms' anchors first
        anchor = next((a for a in by_anchor if a in form), None)
        if anchor is None:
            run = max(_ANCHOR_RUN.findall(form), key=len, default="")
            anchor = (run if len(run) >= _ANCHOR_MIN else form)[:_ANCHOR_MAX]
            by_anchor[anchor] = []
        by_anchor[anchor].append((form, form.find(anchor)))
    return by_anchor


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_word(text: str, index: int) -> bool:
    return not (0 <= index < len(text)) or not (text[index].isalnum() or text[index] == "_")
