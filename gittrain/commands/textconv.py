"""`git train textconv FILE`: a config as one ``path = value  # tier`` line per leaf, for git.

git runs this once per file shown, so the module keeps its imports to what the
conversion needs (no dataclasses, pathlib or settings record): see BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from gittrain.core.diff import ItemKey, format_path, identity_field
from gittrain.core.diff import Path as DiffPath
from gittrain.core.importance import Policy, Tier

if TYPE_CHECKING:
    from gittrain.core.dialects.vocabulary import Dialect

# gittrain.core.settings.SETTINGS_FILE; not imported from there, which would load the
# settings record and its imports on every textconv run (a test keeps them equal).
SETTINGS_FILE = ".gittrain.yaml"


def settings_policy(top: str | os.PathLike[str]) -> Policy:
    """The rules for the repository at ``top``; the shipped ones if its settings are broken.

    git runs textconv at the top of the work tree, so ``top`` is the current
    directory there; asking git would cost a subprocess per file.
    """
    return settings_rules(top)[0]


def settings_rules(top: str | os.PathLike[str]) -> tuple[Policy, object]:
    """:func:`settings_policy`, and the parsed settings it came from (None: the shipped rules).

    The second is what ``textconvkey.fingerprint`` reads, so the fingerprint names
    exactly the rules the conversion used.
    """
    from gittrain.core import importance
    from gittrain.errors import GittrainError

    path = os.path.join(top, SETTINGS_FILE)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:  # no settings file (or an unreadable one): the shipped rules
        return importance.defaults(), None
    from gittrain.adapters import yamlio

    try:
        doc = yamlio.load_bytes(raw, SETTINGS_FILE)
        return importance.load(doc), doc.data
    except GittrainError:
        return importance.defaults(), None  # a broken .gittrain.yaml must not break `git diff`


class Textconv(NamedTuple):
    """What to print: canonical text, or the file's own bytes when it is not a config."""

    text: str | None
    raw: bytes


def textconv(file: str | os.PathLike[str], policy: Policy, *, raw: bytes | None = None) -> Textconv:
    """Never fails on content: anything unparsable comes back as its raw bytes."""
    if raw is None:
        with open(file, "rb") as handle:
            raw = handle.read()
    if b"\0" in raw:
        return Textconv(None, raw)
    from gittrain.core.dialects.config import read_detected
    from gittrain.core.dialects.vocabulary import GENERIC, GITTRAIN, Effective

    try:
        eff = Effective(policy.vocabulary, policy.dialect_paths)
        doc, detection = read_detected(raw, os.fspath(file), eff, expect_mapping=False)
    except Exception:  # GittrainError, and even a parser bug, must not make `git diff` fail
        return Textconv(None, raw)
    data = doc.data
    dialect = detection.dialect
    if dialect.name == GENERIC and _own(data):
        dialect = policy.vocabulary.get(GITTRAIN)  # git names a temporary file: go by content
    lines = [
        _line(path, value, policy, dialect) for path, value in canonical_leaves(data, (), policy)
    ]
    return Textconv("".join(lines), raw)


def _own(data: object) -> bool:
    """A gittrain job or recipe, by its keys (the same test ``validation.classify`` makes)."""
    if not isinstance(data, dict):
        return False
    return "default_config" in data or ("config" in data and ("recipe" in data or "result" in data))


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


def _line(path: DiffPath, value: object, policy: Policy, dialect: Dialect) -> str:
    tier, _rule = policy.classify(path, dialect)
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    note = "" if tier in (Tier.NORMAL, Tier.OFF) else f"  # {tier.value}"
    return f"{format_path(path)} = {text}{note}\n"
