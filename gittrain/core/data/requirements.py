"""A recipe's data requirements against what the lockfile records: columns, format, samples.

Nothing is read, hashed or counted here: the lockfile already says each dataset's
format, sample count and column types, and that is all this compares.  A dataset
that is not locked is the data check's (`check-data`) finding, not this one's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.core.problems import Severity
from gittrain.core.recipes import DataRequirements
from gittrain.core.rules import Finding, severity

RULE = "data-requirements"
# Fields a column of {role, content} messages stands for (TRL's conversational
# `messages` and `prompt`); no other alias is assumed.
CHAT_FIELDS = frozenset({"messages", "prompt"})
# Roles checked when the recipe names none: train, training, train_math, train-2, ...
_TRAINING_ROLE = re.compile(r"train(?:ing)?(?:[_.-].*)?\Z")
# pyarrow's spelling of a list of structs: list<element: struct<content: string, role: string>>
_ARROW_LIST = re.compile(r"(?:large_)?list<[^:<>]+: struct<(.*)>>\Z")


def checked_roles(datasets: Mapping[str, str], reqs: DataRequirements) -> list[str]:
    """The job's roles the recipe's requirements apply to: its training data by default."""
    if reqs.roles:
        return [role for role in datasets if role in reqs.roles]
    return [role for role in datasets if _TRAINING_ROLE.match(role)]


def check(
    datasets: Mapping[str, str],
    recipe_id: str,
    reqs: DataRequirements,
    lock: Lockfile,
    overrides: Mapping[str, str] | None = None,
) -> list[Finding]:
    """One finding per checked dataset reference that misses the requirements (or could not
    be checked), located at ``datasets.ROLE``; ``overrides`` are the settings' rule severities."""
    overrides = overrides or {}
    if overrides.get(RULE) == "off":
        return []
    out = []
    for role in checked_roles(datasets, reqs):
        entry = lock.resolve(datasets[role])
        if entry is None:
            continue  # not locked: `check-data` says so
        for level, message in _entry(entry, recipe_id, reqs):
            final = severity(RULE, level, overrides)
            if final is not None:
                out.append(Finding(("datasets", role), final, message, RULE))
    return out


def _entry(
    entry: DatasetEntry, recipe_id: str, reqs: DataRequirements
) -> Iterator[tuple[Severity, str]]:
    label = f"dataset {entry.name} ({entry.format})"
    # A directory's shards can be in any format; the lockfile does not say which.
    if entry.format != "dir" and reqs.formats and entry.format not in reqs.formats:
        yield (
            Severity.ERROR,
            f"dataset {entry.name} is {entry.format}, which recipe {recipe_id} does not accept "
            f"(formats: {', '.join(reqs.formats)})",
        )
    few = entry.num_samples
    if reqs.min_samples is not None and few is not None and few < reqs.min_samples:
        yield (
            Severity.ERROR,
            f"{label} has {few} samples; recipe {recipe_id} requires at least {reqs.min_samples}",
        )
    if not reqs.required_fields:
        return
    if not entry.columns:
        fields = ", ".join(reqs.required_fields)
        yield (
            Severity.WARNING,
            f"{label} has no columns recorded in the lockfile; recipe {recipe_id}'s required "
            f"fields ({fields}) were not checked",
        )
        return
    yield from _fields(entry, label, recipe_id, reqs.required_fields)


def _fields(
    entry: DatasetEntry, label: str, recipe_id: str, required: tuple[str, ...]
) -> Iterator[tuple[Severity, str]]:
    columns = entry.columns
    chat = [name for name, kind in columns.items() if is_chat(kind)]
    missing = [f for f in required if f not in columns and not (f in CHAT_FIELDS and chat)]
    if not missing:
        return
    names = ", ".join(repr(f) for f in missing)
    noun = "column" if len(missing) == 1 else "columns"
    listed = ", ".join(columns)
    message = f"{label} has no {noun} {names} that recipe {recipe_id} requires (columns: {listed})"
    # A bare `array` was recorded by a gittrain that did not yet name list elements:
    # it may be chat data, and calling it missing could be a false error.
    unknown = [name for name, kind in columns.items() if "array" in _alternatives(kind)]
    if unknown and CHAT_FIELDS.issuperset(missing):
        yield (
            Severity.WARNING,
            f"{message}, unless {unknown[0]!r} holds chat messages: its type was recorded "
            f"without its elements; `git train data add {entry.path} --name {entry.name}` "
            "records them",
        )
        return
    yield Severity.ERROR, message


def is_chat(kind: str) -> bool:
    """Whether a recorded column type is a list of ``{role, content}`` messages.

    JSON formats record ``array<message>``; Parquet records pyarrow's type, a list of
    structs with ``role`` and ``content`` fields.  A ``null`` alternative is allowed.
    """
    alternatives = [k for k in _alternatives(kind) if k != "null"]
    return bool(alternatives) and all(_chat_type(k) for k in alternatives)


def _chat_type(kind: str) -> bool:
    if kind == "array<message>":
        return True
    found = _ARROW_LIST.match(kind)
    return found is not None and {"role", "content"} <= set(_struct_fields(found.group(1)))


def _alternatives(kind: str) -> list[str]:
    """``array<integer|string>|null`` -> ``array<integer|string>``, ``null``."""
    return [part.strip() for part in _split(kind, "|")]


def _struct_fields(body: str) -> list[str]:
    """Top-level field names of ``content: string, role: string`` (nested <> skipped)."""
    return [part.split(":", 1)[0].strip() for part in _split(body, ",")]


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside angle brackets."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
