"""A config read through its dialect: each idea's value, with the native path it came from.

Rules, derived quantities and ``recipe validate`` read only this view, so a
finding on a native file still points at the user's own key.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Mapping
from typing import NamedTuple

from gittrain.core.dialects.vocabulary import Cond, Dialect, Source, Vocabulary
from gittrain.document import DocPath

_CONVERTING = frozenset({"pyyaml-argparse", "pyyaml-pydantic"})
_NUMERIC = frozenset({"number", "integer"})
_MAX_INTERPOLATION = 8


class Value(NamedTuple):
    """An idea's value; ``path`` is where it was read (None for a default or a derived value)."""

    value: object
    path: DocPath | None


class View(NamedTuple):
    dialect: Dialect
    values: Mapping[str, Value]

    def get(self, idea: str) -> Value | None:
        return self.values.get(idea)

    def number(self, idea: str) -> tuple[DocPath | None, float] | None:
        found = self.values.get(idea)
        if found is None or not is_number(found.value):
            return None
        return found.path, float(found.value)  # type: ignore[arg-type]

    def integer(self, idea: str) -> tuple[DocPath | None, int] | None:
        found = self.number(idea)
        if found is None or not found[1].is_integer():
            return None
        return found[0], int(found[1])

    def text(self, idea: str) -> str | None:
        found = self.values.get(idea)
        if found is None or not isinstance(found.value, str):
            return None
        return found.value.lower()


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read(
    vocabulary: Vocabulary,
    dialect: Dialect,
    data: object,
    *,
    base: DocPath = (),
    root: object = None,
    outside: Mapping[str, Value] | None = None,
    given: Mapping[str, Value] | None = None,
) -> View:
    """Read every idea ``dialect`` maps from ``data`` (the config mapping at ``base``).

    ``root`` is the whole document, for the dialect's ``outer`` ideas (a job's
    ``num_gpus`` beside its ``config``); ``outside`` supplies ideas known from
    elsewhere (a recipe's algorithm) when the config does not state them;
    ``given`` ideas are settled before the file is read (the algorithm a run
    command names: `trl rloo --config FILE`) and the file does not override them.
    """
    reader = _Reader(dialect, data if isinstance(data, dict) else {}, base)
    values: dict[str, Value] = dict(given or {})
    known = ChainMap(values, dict(outside or {}))  # a `when` also sees ideas from outside
    for idea, sources in dialect.ideas.items():
        if idea in values:
            continue
        found = _first(reader, sources, known, vocabulary.ideas[idea].type)
        if found is not None and not (found.path is None and outside and idea in outside):
            values[idea] = found  # a stated value; a dialect default yields to outside
    if isinstance(root, dict) and dialect.outer:
        outer = _Reader(dialect, root, ())
        for idea, sources in dialect.outer.items():
            if idea not in values and idea in vocabulary.ideas:
                found = _first(outer, sources, known, vocabulary.ideas[idea].type)
                if found is not None:
                    values[idea] = found
    for idea, value in (outside or {}).items():
        values.setdefault(idea, value)
    return View(dialect, values)


def _first(
    reader: _Reader, sources: tuple[Source, ...], known: Mapping[str, Value], kind: str
) -> Value | None:
    for source in sources:
        if not all(_holds(known.get(idea), options) for idea, options in source.when):
            continue
        found = reader.source(source)
        if found is not None:
            if kind in _NUMERIC and reader.dialect.loader in _CONVERTING:
                found = Value(as_number(found.value), found.path)
            return found
    return None


def _holds(value: Value | None, options: frozenset[object]) -> bool:
    if value is None:
        return False
    v = value.value
    return (v.lower() if isinstance(v, str) else v) in options


def as_number(value: object) -> object:
    """What argparse or pydantic make of a numeric string for a numeric field."""
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in value else number
    return value


class _Reader:
    def __init__(self, dialect: Dialect, data: Mapping[str, object], base: DocPath) -> None:
        self.dialect = dialect
        self.data = data
        self.base = base

    def lookup(self, path: tuple[str, ...], depth: int = 0) -> object:
        node: object = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return _ABSENT
            node = node[key]
        if (
            isinstance(node, str)
            and node.startswith("${")
            and node.endswith("}")
            and self.dialect.loader == "omegaconf"
            and depth < _MAX_INTERPOLATION
        ):
            return self._interpolate(node[2:-1].strip(), depth)
        return node

    def _interpolate(self, target: str, depth: int) -> object:
        # Only plain absolute interpolations (``${data.max_prompt_length}``); resolvers
        # such as ``${oc.env:X}`` and relative ``${..x}`` are left unread.
        if not target or ":" in target or target.startswith(".") or "${" in target:
            return _ABSENT
        return self.lookup(tuple(target.split(".")), depth + 1)

    def here(self, path: tuple[str, ...]) -> DocPath:
        return (*self.base, *path)

    def source(self, source: Source) -> Value | None:
        found = self._raw(source)
        if found is None:
            if source.has_default:
                return Value(source.default, None)
            return None
        value, path = found
        if source.mapping is not None:
            key = value.lower() if isinstance(value, str) else value
            if isinstance(key, str) and key in source.mapping:
                value = source.mapping[key]
        return Value(value, path)

    def _raw(self, source: Source) -> tuple[object, DocPath] | None:
        for case in source.cases:
            if all(self.cond(c) for c in case.conds):
                return case.value, self.here(case.conds[0].path)
        for value, paths in source.infer:
            for path in paths:
                if self.lookup(path) is not _ABSENT:
                    return value, self.here(path)
        if source.product:
            present = [(p, self.lookup(p)) for p in source.product]
            numbers = [(p, v) for p, v in present if v is not _ABSENT]
            if numbers and all(is_number(v) for _, v in numbers):
                total = 1.0
                for _, v in numbers:
                    total *= float(v)  # type: ignore[arg-type]
                return _plain(total), self.here(numbers[0][0])
        if source.ratio is not None:
            top, bottom = (self.lookup(p) for p in source.ratio)
            if is_number(top) and is_number(bottom) and bottom:
                return _plain(float(top) / float(bottom)), self.here(source.ratio[0])  # type: ignore[arg-type]
        for path in source.read:
            value = self.lookup(path)
            # An empty value (``deepspeed:``) or a "not set" sentinel is no value.
            if value is _ABSENT or value is None:
                continue
            if source.unset and _fold(value) in source.unset:
                continue
            return value, self.here(path)
        return None

    def cond(self, cond: Cond) -> bool:
        value = self.lookup(cond.path)
        if cond.op == "present":
            return (value is not _ABSENT and value is not None) == bool(cond.arg)
        if value is _ABSENT:
            return False
        folded = value.lower() if isinstance(value, str) else value
        if cond.op == "eq":
            return bool(folded == cond.arg)
        if cond.op == "in":
            assert isinstance(cond.arg, frozenset)
            if isinstance(value, list):  # TRL's loss_type may be a list of losses
                return any(_fold(v) in cond.arg for v in value if not isinstance(v, (dict, list)))
            return not isinstance(value, dict) and folded in cond.arg
        if isinstance(value, (dict, list)):
            return False
        if cond.op == "contains":
            return isinstance(value, str) and str(cond.arg).lower() in value.lower()
        # gt
        return is_number(value) and is_number(cond.arg) and float(value) > float(cond.arg)  # type: ignore[arg-type]


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


_ABSENT = _Absent()


def _fold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _plain(value: float) -> float | int:
    return int(value) if value.is_integer() else value
