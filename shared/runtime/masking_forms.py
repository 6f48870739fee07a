"""The forms a secret value travels in, as the redactor looks for them.

Pure functions from a value to the set of strings to mask: its parts (trimmed, per line,
unquoted, as GitHub's masker does), its escapes (XML/HTML entities, doubled single quotes,
`\\"`), its transports (JSON escaping, URL encoding) and its base64 at every alignment. The
rules are written out once, for Python and JavaScript alike, in docs/integration.md
("Masking rules"); tests/vectors/redaction.json holds the cases both implementations pass.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")
_JSON_U_HEX = re.compile(r"\\u([0-9a-f]{4})")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WHITESPACE = " \t\n\r\f\v"  # what counts as surrounding whitespace, in Python and JS alike


def with_parts(values: set[str], min_length: int) -> set[str]:
    """The values, and the parts GitHub's masker also masks: each trimmed, each line (also
    trimmed), and the inside of a value wrapped in double quotes. A part shorter than
    `min_length` is dropped: masking a lone "}" line or a space everywhere protects nothing."""
    parts = set(values)
    for value in values:
        for piece in (value, *_LINE_BREAK.split(value)):
            trimmed = piece.strip(_WHITESPACE)
            parts |= {piece, trimmed}
            if len(trimmed) > 2 and trimmed[0] == trimmed[-1] == '"':
                parts.add(trimmed[1:-1])
    return values | {part for part in parts if len(part) >= min_length}


def escapes(text: str) -> set[str]:
    """The text as is, with XML/HTML entities (`"` and `'` each kept or escaped, in every
    spelling), with `'` doubled (expression and SQL strings), with `"` escaped as `\\"`."""
    forms = {text, text.replace("'", "''"), text.replace('"', '\\"')}
    if any(c in text for c in "&<>\"'"):
        base = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for quot in ('"', "&quot;"):
            for apos in ("'", "&#39;", "&apos;", "&#x27;"):
                forms.add(base.replace('"', quot).replace("'", apos))
    return forms


def transports(text: str) -> set[str]:
    """The text as is, JSON-escaped and URL-encoded."""
    forms = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    forms |= {f.replace("/", "\\/") for f in forms}
    forms |= {_JSON_U_HEX.sub(lambda m: "\\u" + m[1].upper(), f) for f in forms}
    forms |= {json.dumps(f, ensure_ascii=a)[1:-1] for f in forms for a in (True, False)}
    for safe in ("", "/", "!'()*"):  # Python's quote(), a path, JS encodeURIComponent
        for form in (quote(text, safe=safe), quote_plus(text, safe=safe)):
            forms |= {form, _PERCENT_HEX.sub(lambda m: m[0].lower(), form)}
    return forms | {text}


def base64_forms(value: str) -> set[str]:
    data, forms = value.encode("utf-8"), set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for k in range(3):  # the value starting k bytes into a 3-byte group
            encoded = encode(b"\0" * k + data).decode("ascii")
            # Character i carries bits 6i..6i+5; keep those carrying only the value's bits.
            forms.add(encoded[(8 * k + 5) // 6:(8 * k + 8 * len(data)) // 6])
    return forms
