"""Editing YAML text in place: set values and add keys so comments and key order survive.

Each edit re-parses the text with span recording (files are small), changes
only the characters of one value, and the caller's whole change set is
verified by parsing the result and comparing it with the intended data.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from gittrain.adapters import yamlio
from gittrain.adapters.yamlio import Span
from gittrain.core.edits import Assignment, set_path
from gittrain.document import DocPath, Document, format_path, identical
from gittrain.errors import GittrainError


def edit(text: str, source: str, assignments: Sequence[Assignment]) -> str:
    """``text`` with every assignment applied (mapping keys only; parents are created).

    Raises ``GittrainError`` naming ``source`` when the text does not parse, a
    parent is not a mapping, or the edited text would not read back as intended.
    """
    doc, _ = yamlio.load_spans(text, source)
    assert isinstance(doc.data, dict)
    expected: dict[str, Any] = copy.deepcopy(doc.data)
    for assignment in assignments:
        set_path(expected, assignment.path, assignment.value)
        text = set_value(text, source, assignment.path, assignment.value)
    try:
        after = yamlio.load_text(text, source).data
    except GittrainError as exc:
        raise GittrainError(f"{source}: editing would break the file ({exc.detail})") from None
    if not identical(after, expected):
        raise GittrainError(f"{source}: the edited file would not read back as intended")
    return text


def set_value(text: str, source: str, path: DocPath, value: object) -> str:
    """Set one mapping key: replace its value's text, or insert it into its block mapping."""
    doc, spans = yamlio.load_spans(text, source)
    newline = "\r\n" if "\r\n" in text else "\n"
    if path in spans:
        return _replace(text, doc, spans, path=path, value=value, newline=newline)
    # The nearest existing ancestor gets the missing part as one nested value.
    depth = len(path) - 1
    while depth > 0 and path[:depth] not in spans:
        depth -= 1
    parent = path[:depth]
    nested: object = value
    for key in reversed(path[depth + 1 :]):
        nested = {key: nested}
    key = path[depth]
    if not isinstance(key, str):
        raise GittrainError(f"{doc.where(parent)}: cannot add list item {format_path(path)}")
    node = _get(doc.data, parent)
    if node is None and parent:  # `result:` left empty: it becomes the mapping
        return _replace(text, doc, spans, path=parent, value={key: nested}, newline=newline)
    if not isinstance(node, dict):
        where = doc.where(parent)
        raise GittrainError(f"{where}: {format_path(parent)} is not a mapping")
    if spans[parent].flow or not node:
        whole = {**node, key: nested}
        return _replace(text, doc, spans, path=parent, value=whole, newline=newline)
    return _insert(text, doc, spans, parent=parent, key=key, value=nested, newline=newline)


def _replace(
    text: str,
    doc: Document,
    spans: dict[DocPath, Span],
    *,
    path: DocPath,
    value: object,
    newline: str,
) -> str:
    span = spans[path]
    is_collection = isinstance(value, (dict, list)) and bool(value)
    if not is_collection:
        # A block scalar (``|``) owns its final line break; the replacement keeps one.
        tail = newline if text[span.start : span.end].endswith("\n") else ""
        return text[: span.start] + yamlio.scalar_text(value) + tail + text[span.end :]
    parent = spans.get(path[:-1])
    in_block_mapping = (
        bool(path) and isinstance(path[-1], str) and parent is not None and not parent.flow
    )
    if span.flow or not in_block_mapping:  # a flow value stays flow: the author chose it
        return text[: span.start] + yamlio.flow_text(value) + text[span.end :]
    # A block-mapping entry becomes a block again: "key:" then the value on its own lines.
    mark = doc.marks[path]
    indent = " " * (mark.column - 1 + 2)
    block = _block(value, indent, newline)
    end = _line_end(text, span.end)
    if span.collection and not span.flow:
        key_line_end = text.index("\n", _offset(text, mark.line, mark.column)) + 1
        return text[:key_line_end] + block + text[end:]
    start = span.start
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    rest = text[span.end : end].rstrip("\r\n")
    if rest.strip() and not rest.lstrip().startswith("#"):
        return text[: span.start] + yamlio.flow_text(value) + text[span.end :]
    # A comment after a flow value stays on the key's line.
    comment = rest if rest.strip() else ""
    return text[:start] + comment + newline + block + text[end:]


def remove(text: str, source: str, path: DocPath) -> str:
    """``text`` without the mapping key ``path`` (its lines, or its part of a flow mapping)."""
    doc, spans = yamlio.load_spans(text, source)
    parent = path[:-1]
    node = _get(doc.data, parent) if parent in spans or not parent else None
    if path not in spans or not isinstance(node, dict):
        raise GittrainError(f"{source}: {format_path(path)}: no such key")
    rest = {k: v for k, v in node.items() if k != path[-1]}
    newline = "\r\n" if "\r\n" in text else "\n"
    if spans[parent].flow or not rest:
        return _replace(text, doc, spans, path=parent, value=rest, newline=newline)
    mark = doc.marks[path]
    start = _offset(text, mark.line, 1)
    return text[:start] + text[_line_end(text, spans[path].end) :]


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based line and column."""
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos + column - 1


def _insert(
    text: str,
    doc: Document,
    spans: dict[DocPath, Span],
    *,
    parent: DocPath,
    key: str,
    value: object,
    newline: str,
) -> str:
    node = _get(doc.data, parent)
    assert isinstance(node, dict)
    first_key: DocPath = (*parent, next(iter(node)))
    first = doc.marks[first_key]
    indent = " " * (first.column - 1)
    last: DocPath = (*parent, list(node)[-1])
    at = _line_end(text, spans[last].end)
    entry = _block({key: value}, indent, newline)
    if at == len(text) and not text.endswith("\n"):
        return text + newline + entry
    return text[:at] + entry + text[at:]


def _block(value: object, indent: str, newline: str) -> str:
    lines = yamlio.dump(value).splitlines()
    return "".join(f"{indent}{line}{newline}" for line in lines)


def _line_end(text: str, end: int) -> int:
    """The offset just past the line on which a value ending at ``end`` ends."""
    if end > 0 and text[end - 1] == "\n":
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _get(data: object, path: DocPath) -> object:
    node = data
    for part in path:
        node = node[part]  # type: ignore[index]
    return node
