"""Parsed YAML/JSON documents with a source position for every value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

# A path into a document: mapping keys are str, sequence indexes are int.
DocPath = tuple["str | int", ...]


# Records here, in the diff engine and in the importance rules are NamedTuples (as in
# pre-commit), not dataclasses: importing `dataclasses` pulls in `inspect`, `ast` and
# `tokenize` (~8 ms), which `git-train-textconv` would pay once per file git shows.
class Mark(NamedTuple):
    """A 1-based line and column in a source file."""

    line: int
    column: int


# Shared by every Document made without marks; typed read-only.  A plain dict rather
# than a MappingProxyType so Documents can still be deep-copied and pickled.
_NO_MARKS: Mapping[DocPath, Mark] = {}


class Document(NamedTuple):
    """One parsed document: plain JSON-like data plus where each value came from.

    ``data`` is ``object`` on purpose: callers narrow it once, in their own
    ``from_doc``.  ``marks`` maps the path of every value to the position of its
    key (for mapping entries) or of the value itself (sequence items, the root).
    """

    source: str
    data: object
    marks: Mapping[DocPath, Mark] = _NO_MARKS

    def mark_of(self, path: DocPath) -> Mark | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            mark = self.marks.get(p)
            if mark is not None:
                return mark
            if not p:
                return None
            p = p[:-1]

    def value_at(self, path: DocPath) -> object:
        """The value at ``path``, or None when the document has none there."""
        node = self.data
        for key in path:
            if isinstance(node, dict) and isinstance(key, str):
                node = node.get(key)
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return None
        return node

    def where(self, path: DocPath = ()) -> str:
        """``file:line:col`` for ``path`` (or just ``file`` when unknown)."""
        return locate(self.source, self.mark_of(path))


def locate(source: str, mark: Mark | None) -> str:
    if mark is None:
        return source
    return f"{source}:{mark.line}:{mark.column}"


def format_path(path: DocPath) -> str:
    """``config.datasets[0].path``: the dotted form users read in messages."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            text = part if _plain_key(part) else '"' + part.replace('"', '\\"') + '"'
            out.append(("." if out else "") + text)
    return "".join(out) or "(root)"


def _plain_key(key: str) -> bool:
    return bool(key) and all(ch.isalnum() or ch in "_-/" for ch in key)


def identical(a: object, b: object) -> bool:
    """Equal with the same types all the way down: ``1`` is not ``1.0`` or ``True``, and
    mappings must list their keys in the same order (what a round trip through a file we
    wrote, or a cache we read back, must preserve)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return a == b
