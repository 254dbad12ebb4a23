"""`git train data compare A B`: did the data change, and how (size, samples, columns)?"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.data import lockstore
from gittrain.core.data.datapaths import check_relpath
from gittrain.core.data.lockfile import SHA_PREFIX_RE, DatasetEntry
from gittrain.core.data.lockhistory import LockReader
from gittrain.core.data.snapshot import snapshot
from gittrain.core.data.statcache import StatCache
from gittrain.core.revspec import split_at
from gittrain.errors import GittrainError


class ColumnChangeKind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    TYPE_CHANGED = "type_changed"


@dataclass(frozen=True, slots=True)
class Side:
    spec: str
    kind: str  # "lock" (name or name@rev), "hash" or "path"
    name: str | None
    revision: str | None
    path: str
    format: str
    sha256: str | None  # None: remote data nobody has a sha256 for
    version: str  # the sha256, or the digest of the provider identity
    size: int
    num_samples: int | None
    columns: dict[str, str]


@dataclass(frozen=True, slots=True)
class ColumnChange:
    column: str
    kind: ColumnChangeKind
    old_type: str | None  # None: the column is absent on that side
    new_type: str | None


@dataclass(frozen=True, slots=True)
class CompareResult:
    a: Side
    b: Side
    changed: bool
    size_delta: int
    samples_delta: int | None
    columns: tuple[ColumnChange, ...]


def compare(root: Path, spec_a: str, spec_b: str) -> CompareResult:
    conf = settings.load(root)
    with gitrepo.CatFile(root) as cat:
        resolver = _Resolver(root, conf.lockfile, cat)
        a, b = resolver.side(spec_a), resolver.side(spec_b)
    samples = None
    if a.num_samples is not None and b.num_samples is not None:
        samples = b.num_samples - a.num_samples
    return CompareResult(
        a, b, a.version != b.version, b.size - a.size, samples, column_changes(a.columns, b.columns)
    )


def column_changes(old: dict[str, str], new: dict[str, str]) -> tuple[ColumnChange, ...]:
    out: list[ColumnChange] = []
    for column in sorted({*old, *new}):
        before, after = old.get(column), new.get(column)
        if before is None:
            out.append(ColumnChange(column, ColumnChangeKind.ADDED, None, after))
        elif after is None:
            out.append(ColumnChange(column, ColumnChangeKind.REMOVED, before, None))
        elif before != after:
            out.append(ColumnChange(column, ColumnChangeKind.TYPE_CHANGED, before, after))
    return tuple(out)


class _Resolver:
    def __init__(self, root: Path, rel: str, cat: gitrepo.CatFile) -> None:
        self.root = root
        self.rel = rel
        self.cat = cat
        self.locks = LockReader(cat, rel)
        self.current = lockstore.read(root, rel)

    def side(self, spec: str) -> Side:
        """``NAME@REV``, a lock ``NAME``, a path in the work tree, or a sha256 (prefix)."""
        name, rev = split_at(spec)
        if rev is not None:
            commit = gitrepo.resolve_commit(self.root, rev)
            lock = self.locks.at(commit)
            entry = lock.get(name) if lock else None
            if entry is None:
                raise GittrainError(f"{rev}:{self.rel}: no dataset named {name!r}")
            return _from_entry(spec, "lock", entry, rev)
        entry = self.current.get(spec)
        if entry is not None:
            return _from_entry(spec, "lock", entry, None)
        if (self.root / spec).exists() or "/" in spec or not SHA_PREFIX_RE.match(spec):
            return self._path(spec)
        found = self._by_hash(spec)
        if found is None:
            raise GittrainError(f"{spec}: no locked dataset version has this sha256")
        return _from_entry(spec, "hash", found[0], found[1])

    def _path(self, spec: str) -> Side:
        rel = check_relpath(spec)
        cache = StatCache.load(gitrepo.git_dir(self.root))
        snap = snapshot(self.root, rel, cache)
        cache.save()
        fp = snap.fingerprint
        return Side(
            spec,
            "path",
            None,
            None,
            fp.path,
            fp.format,
            fp.sha256,
            fp.sha256,
            fp.size,
            snap.num_samples,
            snap.columns,
        )

    def _by_hash(self, prefix: str) -> tuple[DatasetEntry, str | None] | None:
        """The work tree's lockfile first, then the lockfile's history, newest first."""
        for entry in self.current.datasets.values():
            if entry.version.startswith(prefix):
                return entry, None
        if gitrepo.rev_parse(self.root, "HEAD") is None:
            return None
        for commit in gitrepo.iter_log(self.root, ["HEAD"], [self.rel]):
            try:
                lock = self.locks.at(commit.sha)
            except GittrainError:
                continue  # a broken historical lockfile cannot hold the answer
            for entry in lock.datasets.values() if lock else ():
                if entry.version.startswith(prefix):
                    return entry, commit.sha[:12]
        return None


def _from_entry(spec: str, kind: str, entry: DatasetEntry, rev: str | None) -> Side:
    return Side(
        spec,
        kind,
        entry.name,
        rev,
        entry.path,
        entry.format,
        entry.sha256,
        entry.version,
        entry.size,
        entry.num_samples,
        dict(entry.columns),
    )
