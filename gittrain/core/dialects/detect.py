"""Which dialect a file is written in: named in settings, implied by its kind, or detected.

Detection reads content markers from each dialect's data: a strong marker
alone decides, weak markers break ties, and an exclusive marker rules a
dialect out.  Strong markers of two dialects at once are a conflict: the file
falls back to the generic rules and the note names both lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from gittrain.core.dialects.vocabulary import GENERIC, Dialect, Vocabulary
from gittrain.document import Document, locate


class Detection(NamedTuple):
    dialect: Dialect
    why: str
    conflict: str | None = None  # a one-line note when markers of two dialects clash
    conflict_path: tuple[str, ...] = ()


def present(data: object, path: Sequence[str]) -> bool:
    """Is ``path`` in ``data``?  ``key[]`` steps into every item of a list."""
    if not path:
        return True
    head, rest = path[0], path[1:]
    if not isinstance(data, dict):
        return False
    if head.endswith("[]"):
        items = data.get(head[:-2])
        return isinstance(items, list) and any(present(item, rest) for item in items)
    return head in data and present(data[head], rest)


def detect(vocabulary: Vocabulary, doc: Document) -> Detection:
    """The dialect ``doc``'s content points at, or the generic dialect with the reason."""
    data = doc.data
    hits: list[tuple[int, int, str, tuple[str, ...]]] = []
    candidates = []
    for marker in vocabulary.markers():
        strong = [p for p in marker.strong if present(data, p)]
        if not strong:
            continue
        hit = (len(strong), sum(present(data, p) for p in marker.weak), marker.name, strong[0])
        hits.append(hit)
        if not any(present(data, p) for p in marker.exclusive):
            candidates.append(hit)
    if not hits:
        return Detection(vocabulary.get(GENERIC), "no framework markers found; generic rules")
    candidates.sort(key=lambda s: (-s[0], -s[1]))
    # One dialect left once exclusive markers have ruled the others out: it wins.
    if len(candidates) == 1 or (len(candidates) > 1 and candidates[0][:2] > candidates[1][:2]):
        best = candidates[0]
        found = vocabulary.get(best[2])
        return Detection(found, f"marker {'.'.join(best[3])} ({doc.where(best[3])})")
    ranked = candidates or sorted(hits, key=lambda s: (-s[0], -s[1]))
    if len(ranked) < 2:  # every dialect with a marker was ruled out by another's
        ranked = sorted(hits, key=lambda s: (-s[0], -s[1]))
    if len(ranked) < 2:
        lone = ranked[0]
        title = vocabulary.get(lone[2]).title
        return Detection(
            vocabulary.get(GENERIC), f"{title} marker {'.'.join(lone[3])} beside keys it never uses"
        )
    best, other = ranked[0], ranked[1]
    where = [(best[3], vocabulary.get(best[2])), (other[3], vocabulary.get(other[2]))]
    where.sort(key=lambda w: _line(doc, w[0]))
    (first, a), (second, b) = where
    note = (
        f"markers of two frameworks: {'.'.join(first)} ({a.title}, line {_line(doc, first)}) "
        f"and {'.'.join(second)} ({b.title}, line {_line(doc, second)}); "
        "checked with the generic rules (name the dialect in .gittrain.yaml `dialects:`)"
    )
    generic = vocabulary.get(GENERIC)  # built only when a file falls back to it
    return Detection(generic, "conflicting framework markers; generic rules", note, second)


def _line(doc: Document, path: Sequence[str]) -> int:
    mark = doc.mark_of(tuple(path))
    return mark.line if mark else 0


def named(
    vocabulary: Vocabulary, rel: str, patterns: Mapping[str, str], source: str
) -> Detection | None:
    """The dialect ``.gittrain.yaml`` names for ``rel`` (first matching glob), if any."""
    from fnmatch import fnmatchcase

    for glob, name in patterns.items():
        if fnmatchcase(rel, glob) or (glob.endswith("/**") and rel.startswith(glob[:-2])):
            return Detection(vocabulary.get(name), f"named in {source} ({glob})")
    return None


__all__ = ["Detection", "detect", "locate", "named", "present"]
