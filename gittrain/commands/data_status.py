"""`git train data status`: are the locked datasets still the bytes the lockfile names?"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.adapters import gitdir
from gittrain.core import jobrefs, settings
from gittrain.core.data import lockstore
from gittrain.core.data.fingerprint import fingerprint
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.core.data.statcache import StatCache
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.data.hashing import Progress


class State(enum.Enum):
    OK = "ok"
    MODIFIED = "modified"
    MISSING = "missing"
    UNLOCKED = "unlocked"


# Records here are NamedTuples, not dataclasses: `data status` and the pre-commit hook import
# this module (see gittrain/document.py).
class Difference(NamedTuple):
    field: str
    locked: object
    current: object


class DatasetStatus(NamedTuple):
    name: str
    path: str | None
    state: State
    differences: tuple[Difference, ...] = ()
    jobs: tuple[str, ...] = ()  # for unlocked: the job files that reference it


class StatusResult(NamedTuple):
    datasets: tuple[DatasetStatus, ...]
    problems: tuple[str, ...]  # job files that could not be read
    skipped: int = 0  # remote datasets not checked (--offline)

    @property
    def drift(self) -> bool:
        return any(d.state is not State.OK for d in self.datasets)


def status(
    root: Path,
    names: tuple[str, ...] = (),
    progress: Progress | None = None,
    *,
    offline: bool = False,
) -> StatusResult:
    """Stat-only when nothing changed: the stat cache vouches for unchanged files.

    Remote datasets get one metadata request per object (a listing for a prefix),
    all at once, and no download; ``offline`` skips them and counts them.
    """
    from gittrain.core.parsecache import ParseCache  # the hooks' data check needs none

    conf = settings.load(root)  # it keeps its own cache (settingscache)
    git_dir = gitdir.git_dir(root)
    parsed = ParseCache.load(git_dir)
    lock = lockstore.read_cached(root, conf.lockfile, parsed)
    jobs, problems = jobrefs.scan_worktree(root, conf.jobs_dir, parsed)
    unlocked = _unlocked(lock, jobs)
    for name in names:
        if lock.get(name) is None and name not in unlocked:
            raise GittrainError(f"{conf.lockfile}: no dataset named {name!r}")
    cache = StatCache.load(git_dir)
    chosen = [lock.datasets[n] for n in sorted(lock.datasets) if not names or n in names]
    remote = [entry for entry in chosen if entry.is_remote]
    checked = {} if offline else _check_remote(remote)
    rows: list[DatasetStatus] = []
    for entry in chosen:
        if not entry.is_remote:
            rows.append(check(root, entry, cache, progress))
        elif entry.name in checked:
            rows.append(checked[entry.name])
    for ref, users in sorted(unlocked.items()):
        if not names or ref in names:
            path = ref if "/" in ref or "." in ref else None
            rows.append(DatasetStatus(ref, path, State.UNLOCKED, jobs=tuple(users)))
    cache.save()
    parsed.save()
    return StatusResult(tuple(rows), tuple(problems), len(remote) if offline else 0)


def _check_remote(entries: list[DatasetEntry]) -> dict[str, DatasetStatus]:
    """Remote entries against their providers (the provider libraries load only now)."""
    if not entries:
        return {}
    from gittrain.core.data.remotestatus import status_remote

    out = {}
    for entry, found in zip(entries, status_remote(entries), strict=True):
        diffs = tuple(Difference(c.field, c.locked, c.current) for c in found.changes)
        state = State.MISSING if found.missing else State.MODIFIED if diffs else State.OK
        out[entry.name] = DatasetStatus(entry.name, entry.path, state, diffs)
    return out


def check(
    root: Path, entry: DatasetEntry, cache: StatCache, progress: Progress | None
) -> DatasetStatus:
    """One locked dataset against the work tree (or, remote, against its provider)."""
    if entry.is_remote:
        return _check_remote([entry])[entry.name]
    target = root / entry.path
    if not target.exists() and not target.is_symlink():
        return DatasetStatus(entry.name, entry.path, State.MISSING)
    try:
        fp = fingerprint(root, entry.path, cache, progress, keep_stats=False)
    except GittrainError as exc:
        diff = Difference("error", None, exc.message)
        return DatasetStatus(entry.name, entry.path, State.MODIFIED, (diff,))
    diffs = [
        Difference(field, locked, current)
        for field, locked, current in (
            ("format", entry.format, fp.format),
            ("size", entry.size, fp.size),
            ("files", entry.files, fp.files),
            ("sha256", entry.sha256, fp.sha256),
        )
        if locked != current
    ]
    state = State.MODIFIED if diffs else State.OK
    return DatasetStatus(entry.name, entry.path, state, tuple(diffs))


def _unlocked(lock: Lockfile, jobs: list[jobrefs.JobRefs]) -> dict[str, list[str]]:
    """Dataset references in work-tree jobs that no lock entry answers."""
    missing: dict[str, list[str]] = {}
    for job in jobs:
        for ref in job.datasets.values():
            if lock.resolve(ref) is None:
                missing.setdefault(ref, []).append(job.source)
    return missing
