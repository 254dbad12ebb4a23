"""Dotted path patterns (``a.*.b``, ``**.lr``, ``datasets[].path``), matched in linear time.

A pattern is compiled once into segments; matching simulates the pattern as a
small automaton over the path's keys, so ``**`` never backtracks: the cost is
at most (path length x pattern length) steps whatever the pattern holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gittrain.errors import GittrainError

DOUBLE = "**"


class Pattern(NamedTuple):
    """A compiled pattern; ``text`` is how it was written."""

    text: str
    segments: tuple[str, ...]
    needs: frozenset[str] = frozenset()  # literal keys any match must contain

    def match(self, keys: Sequence[str]) -> bool:
        """Does the whole of ``keys`` (see :func:`keys_of`) match?"""
        if self.needs and not self.needs.issubset(k.removesuffix("[]") for k in keys):
            return False  # a cheap refusal before the automaton runs
        return _run(self.segments, keys)


def compile_pattern(text: str, *, suffix: bool = False) -> Pattern:
    """``suffix`` patterns match the end of a path (``lr`` matches ``optim.lr``)."""
    segments = tuple(part for part in text.split(".") if part)
    if not segments:
        raise GittrainError(f"{text!r}: an empty pattern")
    if suffix and segments[0] != DOUBLE:
        segments = (DOUBLE, *segments)
    needs = frozenset(
        s.removesuffix("[]") for s in segments if s != DOUBLE and "*" not in s and "?" not in s
    )
    return Pattern(text, segments, needs)


def keys_of(path: Sequence[object]) -> tuple[str, ...]:
    """``("datasets", 0, "path")`` -> ``("datasets[]", "path")``: a list item is ``[]``.

    Any non-string part (an index, or the diff engine's item keys) is a list item.
    """
    out: list[str] = []
    for part in path:
        if isinstance(part, str):
            out.append(part)
        else:
            out.append((out.pop() if out else "") + "[]")
    return tuple(out)


def _run(segments: tuple[str, ...], keys: Sequence[str]) -> bool:
    count = len(segments)
    states = _closure({0}, segments)
    for key in keys:
        step: set[int] = set()
        for i in states:
            if i == count:
                continue
            part = segments[i]
            if part == DOUBLE:
                step.add(i)  # ``**`` eats this key and stays
            elif _segment(key, part):
                step.add(i + 1)
        if not step:
            return False
        states = _closure(step, segments)
    return count in states


def _closure(states: set[int], segments: tuple[str, ...]) -> set[int]:
    # ``**`` may also match no key at all: each state before one reaches past it.
    out = set(states)
    for i in sorted(states):
        j = i
        while j < len(segments) and segments[j] == DOUBLE:
            j += 1
            out.add(j)
    return out


def _segment(key: str, part: str) -> bool:
    # ``datasets.path`` also matches ``datasets[0].path``: the index is incidental.
    # ``[]`` in a pattern means "a list item", never a character class.
    bare = key[:-2] if key.endswith("[]") else None
    if "*" not in part and "?" not in part:
        return part in (key, bare)
    from fnmatch import fnmatchcase  # globs are rare; fnmatch imports re

    part = part.replace("[]", "[[][]]")

    return fnmatchcase(key, part) or (bare is not None and fnmatchcase(bare, part))
