"""One file's semantic diff: parse both sides, rate each change, add derived and dataset lines."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from gittrain.core.diff import MISSING, Change, ChangeKind, diff, is_number, leaf_changes
from gittrain.core.importance import Policy, Tier, factors, touches_batch
from gittrain.errors import GittrainError

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


class FileStatus(enum.Enum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"


class FileKind(enum.Enum):
    RECIPE = "recipe"
    JOB = "job"
    LOCKFILE = "lockfile"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class RatedChange:
    """A leaf change with the tier its rule gave it."""

    change: Change
    tier: Tier
    idea: str = ""


@dataclass(frozen=True, slots=True)
class DerivedChange:
    """A quantity computed from several keys, e.g. the effective global batch."""

    name: str
    old: float | None
    new: float | None
    tier: Tier = Tier.CRITICAL

    @property
    def ratio(self) -> float | None:
        if self.old and self.new is not None:
            return self.new / self.old
        return None


@dataclass(frozen=True, slots=True)
class DatasetChange:
    """One dataset entry of the lockfile that appeared, vanished or changed."""

    name: str
    kind: ChangeKind
    fields: tuple[Change, ...]  # paths relative to the dataset entry


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a file: its path (None when absent) and raw bytes, or None when absent."""

    path: str | None
    raw: bytes | None
    source: str  # the name used in messages, e.g. "HEAD~1:jobs/a.yaml"
    error: str | None = None  # the side exists but could not be read


@dataclass(frozen=True, slots=True)
class FileDiff:
    status: FileStatus
    old_path: str | None
    new_path: str | None
    kind: FileKind
    changes: tuple[RatedChange, ...] = ()
    derived: tuple[DerivedChange, ...] = ()
    datasets: tuple[DatasetChange, ...] = ()
    error: str | None = None

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def is_config_path(path: str, lockfile: str) -> bool:
    return path == lockfile or path.lower().endswith(CONFIG_SUFFIXES)


def kind_of(path: str, *, recipes_dir: str, jobs_dir: str, lockfile: str) -> FileKind:
    if path == lockfile:
        return FileKind.LOCKFILE
    if path.startswith(jobs_dir + "/"):
        return FileKind.JOB
    if path.startswith(recipes_dir + "/"):
        return FileKind.RECIPE
    return FileKind.CONFIG


def parse(side: Side) -> object:
    """The side's data, ``MISSING`` when absent; a :class:`GittrainError` when unreadable."""
    if side.error is not None:
        raise GittrainError(side.error)
    if side.raw is None:
        return MISSING
    if b"\0" in side.raw:
        raise GittrainError(f"{side.source}: binary file, not YAML or JSON")
    from gittrain.adapters import yamlio

    return yamlio.load_bytes(side.raw, side.source, expect_mapping=False).data


def compare(
    old: Side, new: Side, *, status: FileStatus, kind: FileKind, policy: Policy
) -> FileDiff:
    """The rated diff of two sides of one file; parse failures become ``error``."""
    errors: list[str] = []
    data: list[object] = []
    for side in (old, new):
        try:
            data.append(parse(side))
        except GittrainError as exc:
            errors.append(exc.message)
    if errors:
        return FileDiff(status, old.path, new.path, kind, error="; ".join(errors))
    datasets: tuple[DatasetChange, ...] = ()
    if kind is FileKind.LOCKFILE:
        # A lockfile that appears or vanishes still reads as datasets added or removed.
        sides = [{"datasets": {}} if d is MISSING else d for d in data]
        datasets, changes = _split_datasets(diff(sides[0], sides[1], identity_keys=()))
    else:
        changes = diff(data[0], data[1], identity_keys=policy.identity_keys)
    rated = tuple(rate(changes, policy))
    derived = _derived(data[0], data[1], rated, policy)
    return FileDiff(status, old.path, new.path, kind, rated, derived, datasets)


def rate(changes: Sequence[Change], policy: Policy) -> list[RatedChange]:
    """Leaf changes with their tiers; changes silenced with ``off`` are dropped."""
    out = []
    for change in leaf_changes(changes):
        tier, rule = policy.classify(change.path)
        if tier is not Tier.OFF:
            out.append(RatedChange(change, tier, rule.idea if rule else ""))
    return out


def _derived(
    old: object, new: object, rated: Sequence[RatedChange], policy: Policy
) -> tuple[DerivedChange, ...]:
    if not touches_batch([r.change.path for r in rated], policy.derived):
        return ()
    before = factors(old, policy.derived).global_batch if old is not MISSING else None
    after = factors(new, policy.derived).global_batch if new is not MISSING else None
    if before is None and after is None:
        return ()
    return (DerivedChange("effective global batch", before, after),)


def _split_datasets(
    changes: Sequence[Change],
) -> tuple[tuple[DatasetChange, ...], tuple[Change, ...]]:
    """Lockfile changes under ``datasets.NAME`` grouped per dataset; the rest left as they are."""
    grouped: dict[str, list[Change]] = {}
    whole: dict[str, ChangeKind] = {}
    rest: list[Change] = []
    for change in changes:
        path = change.path
        if len(path) >= 2 and path[0] == "datasets" and isinstance(path[1], str):
            name = path[1]
            if len(path) == 2 and change.kind in (ChangeKind.ADDED, ChangeKind.REMOVED):
                whole[name] = change.kind
            relative = Change(change.kind, path[2:], change.old, change.new)
            grouped.setdefault(name, []).extend(
                leaf_changes([relative]) if len(path) > 2 else _entry_fields(change)
            )
        else:
            rest.append(change)
    datasets = tuple(
        DatasetChange(name, whole.get(name, ChangeKind.MODIFIED), tuple(fields))
        for name, fields in grouped.items()
    )
    return datasets, tuple(rest)


def _entry_fields(change: Change) -> list[Change]:
    # A whole entry appeared or vanished: list its fields so the summary can
    # say which file, hash and size it was.
    value = change.new if change.kind is ChangeKind.ADDED else change.old
    if not isinstance(value, dict):
        return [Change(change.kind, (), change.old, change.new)]
    return list(leaf_changes([Change(change.kind, (), change.old, change.new)]))


def format_number(value: float | None) -> str:
    """``2048`` for integral floats, ``1e-06`` style otherwise."""
    if value is None:
        return "n/a"
    if is_number(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
