"""The lockfile as it stood in any commit, read through one `cat-file --batch` process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.adapters.gitrepo import CatFile, LogCommit
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.errors import GittrainError


class LockReader:
    """Parses the lockfile at a revision, once per distinct content."""

    def __init__(self, cat: CatFile, rel: str) -> None:
        self._cat = cat
        self._rel = rel
        self._parsed: dict[bytes, Lockfile] = {}

    def at(self, rev: str) -> Lockfile | None:
        """The lockfile at ``rev``; None when that commit has none.  Raises
        ``GittrainError`` (naming ``rev:path``) when it does not parse."""
        raw = self._cat.read(f"{rev}:{self._rel}")
        if raw is None:
            return None
        lock = self._parsed.get(raw)
        if lock is None:
            lock = lockstore.parse_bytes(raw, f"{rev[:12]}:{self._rel}")
            self._parsed[raw] = lock
        return lock


def iso_time(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


@dataclass(frozen=True, slots=True)
class Change:
    """The commit that made a dataset's entry what it is."""

    commit: str
    date: str  # ISO 8601, UTC
    author: str


@dataclass(frozen=True, slots=True)
class Step:
    """One commit that changed the lockfile, with its lockfile and its parents' (None: absent
    or unreadable there)."""

    commit: LogCommit
    lock: Lockfile | None
    parents: tuple[Lockfile | None, ...]

    def introduced(self, name: str, same: Callable[[DatasetEntry], bool]) -> bool:
        """Whether this commit holds an entry ``name`` that ``same`` accepts and no parent does:
        the commit made it so, rather than inheriting it."""
        mine = self.lock.get(name) if self.lock is not None else None
        if mine is None or not same(mine):
            return False
        for parent in self.parents:
            theirs = parent.get(name) if parent is not None else None
            if theirs is not None and same(theirs):
                return False
        return True

    @property
    def change(self) -> Change:
        return Change(self.commit.sha, iso_time(self.commit.timestamp), self.commit.author)


class History:
    """The commits that changed the lockfile, newest first, from ONE `git log` and the
    reader's `cat-file --batch`.  Lockfiles that do not parse are skipped and reported
    in ``problems`` (once each)."""

    def __init__(self, root: Path, reader: LockReader) -> None:
        self._root = root
        self._reader = reader
        self._problems: dict[str, None] = {}

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(self._problems)

    def read(self, rev: str) -> Lockfile | None:
        """The lockfile at ``rev``; raises when it does not parse there."""
        return self._reader.at(rev)

    def lock_at(self, rev: str) -> Lockfile | None:
        """The lockfile at ``rev``; None (and a problem) when it does not parse there."""
        try:
            return self._reader.at(rev)
        except GittrainError as exc:
            self._problems[exc.message] = None
            return None

    def steps(self, rel: str, start: str = "HEAD") -> Iterator[Step]:
        """Commits reachable from ``start`` that changed ``rel``.  Git's default history
        simplification follows a merge to the parent its lockfile came from, so a change
        is credited to the commit that made it, not to the merge that brought it in."""
        if gitrepo.rev_parse(self._root, start) is None:
            return
        for commit in gitrepo.iter_log(self._root, [start], [rel]):
            lock = self.lock_at(commit.sha)
            parents = tuple(self.lock_at(p) for p in commit.parents)
            yield Step(commit, lock, parents)
