"""The lockfile as it stood in any commit, read through one `cat-file --batch` process."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.adapters.gitrepo import CatFile, LogCommit
from gittrain.core.data import lockfile, lockstore
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.errors import GittrainError


class LockReader:
    """Parses the lockfile at a revision, once per distinct content, and each dataset's
    block once per distinct text: a commit changes one or two of them, and a history
    walk parses those, not the whole file again."""

    def __init__(self, cat: CatFile, rel: str) -> None:
        self._cat = cat
        self._rel = rel
        self._parsed: dict[bytes, Lockfile] = {}
        self._entries: dict[str, DatasetEntry] = {}  # an entry's block text -> the entry

    def at(self, rev: str) -> Lockfile | None:
        """The lockfile at ``rev``; None when that commit has none.  Raises
        ``GittrainError`` (naming ``rev:path``) when it does not parse."""
        raw = self._cat.read(f"{rev}:{self._rel}")
        if raw is None:
            return None
        lock = self._parsed.get(raw)
        if lock is None:
            source = f"{rev[:12]}:{self._rel}"
            lock = self._by_blocks(raw, source) or lockstore.parse_bytes(raw, source)
            self._parsed[raw] = lock
        return lock

    def _by_blocks(self, raw: bytes, source: str) -> Lockfile | None:
        """The lockfile from its entries' blocks, when it is laid out as gittrain writes it;
        None otherwise (or when a block does not parse alone): the whole file is parsed
        then, and its errors name the right line."""
        try:
            blocks = _blocks(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        if blocks is None:
            return None
        entries = {}
        for name, block in blocks:
            entry = self._entries.get(block)
            if entry is None:
                try:
                    entry = lockfile.parse(_PREAMBLE + block, source).datasets.get(name)
                except GittrainError:
                    return None
                if entry is None:
                    return None
                self._entries[block] = entry
            entries[name] = entry
        return Lockfile(entries)


# What `lockfile.render` writes before the first entry; each entry then starts with a
# line `  NAME:` and goes on with lines indented deeper.
_PREAMBLE = f"{lockfile.HEADER}version: {lockfile.LOCK_VERSION}\ndatasets:\n"
_ENTRY_RE = re.compile(r"  ([A-Za-z0-9][A-Za-z0-9._-]*):\n(?:    [^\n]*\n)*")


def _blocks(text: str) -> list[tuple[str, str]] | None:
    """``(name, block text)`` per entry of a lockfile laid out as `render` lays it out
    (names unique); None for anything else."""
    if not text.startswith(_PREAMBLE):
        return None
    blocks: list[tuple[str, str]] = []
    at = len(_PREAMBLE)
    for found in _ENTRY_RE.finditer(text, at):
        if found.start() != at:
            return None
        blocks.append((found.group(1), found.group(0)))
        at = found.end()
    if at != len(text) or not blocks or len({name for name, _ in blocks}) != len(blocks):
        return None
    return blocks


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
        # A parent read for one step is most often the next step: read it once.
        read: dict[str, Lockfile | None] = {}
        for commit in gitrepo.iter_log(self._root, [start], [rel]):
            lock = read.pop(commit.sha) if commit.sha in read else self.lock_at(commit.sha)
            for parent in commit.parents:
                if parent not in read:
                    read[parent] = self.lock_at(parent)
            yield Step(commit, lock, tuple(read[p] for p in commit.parents))
