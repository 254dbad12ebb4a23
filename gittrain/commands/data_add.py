"""`git train data add`: snapshot a file, a directory or a remote URL into the lockfile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.data import formats, lockfile, lockstore
from gittrain.core.data.datapaths import check_relpath, hub_dataset
from gittrain.core.data.hashing import Progress
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.core.data.snapshot import snapshot, to_entry
from gittrain.core.data.statcache import StatCache
from gittrain.errors import GittrainError, usage_error

if TYPE_CHECKING:
    from gittrain.adapters.remote.urls import RemoteURL


@dataclass(frozen=True, slots=True)
class AddResult:
    entry: DatasetEntry
    created: bool  # a new name
    changed: bool  # the lockfile's entry differs from before
    uncounted: tuple[str, ...] = ()  # remote formats whose samples need --hash
    notes: tuple[str, ...] = ()  # how remote objects had to be read


def default_name(path: str) -> str:
    """``data/gsm8k_train.jsonl`` -> ``gsm8k_train``; a directory keeps its own name."""
    last = path.rsplit("/", 1)[-1]
    if formats.detect_format(last) is not None:
        return last.rsplit(".", 1)[0]
    return last


def _refuse_derived_clash(current: Lockfile, dataset: str, where: str, named: bool) -> None:
    """A name derived from ``where`` that is locked for another place: refuse, unless the
    user chose the name, so ``data/t.json`` never silently replaces ``data/t.csv``."""
    old = current.get(dataset)
    if named or old is None or old.path == where:
        return
    if old.is_remote and lockfile.remote_key(old.path) == lockfile.remote_key(where):
        return  # the same place spelled another way (a trailing ``/``)
    raise GittrainError(
        f"{where}: the name {dataset!r} is already locked for {old.path}; choose another "
        f"with --name, or use --name {dataset} to point it here"
    )


def remote_target(text: str, cwd: Path) -> RemoteURL | None:
    """The remote dataset ``text`` names: a URL, or a bare Hub id ``ORG/NAME[@REV]`` when
    nothing local has that name (no such path, no directory ``ORG``, no data suffix)."""
    from gittrain.adapters.remote import urls

    try:
        url = urls.parse(text)
    except urls.URLError as exc:
        raise usage_error(str(exc)) from None
    if url is not None:
        return url
    return hub_dataset(text, cwd)


def _check_name(name: str | None, default: str) -> str:
    try:
        return lockfile.check_name(name or default)
    except GittrainError as exc:
        hint = "" if name else "; choose one with --name"
        raise GittrainError(exc.message + hint) from None


def add_remote(
    root: Path,
    url: RemoteURL,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: tuple[str, ...] | None = None,
    hash: bool = False,
    executor: str = "local",
    progress: Progress | None = None,
    listed: Callable[[int], None] | None = None,
) -> AddResult:
    """List and read ``url`` (outside the lock), then record it (inside the lock).

    Nothing is stored locally; a failure anywhere leaves the lockfile untouched.
    """
    from gittrain.core.data import remote
    from gittrain.core.data.executor import executor_for

    dataset = _check_name(name, default_name(url.name()))
    lock_rel = settings.load(root).lockfile
    # Refuse a broken lockfile, or a derived name taken elsewhere, before the long read.
    _refuse_derived_clash(lockstore.read(root, lock_rel), dataset, url.text, name is not None)
    pool = executor_for(executor)
    try:
        snap = remote.snapshot_remote(
            url, hash=hash, executor=pool, progress=progress, listed=listed
        )
    finally:
        pool.close()
    outcome: list[AddResult] = []

    def change(current: Lockfile) -> Lockfile:
        other = current.by_path(snap.url.text)
        if other is not None and other.name != dataset:
            raise GittrainError(
                f"{snap.url.text}: already locked as {other.name!r}; "
                f"use --name {other.name} to update it"
            )
        _refuse_derived_clash(current, dataset, snap.url.text, name is not None)
        old = current.get(dataset)
        entry = remote.to_entry(dataset, snap, old, description=description, tags=tags)
        uncounted = snap.uncounted if entry.num_samples is None else ()
        outcome.append(AddResult(entry, old is None, old != entry, uncounted, snap.notes))
        return current.with_entry(entry)

    lockstore.modify(root, lock_rel, change)
    return outcome[0]


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
    dataset = _check_name(name, default_name(rel))
    lock_rel = settings.load(root).lockfile
    # Refuse a broken lockfile, or a derived name taken elsewhere, before the long hash.
    _refuse_derived_clash(lockstore.read(root, lock_rel), dataset, rel, name is not None)
    cache = StatCache.load(gitrepo.git_dir(root))
    snap = snapshot(root, rel, cache, progress)
    outcome: list[AddResult] = []

    def change(current: Lockfile) -> Lockfile:
        other = current.by_path(snap.fingerprint.path)
        if other is not None and other.name != dataset:
            raise GittrainError(
                f"{rel}: already locked as {other.name!r}; use --name {other.name} to update it"
            )
        _refuse_derived_clash(current, dataset, snap.fingerprint.path, name is not None)
        old = current.get(dataset)
        entry = to_entry(dataset, snap, old, description=description, tags=tags)
        outcome.append(AddResult(entry, old is None, old != entry))
        return current.with_entry(entry)

    lockstore.modify(root, lock_rel, change)
    cache.save()
    return outcome[0]
