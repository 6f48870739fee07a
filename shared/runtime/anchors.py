"""Where a run's values may be in a text: anchors and the matchers that find them.

An anchor is a short substring that stands for many forms of a value (see
`group_by_anchor`); `Node` is a tree of "any of these anchors here?" tests. The tests run
in pydantic-core's Rust regex (a dependency already): about 0.3 us for a 1 KB line against
40 literals, where CPython's `re` takes about 12 us and the Aho-Corasick libraries on PyPI
(ahocorasick-rs, pyahocorasick) 4-5 us, measured on the bench's lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

_ANCHOR_RUN = re.compile(r"[A-Za-z0-9._-]+")  # characters that no transport escapes
_ANCHOR_MIN, _ANCHOR_MAX = 6, 32
# A form whose longest run is shorter than this is its own anchor (any characters), if that
# is longer: one short anchor among long ones makes V8's RegExp (clients/js) twice as slow.
_ANCHOR_LONG = 16

Leaf = tuple[str, list[tuple[str, int, bool]]]  # an anchor; its forms, their offsets, whole-token


class Node:
    """A tree over the anchors: each node tests "any of my anchors here?", its two children
    split its anchors in halves, a leaf holds one anchor and the forms located by it. A
    text with one value in it is then located in about 1.5 tests a level (log2 of the
    number of anchors levels), each a call into Rust, instead of one test a value. Only
    the root is built with the redactor; the rest as the first texts with values need it."""

    __slots__ = ("check_any", "check_fast", "anchor", "forms", "_leaves", "_children")

    def __init__(self, leaves: list[Leaf]) -> None:
        self.check_any, self.check_fast = matcher(anchor for anchor, _ in leaves)
        self.anchor, self.forms = leaves[0] if len(leaves) == 1 else ("", [])
        self._leaves, self._children = leaves, None

    @property
    def children(self) -> tuple[Node, Node] | None:
        if self._children is None and len(self._leaves) > 1:
            half = len(self._leaves) // 2
            self._children = (Node(self._leaves[:half]), Node(self._leaves[half:]))
        return self._children

    def __repr__(self) -> str:  # never the anchors
        return "Node()"


def leaf_spans(text: str, anchor: str, forms: list[tuple[str, int, bool]]) -> Iterator[tuple[int, int]]:
    # A form holds its anchor at a known offset: find the anchor, compare in place.
    at = text.find(anchor)
    while at != -1:
        for form, offset, whole_token in forms:
            start = at - offset
            end = start + len(form)
            if start >= 0 and text.startswith(form, start) and (not whole_token or (
                    not_word(text, start - 1) and not_word(text, end))):
                yield start, end
        at = text.find(anchor, at + 1)


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
