"""Fingerprint (hash) and snapshot (hash + count) a dataset file or directory."""

from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.core.data import formats
from gittrain.core.data.datapaths import check_relpath, resolve_inside
from gittrain.core.data.filewalk import Walk, sort_key, walk_dir, walk_file
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.statcache import StatCache, now_ns
from gittrain.errors import GittrainError

if TYPE_CHECKING:  # hashing loads only when something is looked up or read (not by a
    # `data status` of unchanged data)
    from gittrain.core.data.hashing import FileStat, Progress


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the bytes are: enough to tell whether a locked dataset changed."""

    path: str
    format: str
    sha256: str
    size: int
    files: int | None
    # rel path -> stat when hashing began, to detect a change while counting
    stats: dict[str, FileStat] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Snapshot:
    fingerprint: Fingerprint
    num_samples: int | None
    columns: dict[str, str]


def fingerprint(
    root: Path,
    path: str,
    cache: StatCache,
    progress: Progress | None = None,
    *,
    keep_stats: bool = True,
) -> Fingerprint:
    """Hash ``path`` (file or directory), reading only files the stat cache cannot vouch for.

    ``keep_stats=False`` leaves ``Fingerprint.stats`` empty, for callers that only compare
    digests (`data status`): 100,000 per-file records cost more than the comparison."""
    rel = check_relpath(path)
    fmt, walk = _preflight(root, rel)
    return _fingerprint(root, rel, fmt, walk, cache=cache, progress=progress, keep=keep_stats)


def snapshot(root: Path, path: str, cache: StatCache, progress: Progress | None = None) -> Snapshot:
    """Fingerprint plus exact sample count and columns.

    Hashing runs on a worker thread (hashlib releases the GIL) while this thread
    counts, so a multi-core machine pays for roughly the slower of the two passes.
    """
    from concurrent.futures import ThreadPoolExecutor

    rel = check_relpath(path)
    fmt, walk = _preflight(root, rel)
    # The walk's stats, taken before either pass starts: the hash thread may start
    # late, and the count and the hash must describe the same bytes.
    before = walk.stats()
    files = sorted(walk.names, key=sort_key)
    stop = threading.Event()

    def tick(n: int) -> None:
        if stop.is_set():
            raise _Cancelled
        if progress is not None:
            progress(n)

    with ThreadPoolExecutor(1) as pool:
        hashed = pool.submit(
            _fingerprint, root, rel, fmt, walk, cache=cache, progress=tick, keep=True
        )
        try:
            num, columns = _count_files(root, fmt, files)
        except BaseException:
            stop.set()  # no point hashing data we refuse (or that the user gave up on)
            raise
        fp = hashed.result()
    if fp.stats != before:
        raise GittrainError(
            f"{rel}: changed while it was being read; nothing was recorded, try again"
        )
    _check_unchanged(root, fp)
    return Snapshot(fp, num, columns)


def count_fingerprint(root: Path, fp: Fingerprint) -> Snapshot:
    """Count what ``fp`` hashed; refuses data that changed since it was hashed."""
    num, columns = _count_files(root, fp.format, sorted(fp.stats, key=sort_key))
    _check_unchanged(root, fp)
    return Snapshot(fp, num, columns)


class _Cancelled(Exception):
    """Stops the hashing thread once counting has failed."""


def _preflight(root: Path, rel: str) -> tuple[str, Walk]:
    """The format and files of ``rel``; every refusal that needs no reading happens here."""
    target = resolve_inside(root, rel)
    if target.is_dir():
        walk = walk_dir(root, rel)
        if not walk.names and not walk.odd:
            raise GittrainError(f"{rel}: directory is empty")
        _refuse_lfs_pointers(root, walk)
        if walk.odd:
            raise GittrainError(min(walk.odd, key=lambda odd: sort_key(odd[0]))[1])
        return "dir", walk
    try:
        st = os.stat(target)
    except FileNotFoundError:
        raise GittrainError(f"{rel}: no such file or directory") from None
    fmt = formats.detect_format(rel)
    if fmt is None:
        known = ", ".join(sorted(formats.SUFFIXES))
        raise GittrainError(f"{rel}: unknown dataset format (known suffixes: {known})")
    if not stat.S_ISREG(st.st_mode):
        raise GittrainError(f"{rel}: not a regular file (a FIFO, socket or device)")
    if st.st_size == 0:
        raise GittrainError(f"{rel}: file is empty")
    walk = walk_file(st, rel)
    _refuse_lfs_pointers(root, walk)
    return fmt, walk


_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
_LFS_POINTER_MAX = 1024  # git-lfs pointer files are always smaller than this


def _refuse_lfs_pointers(root: Path, walk: Walk) -> None:
    """A git-lfs pointer checked out in place of the data would lock as a tiny text file.

    Only regular files under the pointer size limit are read (a FIFO would block)."""
    sizes = walk.times[0::3]
    small = [rel for rel, size in zip(walk.names, sizes, strict=True) if size < _LFS_POINTER_MAX]
    for rel in sorted(small, key=sort_key):
        path = root / rel
        try:
            with path.open("rb") as handle:
                head = handle.read(len(_LFS_POINTER))
        except OSError:
            continue  # the passes that read it report the error
        if head == _LFS_POINTER:
            raise GittrainError(
                f"{rel}: a git-lfs pointer file, not the data; run `git lfs pull` and try again"
            )


def _fingerprint(
    root: Path,
    rel: str,
    fmt: str,
    walk: Walk,
    *,
    cache: StatCache,
    progress: Progress | None,
    keep: bool,
) -> Fingerprint:
    # An unchanged dataset is one comparison of packed stats against the cache.
    digest = cache.verify(rel, walk)
    if digest is None:
        digest = _hash_with_cache(root, rel, fmt, walk, cache=cache, progress=progress)
    stats = dict(sorted(walk.stats().items(), key=_by_name)) if keep else {}
    size = walk.size()
    if fmt == "dir":
        return Fingerprint(rel, "dir", digest, size, len(walk), stats)
    if size == 0:
        raise GittrainError(f"{rel}: file is empty")
    return Fingerprint(rel, fmt, digest, size, None, stats)


def _by_name(item: tuple[str, FileStat]) -> bytes:
    return sort_key(item[0])


def _check_unchanged(root: Path, fp: Fingerprint) -> None:
    from gittrain.core.data.hashing import FileStat

    for rel, before in fp.stats.items():
        try:
            now: FileStat | None = FileStat.of(os.stat(root / rel))
        except FileNotFoundError:
            now = None
        if now != before:
            raise GittrainError(
                f"{rel}: changed while it was being read; nothing was recorded, try again"
            )


def to_entry(
    name: str,
    snap: Snapshot,
    old: DatasetEntry | None,
    *,
    description: str | None = None,
    tags: tuple[str, ...] | None = None,
) -> DatasetEntry:
    """The lock entry for ``snap``; unchanged content keeps the old entry's timestamps."""
    fp = snap.fingerprint
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    same = old is not None and old.sha256 == fp.sha256 and old.path == fp.path
    return DatasetEntry(
        name=name,
        path=fp.path,
        format=fp.format,
        sha256=fp.sha256,
        size=fp.size,
        num_samples=snap.num_samples,
        columns=snap.columns,
        files=fp.files,
        description=description if description is not None else (old.description if old else ""),
        tags=tags if tags is not None else (old.tags if old else ()),
        created_at=old.created_at if old and old.created_at else stamp,
        modified_at=old.modified_at if same and old and old.modified_at else stamp,
    )


def _count_files(root: Path, fmt: str, files: list[str]) -> tuple[int | None, dict[str, str]]:
    """Samples and columns of a file; for a directory, summed over the shards in a known
    format (a README next to them is hashed but not counted), columns from the first."""
    from gittrain.core.data.counting import count  # only when something is counted

    total: int | None = None
    columns: dict[str, str] = {}
    for rel in files:
        shard_fmt = formats.detect_format(rel) if fmt == "dir" else fmt
        if shard_fmt is None:
            continue
        try:
            if fmt == "dir" and os.stat(root / rel).st_size == 0:
                raise GittrainError(f"{rel}: file is empty")
            counted = count(root / rel, shard_fmt, rel)
        except OSError as exc:
            raise GittrainError(f"{rel}: cannot read: {exc.strerror}") from None
        total = (total or 0) + (counted.num_samples or 0)
        if not columns:
            columns = dict(counted.columns)
    return total, columns


def _hash_with_cache(
    root: Path, rel: str, fmt: str, walk: Walk, *, cache: StatCache, progress: Progress | None
) -> str:
    """The digest of ``rel``, reading only the files the cache cannot vouch for; the walk
    takes the stats the files had when they were read, and the cache learns them."""
    from gittrain.core.data.hashing import hash_files, manifest_hash

    shas: list[str] = [""] * len(walk)
    hashed_at: list[int] = [0] * len(walk)
    todo: list[int] = []
    for i, (name, st) in enumerate(zip(walk.names, walk.iter_stats(), strict=True)):
        cached = cache.lookup(rel, name, st)
        if cached is None:
            todo.append(i)
        else:
            shas[i], hashed_at[i] = cached
    started = now_ns()
    base = str(root)  # plain strings: 100,000 Path objects cost ~20 MB and their own time
    jobs: list[tuple[Path | str, str]] = [(f"{base}/{walk.names[i]}", walk.names[i]) for i in todo]
    sizes = [walk.times[3 * i] for i in todo]
    for i, (sha, st) in zip(todo, hash_files(jobs, progress, sizes=sizes), strict=True):
        shas[i], hashed_at[i] = sha, started
        walk.set_stat(i, st)
    if fmt == "dir":
        cut = len(rel) + 1
        inner = [(name[cut:], sha) for name, sha in zip(walk.names, shas, strict=True)]
        digest = manifest_hash(inner)
    else:
        digest = shas[0]
    cache.store(rel, walk, shas, hashed_at, digest)
    return digest
