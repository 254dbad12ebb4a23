"""Keys a framework does not know, each with the closest known spelling when one is close."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from gittrain.core.dialects.vocabulary import Dialect
from gittrain.document import DocPath

COMPONENT = "_component_"  # torchtune/Hydra: the other keys are the component's kwargs


class Unknown(NamedTuple):
    path: DocPath  # relative to the config mapping
    key: str
    suggestion: str | None

    def message(self, dialect: Dialect) -> str:
        where = f"{dialect.title} {dialect.version}".strip()
        text = f"not a key {where} knows"
        if self.suggestion:
            text += f"; did you mean {self.suggestion}?"
        return text


def unknown_keys(dialect: Dialect, data: object) -> Iterator[Unknown]:
    """Every key under ``data`` the dialect does not know (nothing below it is checked)."""
    if not dialect.keys:
        return
    yield from _walk(dialect, data, (), (), _answers(dialect))


_OPEN, _KNOWN, _UNKNOWN = 1, 2, 0
# Per dialect (by identity; the dialect is held so its id stays its own): what each
# key path is.  Configs repeat the same paths, and a path's answer never changes.
_ANSWERS: dict[int, tuple[Dialect, dict[tuple[str, ...], int]]] = {}
_ANSWERS_LIMIT = 100_000


def _answers(dialect: Dialect) -> dict[tuple[str, ...], int]:
    found = _ANSWERS.get(id(dialect))
    if found is not None and found[0] is dialect:
        if len(found[1]) > _ANSWERS_LIMIT:
            found[1].clear()
        return found[1]
    if len(_ANSWERS) > 64:  # a long-lived process that reloads its settings
        _ANSWERS.clear()
    answers: dict[tuple[str, ...], int] = {}
    _ANSWERS[id(dialect)] = (dialect, answers)
    return answers


def _item(keys: tuple[str, ...]) -> tuple[str, ...]:
    """``keys`` one list level down (what :func:`keys_of` makes of an index)."""
    return (*keys[:-1], keys[-1] + "[]") if keys else ("[]",)


def _walk(
    dialect: Dialect,
    node: object,
    path: DocPath,
    keys_here: tuple[str, ...],
    answers: dict[tuple[str, ...], int],
) -> Iterator[Unknown]:
    # keys_here is keys_of(path), kept alongside it rather than computed again per key.
    if isinstance(node, list):
        below = _item(keys_here)
        for i, item in enumerate(node):
            yield from _walk(dialect, item, (*path, i), below, answers)
        return
    if not isinstance(node, dict):
        return
    component = COMPONENT in node and bool(path)
    for key, value in node.items():
        here = (*path, key)
        keys = (*keys_here, key) if isinstance(key, str) else _item(keys_here)
        answer = answers.get(keys)
        if answer is None:
            answer = _OPEN if dialect.is_open(keys) else _KNOWN if dialect.known(keys) else _UNKNOWN
            answers[keys] = answer
        if answer == _OPEN:
            continue
        if answer == _KNOWN:
            yield from _walk(dialect, value, here, keys, answers)
            continue
        if component:
            continue  # a component's keyword arguments are its own business
        suggestion = _closest(dialect, keys)
        if dialect.closed or suggestion:
            yield Unknown(here, key, suggestion)


def _closest(dialect: Dialect, keys: tuple[str, ...]) -> str | None:
    parent = ".".join(keys[:-1]).replace("[]", "")
    siblings = _children(dialect.keys.literal).get(parent, ())
    import difflib  # only for an unknown key: every commit's hook imports this module

    found = difflib.get_close_matches(keys[-1].replace("[]", ""), siblings, n=1, cutoff=0.75)
    if not found:
        return None
    return f"{parent}.{found[0]}" if parent else found[0]


@cache
def _children(known: frozenset[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key in known:
        parent, _, last = key.rpartition(".")
        out.setdefault(parent, []).append(last)
    return {k: tuple(sorted(v)) for k, v in out.items()}
