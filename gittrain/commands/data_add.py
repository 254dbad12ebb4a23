"""`git train data add`: snapshot a file or directory into the lockfile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.data import counting, lockfile, lockstore
from gittrain.core.data.datapaths import check_relpath
from gittrain.core.data.hashing import Progress
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.core.data.snapshot import snapshot, to_entry
from gittrain.core.data.statcache import StatCache
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class AddResult:
    entry: DatasetEntry
    created: bool  # a new name
    changed: bool  # the lockfile's entry differs from before


def default_name(path: str) -> str:
    """``data/gsm8k_train.jsonl`` -> ``gsm8k_train``; a directory keeps its own name."""
    last = path.rsplit("/", 1)[-1]
    if counting.detect_format(last) is not None:
        return last.rsplit(".", 1)[0]
    return last


def add(
    root: Path,
    path: str,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: tuple[str, ...] | None = None,
    progress: Progress | None = None,
) -> AddResult:
    """Hash and count ``path`` (outside the lock), then record it (inside the lock)."""
    rel = check_relpath(path)
    try:
        dataset = lockfile.check_name(name or default_name(rel))
    except GittrainError as exc:
        hint = "" if name else "; choose one with --name"
        raise GittrainError(exc.message + hint) from None
    lock_rel = settings.load(root).lockfile
    lockstore.read(root, lock_rel)  # refuse a broken lockfile before the long hash
    cache = StatCache.load(gitrepo.git_dir(root))
    snap = snapshot(root, rel, cache, progress)
    outcome: list[AddResult] = []

    def change(current: Lockfile) -> Lockfile:
        other = current.by_path(snap.fingerprint.path)
        if other is not None and other.name != dataset:
            raise GittrainError(
                f"{rel}: already locked as {other.name!r}; use --name {other.name} to update it"
            )
        old = current.get(dataset)
        entry = to_entry(dataset, snap, old, description=description, tags=tags)
        outcome.append(AddResult(entry, old is None, old != entry))
        return current.with_entry(entry)

    lockstore.modify(root, lock_rel, change)
    cache.save()
    return outcome[0]
