"""Three-way merge of lockfiles by dataset name (the `merge-lock` driver's logic)."""

from __future__ import annotations

from dataclasses import dataclass

from gittrain.core.data import lockfile
from gittrain.core.data.lockfile import DatasetEntry, Lockfile


@dataclass(frozen=True, slots=True)
class Conflict:
    """Both sides changed ``name`` differently; ``None`` on a side means it removed it."""

    name: str
    ours: DatasetEntry | None
    theirs: DatasetEntry | None


@dataclass(frozen=True, slots=True)
class Merged:
    lock: Lockfile
    conflicts: tuple[Conflict, ...]


def merge(base: Lockfile, ours: Lockfile, theirs: Lockfile) -> Merged:
    """Union by name: a side's change wins over no change; equal changes agree.

    Equal means equal content: when each side locked the same bytes, the times they
    did so differ, and timestamps are not content.
    """
    result: dict[str, DatasetEntry] = {}
    conflicts: list[Conflict] = []
    for name in sorted({*base.datasets, *ours.datasets, *theirs.datasets}):
        b, o, t = base.get(name), ours.get(name), theirs.get(name)
        if _same(o, t):
            pick = _earliest(o, t)
        elif _same(o, b):
            pick = t
        elif _same(t, b):
            pick = o
        else:
            conflicts.append(Conflict(name, o, t))
            pick = o
        if pick is not None:
            result[name] = pick
    return Merged(Lockfile(result), tuple(conflicts))


def render_with_conflicts(merged: Merged) -> str:
    """The merged file; each conflicting dataset is written as a marked hunk so the
    parser refuses the file until a person picks a side."""
    if not merged.conflicts:
        return lockfile.render(merged.lock)
    conflicted = {c.name: c for c in merged.conflicts}
    names = sorted({*merged.lock.datasets, *conflicted})
    parts = [lockfile.HEADER, f"version: {merged.lock.version}\n", "datasets:\n"]
    for name in names:
        conflict = conflicted.get(name)
        if conflict is None:
            parts.append(lockfile.render_entry(merged.lock.datasets[name]))
            continue
        parts.append("<<<<<<< ours\n")
        parts.append(lockfile.render_entry(conflict.ours) if conflict.ours else "")
        parts.append("=======\n")
        parts.append(lockfile.render_entry(conflict.theirs) if conflict.theirs else "")
        parts.append(">>>>>>> theirs\n")
    return "".join(parts)


def _content(entry: DatasetEntry) -> DatasetEntry:
    return entry._replace(created_at="", modified_at="")


def _same(a: DatasetEntry | None, b: DatasetEntry | None) -> bool:
    if a is None or b is None:
        return a is b
    return _content(a) == _content(b)


def _earliest(a: DatasetEntry | None, b: DatasetEntry | None) -> DatasetEntry | None:
    """One of two same-content entries, the same whichever side is ours."""
    if a is None or b is None:
        return a
    return min(a, b, key=lambda e: (e.created_at, e.modified_at))
