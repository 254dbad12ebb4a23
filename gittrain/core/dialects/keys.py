"""Keys a framework does not know, each with the closest known spelling when one is close."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from gittrain.core.dialects.patterns import keys_of
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
    yield from _walk(dialect, data, ())


def _walk(dialect: Dialect, node: object, path: DocPath) -> Iterator[Unknown]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(dialect, item, (*path, i))
        return
    if not isinstance(node, dict):
        return
    component = COMPONENT in node and bool(path)
    for key, value in node.items():
        here = (*path, key)
        keys = keys_of(here)
        if dialect.is_open(keys):
            continue
        if dialect.known(keys):
            yield from _walk(dialect, value, here)
            continue
        if component:
            continue  # a component's keyword arguments are its own business
        suggestion = _closest(dialect, keys)
        if dialect.closed or suggestion:
            yield Unknown(here, key, suggestion)


def _closest(dialect: Dialect, keys: tuple[str, ...]) -> str | None:
    parent = ".".join(keys[:-1]).replace("[]", "")
    siblings = _children(dialect.keys.literal).get(parent, ())
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
