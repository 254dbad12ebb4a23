"""Snapshot a dataset file or directory: its fingerprint (gittrain/core/data/fingerprint.py)
plus the exact sample count and columns, both passes over the same bytes."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.core.data import fingerprint as fingerprinting
from gittrain.core.data import formats
from gittrain.core.data.datapaths import check_relpath
from gittrain.core.data.filewalk import sort_key
from gittrain.core.data.fingerprint import Fingerprint
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.statcache import StatCache
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.data.hashing import FileStat, Progress


@dataclass(frozen=True, slots=True)
class Snapshot:
    fingerprint: Fingerprint
    num_samples: int | None
    columns: dict[str, str]


def snapshot(root: Path, path: str, cache: StatCache, progress: Progress | None = None) -> Snapshot:
    """Fingerprint plus exact sample count and columns.

    Hashing runs on a worker thread (hashlib releases the GIL) while this thread
    counts, so a multi-core machine pays for roughly the slower of the two passes.
    """
    from concurrent.futures import ThreadPoolExecutor

    rel = check_relpath(path)
    fmt, walk = fingerprinting.preflight(root, rel)
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
            fingerprinting.fingerprint_walk,
            root,
            rel,
            fmt,
            walk,
            cache=cache,
            progress=tick,
            keep=True,
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
