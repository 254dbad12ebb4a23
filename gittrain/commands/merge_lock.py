"""`git train merge-lock %O %A %B`: git's merge driver for the lockfile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.core.atomic import atomic_write
from gittrain.core.data import lockmerge, lockstore
from gittrain.core.data.lockfile import Lockfile
from gittrain.errors import usage_error


@dataclass(frozen=True, slots=True)
class MergeLockResult:
    conflicts: tuple[str, ...]  # dataset names both sides changed differently


def merge_lock(base: Path, ours: Path, theirs: Path) -> MergeLockResult:
    """Union the three versions by dataset name and write the result to ``ours``.

    If any version does not parse (or has a version this gittrain does not
    know), ``ours`` is left untouched and the error propagates: git then
    reports a conflict.
    """
    sides = [
        _read(path, label) for path, label in ((base, "base"), (ours, "ours"), (theirs, "theirs"))
    ]
    merged = lockmerge.merge(*sides)
    try:
        atomic_write(ours, lockmerge.render_with_conflicts(merged).encode("utf-8"))
    except OSError as exc:
        raise usage_error(f"{ours}: cannot write the merged lockfile: {exc.strerror}") from None
    return MergeLockResult(tuple(c.name for c in merged.conflicts))


def _read(path: Path, label: str) -> Lockfile:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        # git always passes three existing files (an empty one for a missing side).
        raise usage_error(f"{path}: no such file ({label} version of the lockfile)") from None
    except OSError as exc:
        raise usage_error(f"{path}: cannot read: {exc.strerror}") from None
    return lockstore.parse_bytes(raw, f"gittrain.lock ({label})")
