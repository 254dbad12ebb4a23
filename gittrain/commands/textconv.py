"""`git train textconv FILE`: a config as one ``path = value  # tier`` line per leaf, for git."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gittrain.core.diff import ItemKey, format_path, identity_field
from gittrain.core.diff import Path as DiffPath
from gittrain.core.importance import Policy, Tier


def settings_policy(top: Path) -> Policy:
    """The rules for the repository at ``top``; the shipped ones if its settings are broken.

    git runs textconv at the top of the work tree, so ``top`` is the current
    directory there; asking git would cost a subprocess per file.
    """
    from gittrain.adapters import yamlio
    from gittrain.core import importance
    from gittrain.core.settings import SETTINGS_FILE
    from gittrain.errors import GittrainError

    path = top / SETTINGS_FILE
    try:
        doc = yamlio.load_file(path, SETTINGS_FILE) if path.is_file() else None
        return importance.load(doc)
    except GittrainError:
        return importance.defaults()  # a broken .gittrain.yaml must not break `git diff`


@dataclass(frozen=True, slots=True)
class Textconv:
    """What to print: canonical text, or the file's own bytes when it is not a config."""

    text: str | None
    raw: bytes


def textconv(file: Path, policy: Policy, *, raw: bytes | None = None) -> Textconv:
    """Never fails on content: anything unparsable comes back as its raw bytes."""
    from gittrain.adapters import yamlio

    if raw is None:
        raw = file.read_bytes()
    if b"\0" in raw:
        return Textconv(None, raw)
    try:
        doc = yamlio.load_bytes(raw, str(file), expect_mapping=False)
    except Exception:  # GittrainError, and even a parser bug, must not make `git diff` fail
        return Textconv(None, raw)
    lines = [_line(path, value, policy) for path, value in canonical_leaves(doc.data, (), policy)]
    return Textconv("".join(lines), raw)


def canonical_leaves(
    value: object, path: DiffPath, policy: Policy
) -> Iterator[tuple[DiffPath, object]]:
    """Leaves in document order; list items with an identity are named by it."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from canonical_leaves(item, (*path, key), policy)
    elif isinstance(value, list) and value:
        field = identity_field(value, [], policy.identity_keys)
        for index, item in enumerate(value):
            part: str | int | ItemKey = index
            if field is not None:
                assert isinstance(item, dict)
                part = ItemKey(field, item[field], index)
            yield from canonical_leaves(item, (*path, part), policy)
    else:
        yield path, value


def _line(path: DiffPath, value: object, policy: Policy) -> str:
    tier, _rule = policy.classify(path)
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    note = "" if tier in (Tier.NORMAL, Tier.OFF) else f"  # {tier.value}"
    return f"{format_path(path)} = {text}{note}\n"
