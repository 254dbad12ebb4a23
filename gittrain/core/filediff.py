"""One file's semantic diff: parse both sides, rate each change, add derived and dataset lines."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from gittrain.core.dialects.vocabulary import Dialect
from gittrain.core.diff import MISSING, Change, ChangeKind, diff, is_number, leaf_changes
from gittrain.core.importance import Policy, Tier
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    # Not at run time: the prepare-commit-msg hook names added and deleted files
    # without reading them, and the rules module is not needed for that.
    from gittrain.core.dialects.view import View

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


# Records here are NamedTuples, not dataclasses, as in the diff engine: prepare-commit-msg
# imports this module on every commit (see gittrain/document.py).
class RatedChange(NamedTuple):
    """A leaf change with the tier its rule gave it."""

    change: Change
    tier: Tier
    idea: str = ""


class DerivedChange(NamedTuple):
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


class DatasetChange(NamedTuple):
    """One dataset entry of the lockfile that appeared, vanished or changed."""

    name: str
    kind: ChangeKind
    fields: tuple[Change, ...]  # paths relative to the dataset entry


class Contents(NamedTuple):
    """What an added or deleted file holds, in brief: its size and its critical values.

    A new config is one change, not one critical change per key, so the
    output summarises it with this instead of listing its keys.
    """

    keys: int
    critical: tuple[tuple[str, object], ...]  # (idea, value) in the vocabulary's order


# An added or deleted file is one change at this tier: worth a reviewer's look,
# but it alters no existing run, so `--fail-on critical` does not trip on it.
FILE_TIER = Tier.IMPORTANT


class Side(NamedTuple):
    """One side of a file: its path (None when absent) and raw bytes, or None when absent."""

    path: str | None
    raw: bytes | None
    source: str  # the name used in messages, e.g. "HEAD~1:jobs/a.yaml"
    error: str | None = None  # the side exists but could not be read


class FileDiff(NamedTuple):
    status: FileStatus
    old_path: str | None
    new_path: str | None
    kind: FileKind
    changes: tuple[RatedChange, ...] = ()
    derived: tuple[DerivedChange, ...] = ()
    datasets: tuple[DatasetChange, ...] = ()
    error: str | None = None
    dialect: str | None = None  # the dialect the file was read in (None for the lockfile)
    contents: Contents | None = None  # for an added or deleted file (not the lockfile)

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


class Read(NamedTuple):
    """One side read in its dialect: the data (``MISSING`` when absent) and its view."""

    data: object
    view: View | None = None
    dialect: Dialect | None = None
    # Where a framework job's config sits in the file: its keys are rated below it.
    base: tuple[str, ...] = ()


def parse(side: Side) -> object:
    """The side's data read strictly, ``MISSING`` when absent; a :class:`GittrainError` when not."""
    return read_side(side, FileKind.LOCKFILE, None).data


def read_side(side: Side, kind: FileKind, policy: Policy | None) -> Read:
    """The side's data and canonical view, read the way its dialect's framework reads it."""
    if side.error is not None:
        raise GittrainError(side.error)
    if side.raw is None:
        return Read(MISSING)
    if b"\0" in side.raw:
        raise GittrainError(f"{side.source}: binary file, not YAML or JSON")
    if kind is FileKind.CONFIG and policy is not None:
        from gittrain.core.dialects.config import read_native
        from gittrain.core.dialects.vocabulary import Effective

        eff = Effective(policy.vocabulary, policy.dialect_paths)
        read = read_native(
            side.raw, side.path or side.source, eff, source=side.source, expect_mapping=False
        )
        return Read(read.doc.data, read.view, read.detection.dialect)
    from gittrain.core import doccache

    doc = doccache.load_bytes(side.raw, side.source, expect_mapping=False)
    if policy is None or kind not in (FileKind.JOB, FileKind.RECIPE):
        return Read(doc.data)
    from gittrain.core.dialects.config import read_job, read_own
    from gittrain.core.dialects.vocabulary import Effective

    data = doc.data
    eff = Effective(policy.vocabulary, policy.dialect_paths)
    framework = data.get("framework") if isinstance(data, dict) else None
    inline = isinstance(data, dict) and "config_file" not in data
    if kind is FileKind.JOB and inline and framework in policy.vocabulary.framework_names:
        # A job in a trainer's keys (`framework:`): rated in that trainer's dialect.  A
        # config_file job holds no config here; its file is diffed as itself.
        read = read_job(doc, eff)
        return Read(data, read.view, read.detection.dialect, ("config",))
    base = ("config",) if kind is FileKind.JOB else ("default_config",)
    config = data.get(base[0]) if isinstance(data, dict) else None
    read = read_own(doc, eff, config, base, kind.value)
    return Read(data, read.view, read.detection.dialect)


def compare(
    old: Side, new: Side, *, status: FileStatus, kind: FileKind, policy: Policy
) -> FileDiff:
    """The rated diff of two sides of one file; parse failures become ``error``."""
    errors: list[str] = []
    reads: list[Read] = []
    for side in (old, new):
        try:
            reads.append(read_side(side, kind, policy))
        except GittrainError as exc:
            errors.append(exc.message)
    if errors:
        return FileDiff(status, old.path, new.path, kind, error="; ".join(errors))
    data = [r.data for r in reads]
    dialect = reads[1].dialect or reads[0].dialect
    datasets: tuple[DatasetChange, ...] = ()
    if kind is FileKind.LOCKFILE:
        # A lockfile that appears or vanishes still reads as datasets added or removed.
        sides = [{"datasets": {}} if d is MISSING else d for d in data]
        datasets, changes = _split_datasets(diff(sides[0], sides[1], identity_keys=()))
    else:
        changes = diff(data[0], data[1], identity_keys=policy.identity_keys)
    base = reads[1].base or reads[0].base
    rated = tuple(rate(changes, policy, dialect, base=base))
    derived = derived_changes(reads[0].view, reads[1].view)
    name = dialect.name if dialect is not None else None
    contents = None
    if kind is not FileKind.LOCKFILE and status in (FileStatus.ADDED, FileStatus.DELETED):
        contents = summarise(reads[1] if status is FileStatus.ADDED else reads[0], policy)
    return FileDiff(
        status, old.path, new.path, kind, rated, derived, datasets, dialect=name, contents=contents
    )


def summarise(read: Read, policy: Policy) -> Contents:
    """A file's key count and the values of its critical ideas, as its dialect reads them."""
    values = read.view.values if read.view is not None else {}
    critical = tuple(
        (idea.name, values[idea.name].value)
        for idea in policy.vocabulary.ideas.values()
        if idea.tier == Tier.CRITICAL.value and idea.name in values
    )
    return Contents(key_count(read.data), critical)


def key_count(data: object) -> int:
    """Leaf keys: a list of plain values is one key, a list of mappings counts their keys."""
    if isinstance(data, dict):
        return sum(key_count(v) if isinstance(v, (dict, list)) and v else 1 for v in data.values())
    if isinstance(data, list):
        nested = [v for v in data if isinstance(v, (dict, list))]
        return sum(key_count(v) for v in nested) + (1 if len(nested) < len(data) else 0)
    return 0 if data is None or data is MISSING else 1


def rate(
    changes: Sequence[Change],
    policy: Policy,
    dialect: Dialect | None = None,
    *,
    base: tuple[str, ...] = (),
) -> list[RatedChange]:
    """Leaf changes with their tiers; changes silenced with ``off`` are dropped.

    ``base`` is where a framework job's config sits: its keys are rated below it,
    the job's own fields (``model``, ``recipe``) as gittrain rates them.
    """
    out = []
    hydra = dialect is not None and dialect.loader == "omegaconf"
    for change in leaf_changes(changes):
        if hydra and _interpolation(change.old) and _interpolation(change.new):
            # Only a reference was rewritten; what it resolves to is another key's change.
            out.append(RatedChange(change, Tier.NORMAL, "interpolation"))
            continue
        path = change.path
        if base and tuple(path[: len(base)]) == base:
            tier, rule = policy.classify(path[len(base) :], dialect)
        else:
            tier, rule = policy.classify(path, dialect if not base else None)
        if tier is not Tier.OFF:
            out.append(RatedChange(change, tier, rule.idea if rule else ""))
    return out


def _interpolation(value: object) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


# Derived quantities: (name, formula).  Each appears only when its value changes.
def _global_batch(view: View) -> float | None:
    per_device, accumulation, gpus = (
        view.number(i) for i in ("per_device_batch", "accumulation", "num_gpus")
    )
    if per_device is None or gpus is None:
        return None
    return per_device[1] * (accumulation[1] if accumulation else 1) * gpus[1]


def _step_batch(view: View) -> float | None:
    if view.number("num_gpus") is not None:
        return None  # the global batch says it
    per_device, accumulation = view.number("per_device_batch"), view.number("accumulation")
    if per_device is None:
        return None
    return per_device[1] * (accumulation[1] if accumulation else 1)


def _responses(view: View) -> float | None:
    from gittrain.core.rules import RL

    group = view.number("group_size")
    if group is None or view.text("algorithm") not in RL:
        return None
    # verl counts prompts; gittrain's RL recipes count prompts in their global batch.
    prompts = view.number("prompt_batch") or view.number("global_batch")
    count = prompts[1] if prompts is not None else _global_batch(view)
    return None if count is None else count * group[1]


DERIVED = (
    ("global batch (per-device x accumulation x GPUs)", _global_batch),
    ("per-device step batch (per-device x accumulation; GPUs unknown)", _step_batch),
    ("responses per step (prompts x group size)", _responses),
)


def derived_changes(old: View | None, new: View | None) -> tuple[DerivedChange, ...]:
    """Each derived quantity computable on both sides whose value differs.

    An unchanged value is never a change; an added or deleted file has no
    derived lines (its summary says what it holds).
    """
    if old is None or new is None:
        return ()
    out = []
    for name, formula in DERIVED:
        before, after = formula(old), formula(new)
        if before is not None and after is not None and before != after:
            out.append(DerivedChange(name, before, after))
    return tuple(out)


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
