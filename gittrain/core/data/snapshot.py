"""Fingerprint (hash) and snapshot (hash + count) a dataset file or directory."""

from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gittrain.core.data import counting
from gittrain.core.data.datapaths import check_relpath, resolve_inside
from gittrain.core.data.hashing import FileStat, Progress, hash_files, manifest_hash
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.statcache import StatCache, now_ns
from gittrain.errors import GittrainError


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


def list_files(root: Path, rel: str) -> list[str]:
    """Every regular file under directory ``rel``, repo-relative, sorted; refuses escapes.

    ``os.scandir`` with plain strings: `data status` walks this on every call, and
    pathlib objects cost more than the stat calls themselves.
    """
    resolve_inside(root, rel)
    found: list[str] = []
    stack = [(os.path.join(root, rel), rel)]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                sub = f"{prefix}/{entry.name}"
                if entry.is_symlink():
                    resolve_inside(root, sub)
                    if entry.is_dir():
                        raise GittrainError(
                            f"{sub}: symlinked directories inside a dataset are not supported; "
                            "link the files or move the data"
                        )
                    found.append(sub)
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, sub))
                else:
                    found.append(sub)
    return sorted(found, key=lambda p: p.encode("utf-8", "surrogateescape"))


def fingerprint(
    root: Path, path: str, cache: StatCache, progress: Progress | None = None
) -> Fingerprint:
    """Hash ``path`` (file or directory), reading only files the stat cache cannot vouch for."""
    rel = check_relpath(path)
    fmt, files = _preflight(root, rel)
    return _fingerprint(root, rel, fmt, files, cache=cache, progress=progress)


def snapshot(root: Path, path: str, cache: StatCache, progress: Progress | None = None) -> Snapshot:
    """Fingerprint plus exact sample count and columns.

    Hashing runs on a worker thread (hashlib releases the GIL) while this thread
    counts, so a multi-core machine pays for roughly the slower of the two passes.
    """
    from concurrent.futures import ThreadPoolExecutor

    rel = check_relpath(path)
    fmt, files = _preflight(root, rel)
    # Stat before either pass starts: the hash thread may start late, and the
    # count and the hash must describe the same bytes.
    before = _stats(root, files)
    stop = threading.Event()

    def tick(n: int) -> None:
        if stop.is_set():
            raise _Cancelled
        if progress is not None:
            progress(n)

    with ThreadPoolExecutor(1) as pool:
        hashed = pool.submit(_fingerprint, root, rel, fmt, files, cache=cache, progress=tick)
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


def _stats(root: Path, files: list[str]) -> dict[str, FileStat | None]:
    out: dict[str, FileStat | None] = {}
    for rel in files:
        try:
            out[rel] = FileStat.of(os.stat(root / rel))
        except FileNotFoundError:
            out[rel] = None
    return out


def count_fingerprint(root: Path, fp: Fingerprint) -> Snapshot:
    """Count what ``fp`` hashed; refuses data that changed since it was hashed."""
    num, columns = _count_files(root, fp.format, list(fp.stats))
    _check_unchanged(root, fp)
    return Snapshot(fp, num, columns)


class _Cancelled(Exception):
    """Stops the hashing thread once counting has failed."""


def _preflight(root: Path, rel: str) -> tuple[str, list[str]]:
    """The format and files of ``rel``; every refusal that needs no reading happens here."""
    target = resolve_inside(root, rel)
    if target.is_dir():
        files = list_files(root, rel)
        if not files:
            raise GittrainError(f"{rel}: directory is empty")
        _refuse_lfs_pointers(root, files)
        return "dir", files
    try:
        st = os.stat(target)
    except FileNotFoundError:
        raise GittrainError(f"{rel}: no such file or directory") from None
    fmt = counting.detect_format(rel)
    if fmt is None:
        known = ", ".join(sorted(counting.SUFFIXES))
        raise GittrainError(f"{rel}: unknown dataset format (known suffixes: {known})")
    if not stat.S_ISREG(st.st_mode):
        raise GittrainError(f"{rel}: not a regular file (a FIFO, socket or device)")
    if st.st_size == 0:
        raise GittrainError(f"{rel}: file is empty")
    _refuse_lfs_pointers(root, [rel])
    return fmt, [rel]


_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
_LFS_POINTER_MAX = 1024  # git-lfs pointer files are always smaller than this


def _refuse_lfs_pointers(root: Path, files: list[str]) -> None:
    """A git-lfs pointer checked out in place of the data would lock as a tiny text file."""
    for rel in files:
        path = root / rel
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode) or st.st_size >= _LFS_POINTER_MAX:
                continue  # a FIFO would block the read; the other passes refuse it
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
    files: list[str],
    *,
    cache: StatCache,
    progress: Progress | None,
) -> Fingerprint:
    shas, stats = _hash_with_cache(root, files, cache, progress)
    if fmt == "dir":
        inner = [(f[len(rel) + 1 :], shas[f]) for f in files]
        size = sum(st.size for st in stats.values())
        return Fingerprint(rel, "dir", manifest_hash(inner), size, len(files), stats)
    if stats[rel].size == 0:
        raise GittrainError(f"{rel}: file is empty")
    return Fingerprint(rel, fmt, shas[rel], stats[rel].size, None, stats)


def _check_unchanged(root: Path, fp: Fingerprint) -> None:
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
    total: int | None = None
    columns: dict[str, str] = {}
    for rel in files:
        shard_fmt = counting.detect_format(rel) if fmt == "dir" else fmt
        if shard_fmt is None:
            continue
        try:
            if fmt == "dir" and os.stat(root / rel).st_size == 0:
                raise GittrainError(f"{rel}: file is empty")
            counted = counting.count(root / rel, shard_fmt, rel)
        except OSError as exc:
            raise GittrainError(f"{rel}: cannot read: {exc.strerror}") from None
        total = (total or 0) + (counted.num_samples or 0)
        if not columns:
            columns = dict(counted.columns)
    return total, columns


def _hash_with_cache(
    root: Path, files: list[str], cache: StatCache, progress: Progress | None
) -> tuple[dict[str, str], dict[str, FileStat]]:
    shas: dict[str, str] = {}
    stats: dict[str, FileStat] = {}
    todo: list[str] = []
    base = str(root)
    for rel in files:
        try:
            raw = os.stat(f"{base}/{rel}")
        except FileNotFoundError:
            raise GittrainError(f"{rel}: no such file") from None
        if not stat.S_ISREG(raw.st_mode):
            raise GittrainError(f"{rel}: not a regular file (a FIFO, socket or device)")
        st = FileStat.of(raw)
        cached = cache.lookup(rel, st)
        if cached is None:
            todo.append(rel)
        else:
            shas[rel], stats[rel] = cached, st
    started = now_ns()
    results = hash_files([(root / rel, rel) for rel in todo], progress)
    for rel, (sha, st) in zip(todo, results, strict=True):
        shas[rel], stats[rel] = sha, st
        cache.store(rel, st, sha, started)
    return shas, stats
