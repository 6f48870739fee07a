"""Where a run's values may be in a text: anchors and the matchers that find them.

An anchor is a short substring that stands for many forms of a value (see
`group_by_anchor`). Two engines in Rust, each where it is fastest (on the bench's 1.1 KB
log lines, 50 anchors for 10 values):
- "is any anchor here?", asked of every text: pydantic-core's regex (a dependency
  already), about 0.2 us a line, where CPython's `re` takes about 12 us and
  ahocorasick-rs 1.3 us, overlapping matches or not (its prefilter does little for 50
  anchors of random characters); after a wait on a database, with cold caches, 2.1 us
  against ahocorasick-rs's 3.8 (medians);
- "where is every anchor?", asked of the few texts that hold one: ahocorasick-rs, one pass
  of about 1.8 us for all anchors, where asking the regex anchor by anchor would take one
  call per anchor (or a tree of calls, and a compiled regex per node).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

_ANCHOR_RUN = re.compile(r"[A-Za-z0-9._-]+")  # characters that no transport escapes
_ANCHOR_MIN, _ANCHOR_MAX = 6, 32
# A form whose longest run is shorter than this is its own anchor (any characters), if that
# is longer: one short anchor among long ones makes V8's RegExp (clients/js) twice as slow.
_ANCHOR_LONG = 16

Forms = list[tuple[str, int, bool]]  # an anchor's forms: form, the anchor's offset in it, whole-token


def locator(anchors: list[str]) -> Callable[[str], list[tuple[int, int]]]:
    """Finds every occurrence of every anchor in a text, overlapping ones included, as
    (index in `anchors`, start). One pass of Aho-Corasick in Rust; a text that is not valid
    UTF-8 (a lone surrogate), which Rust can't take, gets `str.find` per anchor. A closure,
    so no repr or vars() can show the anchors."""
    rust = _rust_locator(anchors) if anchors else None

    def locate(text: str) -> list[tuple[int, int]]:
        if rust is not None and (text.isascii() or encodes(text)):
            return [(index, start) for index, start, _ in rust(text, overlapping=True)]
        return [(index, at) for index, anchor in enumerate(anchors) for at in _occurrences(text, anchor)]

    return locate


def spans(text: str, at: int, forms: Forms) -> Iterator[tuple[int, int]]:
    """The forms found in the text around one occurrence of their anchor, at `at`: a form
    holds its anchor at a known offset, so it is compared in place."""
    for form, offset, whole_token in forms:
        start = at - offset
        end = start + len(form)
        if start >= 0 and text.startswith(form, start) and (not whole_token or (
                not_word(text, start - 1) and not_word(text, end))):
            yield start, end


def _occurrences(text: str, anchor: str) -> Iterator[int]:
    at = text.find(anchor)
    while at != -1:
        yield at
        at = text.find(anchor, at + 1)


def _rust_locator(anchors: list[str]) -> Callable | None:
    from ahocorasick_rs import AhoCorasick, Implementation

    # store_patterns=False: the automaton keeps no copy of the anchors as str objects. A
    # contiguous NFA, not the DFA the crate picks for few patterns: the DFA's table is read
    # at random, one entry a character, and a worker locates rarely (1 text in 50 on the
    # bench), after waiting on a database its caches have lost it. Between two INSERTs a
    # line took 16-19 us to locate (median) against 26-79 us with the DFA; in a hot loop
    # both take 1.5-2 us.
    return AhoCorasick(anchors, store_patterns=False,
                       implementation=Implementation.ContiguousNFA).find_matches_as_indexes


def matcher(literals: Iterable[str]) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """Tests "does a text hold any of these literals?": for any text, and for ASCII text.
    Closures, not objects, so no repr or vars() can show the literals. The `re` pattern,
    slow to compile and to run, is compiled only when a text needs it."""
    ordered = sorted(set(literals), key=len, reverse=True)
    compiled: list[Callable] = []

    def search(text: str) -> bool:
        if not compiled:
            compiled.append(re.compile("|".join(map(re.escape, ordered)) or "(?!)").search)
        return compiled[0](text) is not None

    rust = _rust_matcher(ordered) if ordered else None
    if rust is None:
        return search, search

    def check(text: str) -> bool:
        # pydantic-core wants UTF-8 and quietly says "no" to lone surrogates: use `re`.
        return rust(text) if text.isascii() or encodes(text) else search(text)

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


def group_by_anchor(forms: set[str]) -> dict[str, list[tuple[str, int]]]:
    """Each form, and where its anchor starts in it, under an anchor; few anchors."""
    by_anchor: dict[str, list[tuple[str, int]]] = {}
    for form in sorted(forms, key=lambda f: (len(f), f)):  # short forms' anchors first
        anchor = next((a for a in by_anchor if a in form), None)
        if anchor is None:
            run = max(_ANCHOR_RUN.findall(form), key=len, default="")
            long = run if len(run) >= _ANCHOR_LONG or len(form) <= len(run) else form
            anchor = (long if len(long) >= _ANCHOR_MIN else form)[:_ANCHOR_MAX]
            by_anchor[anchor] = []
        by_anchor[anchor].append((form, form.find(anchor)))
    return by_anchor


def encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def not_word(text: str, index: int) -> bool:
    return not (0 <= index < len(text)) or not (text[index].isalnum() or text[index] == "_")
