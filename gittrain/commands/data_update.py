"""`git train data update`: re-snapshot locked datasets whose bytes changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.data import lockstore
from gittrain.core.data.fingerprint import fingerprint
from gittrain.core.data.hashing import Progress
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.core.data.snapshot import Snapshot, count_fingerprint, to_entry
from gittrain.core.data.statcache import StatCache
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.data.remote import RemoteSnapshot


@dataclass(frozen=True, slots=True)
class Updated:
    entry: DatasetEntry
    changed: bool


@dataclass(frozen=True, slots=True)
class UpdateResult:
    datasets: tuple[Updated, ...]


def update(
    root: Path, names: tuple[str, ...] = (), progress: Progress | None = None
) -> UpdateResult:
    """Hash every named dataset (all when none); count only those whose hash changed."""
    conf = settings.load(root)
    lock = lockstore.read(root, conf.lockfile)
    for name in names:
        if lock.get(name) is None:
            raise GittrainError(f"{conf.lockfile}: no dataset named {name!r}")
    cache = StatCache.load(gitrepo.git_dir(root))
    snaps: dict[str, Snapshot | None] = {}
    remote: dict[str, RemoteSnapshot] = {}
    for name in sorted(names or lock.datasets):
        entry = lock.datasets[name]
        if entry.is_remote:
            remote[name] = _snapshot_remote(entry, progress)
            continue
        fp = fingerprint(root, entry.path, cache, progress)
        same = (fp.sha256, fp.size, fp.format) == (entry.sha256, entry.size, entry.format)
        snaps[name] = None if same else count_fingerprint(root, fp)
    results: list[Updated] = []

    def change(current: Lockfile) -> Lockfile:
        for name in sorted({*snaps, *remote}):
            old = current.get(name)
            if old is None:
                raise GittrainError(f"{conf.lockfile}: {name!r} was removed meanwhile; try again")
            snap = snaps.get(name)
            if name in remote:
                new = _remote_entry(name, remote[name], old)
            else:
                new = old if snap is None else to_entry(name, snap, old)
            results.append(Updated(new, new != old))
            current = current.with_entry(new)
        return current

    lockstore.modify(root, conf.lockfile, change)
    cache.save()
    return UpdateResult(tuple(results))


def _snapshot_remote(entry: DatasetEntry, progress: Progress | None) -> RemoteSnapshot:
    """A remote dataset read again as it was added: hashed when gittrain hashed it."""
    from gittrain.adapters.remote import urls
    from gittrain.core.data.remote import snapshot_remote

    url = urls.parse(entry.path)
    if url is None:
        raise GittrainError(f"{entry.path}: not a remote URL")
    hashed = "gittrain" in entry.sha256_from.split("+")
    return snapshot_remote(url, hash=hashed, progress=progress)


def _remote_entry(name: str, snap: RemoteSnapshot, old: DatasetEntry) -> DatasetEntry:
    from gittrain.core.data.remote import to_entry as remote_entry

    new = remote_entry(name, snap, old)
    # Nothing changed at the provider: keep the entry as it is, timestamps included.
    return old if new.version == old.version and new.path == old.path else new
