"""Fingerprint (hash) a dataset file or directory, reading only what the stat cache cannot
vouch for: what `data status` needs, without the counting side (gittrain/core/data/snapshot.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.core.data import formats
from gittrain.core.data.datapaths import check_relpath, resolve_inside
from gittrain.core.data.filewalk import Walk, sort_key, walk_dir, walk_file
from gittrain.core.data.statcache import StatCache, now_ns
from gittrain.errors import GittrainError

if TYPE_CHECKING:  # hashing loads only when something is looked up or read (not by a
    # `data status` of unchanged data)
    from collections.abc import Iterable

    from gittrain.core.data.hashing import FileStat, Progress


# A NamedTuple, not a dataclass: `data status` imports this module (see gittrain/document.py).
# Nothing compares fingerprints (their digests are compared), so ``stats`` being part of
# the tuple's equality changes nothing.
class Fingerprint(NamedTuple):
    """What the bytes are: enough to tell whether a locked dataset changed."""

    path: str
    format: str
    sha256: str
    size: int
    files: int | None
    # rel path -> stat when hashing began, to detect a change while counting (empty
    # with keep_stats=False)
    stats: dict[str, FileStat]


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
    # Only files the stat cache cannot vouch for are checked for git-lfs pointers: the
    # others were checked when they were hashed, and a pointer checked out since has
    # other stats.  A dataset of 100,000 tiny files is not opened again on every status.
    fmt, walk = preflight(root, rel, lfs=False)
    return fingerprint_walk(
        root, rel, fmt, walk, cache=cache, progress=progress, keep=keep_stats, lfs=True
    )


def preflight(root: Path, rel: str, *, lfs: bool = True) -> tuple[str, Walk]:
    """The format and files of ``rel``; every refusal that needs no reading happens here
    (``lfs``: the git-lfs pointer check too, which reads the files under 1 KiB)."""
    target = resolve_inside(root, rel)
    if target.is_dir():
        walk = walk_dir(root, rel)
        if not walk.names and not walk.odd:
            raise GittrainError(f"{rel}: directory is empty")
        if lfs:
            _refuse_lfs_pointers(root, walk, range(len(walk)))
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
    if lfs:
        _refuse_lfs_pointers(root, walk, range(len(walk)))
    return fmt, walk


_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
_LFS_POINTER_MAX = 1024  # git-lfs pointer files are always smaller than this


def _refuse_lfs_pointers(root: Path, walk: Walk, which: Iterable[int]) -> None:
    """A git-lfs pointer checked out in place of the data would lock as a tiny text file.

    Only ``which`` of the walk's regular files under the pointer size limit are read (a FIFO
    would block)."""
    sizes = walk.times
    small = [walk.names[i] for i in which if sizes[3 * i] < _LFS_POINTER_MAX]
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


def fingerprint_walk(
    root: Path,
    rel: str,
    fmt: str,
    walk: Walk,
    *,
    cache: StatCache,
    progress: Progress | None,
    keep: bool,
    lfs: bool = False,
) -> Fingerprint:
    """``rel``'s fingerprint (``lfs``: check the files the cache cannot vouch for for
    git-lfs pointers before reading them; the caller's preflight checked none)."""
    # An unchanged dataset is one comparison of packed stats against the cache.
    digest = cache.verify(rel, walk)
    if digest is None:
        digest = _hash_with_cache(root, rel, fmt, walk, cache=cache, progress=progress, lfs=lfs)
    stats = dict(sorted(walk.stats().items(), key=_by_name)) if keep else {}
    size = walk.size()
    if fmt == "dir":
        return Fingerprint(rel, "dir", digest, size, len(walk), stats)
    if size == 0:
        raise GittrainError(f"{rel}: file is empty")
    return Fingerprint(rel, fmt, digest, size, None, stats)


def _by_name(item: tuple[str, FileStat]) -> bytes:
    return sort_key(item[0])


def _hash_with_cache(
    root: Path,
    rel: str,
    fmt: str,
    walk: Walk,
    *,
    cache: StatCache,
    progress: Progress | None,
    lfs: bool,
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
    if lfs:
        _refuse_lfs_pointers(root, walk, todo)
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
