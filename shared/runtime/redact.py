"""Mask a workflow run's secret values in text, structures and log records.

A `Redactor` is built once per run from the run's resolved values. What it masks, and
where it masks less than GitHub Actions' secret masker on purpose, is written once, in
docs/integration.md, "Masking rules"; tests/vectors/redaction.json holds the examples
that this module and the JS client's redactor (clients/js) both pass. The forms
themselves are made in shared/runtime/masking_forms.py.

Speed: most log lines hold no secret, so a text first gets one test "is any of these
substrings here?", one short substring (an "anchor") standing for many forms, in Rust
(shared/runtime/anchors.py says which engines and why). Only a text that holds one is
searched further: one pass finds every anchor, and each anchor's forms are compared where
it was found.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from shared.runtime.anchors import encodes, group_by_anchor, locator, matcher, spans
from shared.runtime.masking_forms import base64_forms, escapes, transports, with_parts


class Redactor:
    """Masks a run's resolved values (see the module docstring): each match becomes
    `mask`; values shorter than `min_length` characters match only as whole tokens."""

    __slots__ = ("_mask", "_count", "_any", "_fast", "_locate", "_forms")

    def __init__(self, values: Iterable[str], mask: str = "[REDACTED]", min_length: int = 4):
        unique = set()
        for value in values:
            if not isinstance(value, str) or not encodes(value):
                raise TypeError("Redactor values must be str holding valid UTF-8 text")
            if value:
                unique.add(value)
        self._mask, self._count = mask, len(unique)
        by_anchor: dict[str, list[tuple[str, int, bool]]] = {}
        for value in sorted(with_parts(unique, min_length)):
            short = len(value) < min_length
            forms = {form for escaped in escapes(value) for form in transports(escaped)}
            for encoded in () if short else base64_forms(value):
                forms |= transports(encoded)
            forms.discard("")
            for anchor, located in group_by_anchor(forms).items():
                by_anchor.setdefault(anchor, []).extend((f, at, short) for f, at in located)
        anchors = sorted(by_anchor)
        self._forms = [by_anchor[anchor] for anchor in anchors]  # by the anchor's index
        # _fast: the same test for ASCII text only, a direct call into Rust when possible.
        self._any, self._fast = matcher(anchors)
        self._locate = locator(anchors)

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
        """Where the forms are, in a text known to hold an anchor."""
        forms = self._forms
        for index, at in self._locate(text):
            yield from spans(text, at, forms[index])


class RedactingFilter(logging.Filter):
    """Formats each record's message, redacted, into `msg` (handlers then don't format it
    again); redacts its traceback (into `exc_text`, clearing `exc_info`), stack and
    `extra` fields. Attach it to handlers: a logger's own filters miss records from child
    loggers. It never raises; if redaction fails the record keeps a fixed message.

    Reading `extra` fields means reading `record.__dict__`, which on CPython 3.11 slows
    the rest of the logging call (about 2,600 instructions, 2.4% of it); `redact_extra=False`
    skips them, for setups where no formatter or handler reads `extra` fields."""

    def __init__(self, redactor: Redactor, *, redact_extra: bool = True) -> None:
        super().__init__()
        self._redactor, self._redact_extra = redactor, redact_extra

    def filter(self, record: logging.LogRecord) -> bool:
        try:  # the hot path of every log call: usually one call into Rust
            if type(record) is _LogRecord:  # getMessage() inlined: one Python frame less
                msg, args = record.msg, record.args
                if type(msg) is not str:
                    msg = str(msg)
                if args:
                    msg = msg % args
            else:  # a subclass may make its message its own way
                msg = record.getMessage()
            redactor = self._redactor
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
_LogRecord = logging.LogRecord
_PLAIN_RECORD = vars(logging.LogRecord("", 0, "", 0, "", None, None))
_PLAIN_RECORD_SIZE = len(_PLAIN_RECORD)
_RECORD_FIELDS = frozenset(_PLAIN_RECORD) | {"asctime"}
