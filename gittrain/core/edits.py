"""`--set key.path=value` and `--unset key.path`: parsing and applying edits to a config."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gittrain.document import DocPath, format_path
from gittrain.errors import GittrainError, usage_error

_SEGMENT = re.compile(r"([A-Za-z0-9_-]+)((?:\[[0-9]+\])*)\Z")
_INDEX = re.compile(r"\[([0-9]+)\]")
SYNTAX = "expected KEY.PATH=VALUE (keys are letters, digits, _ and -; [N] indexes a list)"

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


@dataclass(frozen=True, slots=True)
class Assignment:
    path: DocPath
    value: object


def parse_key_path(text: str, option: str = "--unset", shown: str | None = None) -> DocPath:
    """``a.b[0].c`` -> ``("a", "b", 0, "c")``; a usage error for anything else.

    ``shown`` is the argument as the user typed it, for the message.
    """
    path: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise usage_error(f"{option} {(shown or text)!r}: {SYNTAX}")
        path.append(match.group(1))
        path.extend(int(i) for i in _INDEX.findall(match.group(2)))
    return tuple(path)


def parse_assignment(text: str, option: str = "--set") -> Assignment:
    """``learning_rate=2e-5`` -> path and a value typed by the strict YAML rules."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise usage_error(f"{option} {text!r}: {SYNTAX}")
    path = parse_key_path(key, option, shown=text)
    try:
        from gittrain.adapters import yamlio

        value = yamlio.load_text(raw, f"{option} {key}", expect_mapping=False).data if raw else None
    except GittrainError as exc:
        raise usage_error(f"{option} {text!r}: value is not valid YAML: {exc.detail}") from None
    return Assignment(path, value)


def get_path(data: object, path: DocPath) -> object:
    """The value at ``path`` or ``MISSING``."""
    node = data
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return MISSING
            node = node[part]
        else:
            if not isinstance(node, dict) or part not in node:
                return MISSING
            node = node[part]
    return node


def set_path(data: dict[str, Any], path: DocPath, value: object, *, label: DocPath = ()) -> None:
    """Set ``path`` in ``data``, creating intermediate mappings (not list items)."""
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        node = _step(
            node,
            part,
            create=not isinstance(path[depth + 1], int),
            label=(*label, *path[: depth + 1]),
        )
    last = path[-1]
    where = format_path((*label, *path))
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise usage_error(f"--set {where}: there is no list item {last} to set")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise usage_error(f"--set {where}: {format_path((*label, *path[:-1]))} is not a mapping")


def unset_path(data: dict[str, Any], path: DocPath, *, label: DocPath = ()) -> object:
    """Remove ``path``; returns the old value.  Missing paths are a usage error."""
    parent = get_path(data, path[:-1])
    last = path[-1]
    where = format_path((*label, *path))
    if isinstance(last, int) and isinstance(parent, list) and last < len(parent):
        return parent.pop(last)
    if isinstance(last, str) and isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    raise usage_error(f"--unset {where}: no such key in the config")


def _step(node: Any, part: str | int, *, create: bool, label: DocPath) -> Any:
    if isinstance(part, int):
        if isinstance(node, list) and part < len(node):
            return node[part]
        raise usage_error(f"--set {format_path(label)}: there is no such list item")
    if not isinstance(node, dict):
        raise usage_error(f"--set {format_path(label)}: the parent is not a mapping")
    if part not in node or node[part] is None:
        if not create:
            raise usage_error(f"--set {format_path(label)}: there is no such list")
        node[part] = {}
    return node[part]
