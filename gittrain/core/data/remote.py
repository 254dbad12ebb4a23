"""Snapshot and verify remote datasets (s3://, gs://, hf://, https://), provider-neutral.

What is recorded follows the local rules: one object is a file, a prefix is a manifest
(keys relative to the prefix).  ``sha256`` holds only a real SHA-256 (computed here
with ``--hash``, or vouched for by the provider); the provider's identity (ETag,
version, generation, the Hub commit) is kept beside it.  Per-object work is a
module-level function with picklable arguments, so it runs on a thread here or on a
cluster worker that reads the object straight from storage (``Executor``).
"""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gittrain.adapters.remote.store import DEFAULT_TIMEOUT, ObjectInfo, store_for
from gittrain.adapters.remote.urls import RemoteURL
from gittrain.core.data import counting, formats
from gittrain.core.data.executor import REMOTE_THREADS, Executor, ThreadExecutor
from gittrain.core.data.hashing import Progress, manifest_hash
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    pass

# Formats whose samples need every byte (Parquet's are in its footer).
FULL_READ = ("jsonl", "csv", "json")
# What tells versions of one object apart, in order of preference: the first one the
# provider gives goes into a prefix's ``identity_digest``.
IDENTITY_KEYS = ("etag", "lfs_sha256", "blob_id", "generation", "md5", "crc32c", "last_modified")
# Object identity compared by `data status` and by the check around a `--hash` read.
VERSION_KEYS = ("version_id", "generation", "etag", "lfs_sha256", "blob_id", "md5", "crc32c")
HASH_CHUNK = 4 << 20
# Metadata requests (HEADs, footers) wait on round trips, not on this machine.
METADATA_THREADS = 32


@dataclass(frozen=True, slots=True)
class RemoteSnapshot:
    """What `data add URL` records, before it becomes a lock entry."""

    url: RemoteURL
    format: str
    sha256: str | None
    sha256_from: str  # '' when sha256 is None
    size: int
    files: int | None
    num_samples: int | None
    columns: Mapping[str, str]
    provider: Mapping[str, str | int]
    uncounted: tuple[str, ...] = ()  # formats whose samples need --hash
    hashed: bool = False
    notes: tuple[str, ...] = ()  # how objects had to be read (a server without ranges)


@dataclass(frozen=True, slots=True)
class ObjectTask:
    """One object to read (picklable: a cluster worker builds its own store)."""

    info: ObjectInfo  # as listed or stat'd before reading
    format: str | None  # the format to count, None to hash only
    hash: bool
    timeout: float = DEFAULT_TIMEOUT

    def __str__(self) -> str:  # what an executor's error names
        return self.info.url.text


@dataclass(frozen=True, slots=True)
class ObjectResult:
    key: str
    sha256: str | None
    num_samples: int | None
    columns: Mapping[str, str] = field(default_factory=dict)
    read: int = 0  # bytes streamed
    note: str | None = None  # e.g. the server ignored byte ranges: the object was streamed


def read_object(task: ObjectTask, progress: Progress | None = None) -> ObjectResult:
    """Hash and count one object in one pass (``task.hash``), or read only a Parquet
    footer.  Refuses an object whose identity changed while it was being read."""
    info = task.info
    store = store_for(info.url, task.timeout)
    display = info.url.text
    sha256: str | None = None
    counted: counting.Counted | None = None
    read = 0
    if task.hash:
        with store.open(info.url) as body:
            tee = _HashingReader(body, progress)
            if task.format in FULL_READ:
                counted = counting.count_stream(tee, task.format, display)
            tee.drain()
        sha256, read = tee.hexdigest(), tee.read_bytes
        after = store.stat(info.url)
        changed = after is None or read != info.size or bool(changed_fields(info, after))
        if changed:
            raise GittrainError(
                f"{display}: changed while it was being read; nothing was recorded, try again"
            )
        if info.sha256 is not None and info.sha256 != sha256:
            raise GittrainError(
                f"{display}: the bytes read hash to {sha256[:12]}, but the provider's sha256 "
                f"is {info.sha256[:12]}; nothing was recorded"
            )
    if task.format == "parquet":
        from gittrain.adapters import arrow

        with store.open_random(info.url, info.size) as handle:
            rows, columns = arrow.parquet_stats(handle, display)
            note = getattr(handle, "note", None)  # the reader says how it had to read
        counted = counting.Counted(rows, columns)
    return ObjectResult(
        info.key,
        sha256,
        counted.num_samples if counted else None,
        dict(counted.columns) if counted else {},
        read,
        note if task.format == "parquet" else None,
    )


def changed_fields(before: ObjectInfo, after: ObjectInfo) -> list[str]:
    """Which of the identity fields (and size) differ; only fields both sides know."""
    out = [
        key
        for key in VERSION_KEYS
        if key in before.identity
        and key in after.identity
        and before.identity[key] != after.identity[key]
    ]
    # A web server without an ETag says a file changed only by its Last-Modified
    # (with an ETag, a touched but unchanged file would count as modified).
    old, new = before.identity.get("last_modified"), after.identity.get("last_modified")
    if old and new and old != new and not any(key in before.identity for key in VERSION_KEYS):
        out.append("last_modified")
    if before.size != after.size:
        out.append("size")
    return out


def identity_line(info: ObjectInfo) -> str:
    """``key<TAB>size<TAB>etag=...``: one object in a prefix's ``identity_digest``."""
    tag = next((f"{k}={info.identity[k]}" for k in IDENTITY_KEYS if k in info.identity), "")
    return f"{info.key}\t{info.size}\t{tag}"


def identity_digest(lines: Iterable[str]) -> str:
    """sha256 over the sorted ``identity_line``s of a prefix's objects."""
    import hashlib

    digest = hashlib.sha256()
    for line in sorted(lines, key=lambda s: s.encode("utf-8", "surrogateescape")):
        digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def snapshot_remote(
    url: RemoteURL,
    *,
    hash: bool = False,
    executor: Executor | None = None,
    progress: Progress | None = None,
    listed: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RemoteSnapshot:
    """List ``url`` (one object or a prefix) and read what must be read.

    Without ``hash`` only Parquet footers are read (ranged reads); JSONL/CSV/JSON
    samples are left uncounted.  ``progress`` gets bytes read, ``listed`` objects listed.
    """
    store = store_for(url, timeout)
    dataset = dict(store.resolve(url))
    objects: list[ObjectInfo] = []
    for page in store.pages(url):
        objects.extend(page)
        if listed is not None:
            listed(len(page))
    if not url.is_prefix:
        fmt = _single_format(url, objects[0])
    tasks = []
    for info in objects:
        shard_fmt = formats.detect_format(info.url.file_key)
        if hash or shard_fmt == "parquet":
            tasks.append(ObjectTask(info, shard_fmt, hash, timeout))
    results = _run(tasks, executor, progress)
    by_key = {r.key: r for r in results}
    if not url.is_prefix:
        return _single(
            url, objects[0], fmt=fmt, result=by_key.get(objects[0].key), dataset=dataset, hash=hash
        )
    return _prefix(url, objects, by_key, dataset, hash)


def _single_format(url: RemoteURL, info: ObjectInfo) -> str:
    fmt = formats.detect_format(url.file_key)
    if fmt is None:
        known = ", ".join(sorted(formats.SUFFIXES))
        raise GittrainError(f"{url.text}: unknown dataset format (known suffixes: {known})")
    if info.size == 0:
        raise GittrainError(f"{url.text}: object is empty")
    return fmt


def _run(
    tasks: Sequence[ObjectTask], executor: Executor | None, progress: Progress | None
) -> list[ObjectResult]:
    if not tasks:
        return []
    own = executor is None
    # Footer reads wait on the network; hashing also on the CPU, so fewer threads.
    default = REMOTE_THREADS if tasks[0].hash else METADATA_THREADS
    pool = executor if executor is not None else ThreadExecutor(default)
    try:
        if isinstance(pool, ThreadExecutor) and progress is not None:
            # Threads share this process: bytes are reported as they stream.
            return pool.map(functools.partial(read_object, progress=progress), tasks)
        if progress is None:
            return pool.map(read_object, tasks)
        report = progress
        return pool.map(read_object, tasks, lambda _task, result: report(result.read))
    finally:
        if own:
            pool.close()


def _single(
    url: RemoteURL,
    info: ObjectInfo,
    *,
    fmt: str,
    result: ObjectResult | None,
    dataset: dict[str, str | int],
    hash: bool,
) -> RemoteSnapshot:
    sha256, source = info.sha256, info.sha256_from or ""
    if result is not None and result.sha256 is not None:
        sha256, source = result.sha256, "gittrain"
    counted = result is not None and result.num_samples is not None
    return RemoteSnapshot(
        url=url,
        format=fmt,
        sha256=sha256,
        sha256_from=source if sha256 else "",
        size=info.size,
        files=None,
        num_samples=result.num_samples if result is not None else None,
        columns=dict(result.columns) if result is not None else {},
        provider={**dataset, **info.identity},
        uncounted=() if counted or fmt not in FULL_READ else (fmt,),
        hashed=hash,
        notes=(result.note,) if result is not None and result.note else (),
    )


def _prefix(
    url: RemoteURL,
    objects: list[ObjectInfo],
    results: dict[str, ObjectResult],
    dataset: dict[str, str | int],
    hash: bool,
) -> RemoteSnapshot:
    shas: list[tuple[str, str]] = []
    sources: set[str] = set()
    total: int | None = None
    columns: Mapping[str, str] = {}
    uncounted: set[str] = set()
    for info in sorted(objects, key=lambda o: o.key.encode("utf-8", "surrogateescape")):
        result = results.get(info.key)
        if result is not None and result.sha256 is not None:
            shas.append((info.key, result.sha256))
            sources.add("gittrain")
        elif info.sha256 is not None:
            shas.append((info.key, info.sha256))
            sources.add(info.sha256_from or "")
        fmt = formats.detect_format(info.key)
        if fmt is None:
            continue
        if result is None or result.num_samples is None:
            uncounted.add(fmt)
            continue
        total = (total or 0) + result.num_samples
        if not columns:
            columns = result.columns
    whole = len(shas) == len(objects)
    return RemoteSnapshot(
        url=url,
        format="dir",
        sha256=manifest_hash(shas) if whole else None,
        sha256_from="+".join(sorted(sources)) if whole else "",
        size=sum(o.size for o in objects),
        files=len(objects),
        num_samples=None if uncounted else total,
        columns=dict(columns),
        provider={
            **dataset,
            "objects": len(objects),
            "identity_digest": identity_digest(identity_line(o) for o in objects),
        },
        uncounted=tuple(sorted(uncounted)),
        hashed=hash,
        notes=tuple(r.note for _, r in sorted(results.items()) if r.note),
    )


def to_entry(
    name: str,
    snap: RemoteSnapshot,
    old: DatasetEntry | None,
    *,
    description: str | None = None,
    tags: tuple[str, ...] | None = None,
) -> DatasetEntry:
    """The lock entry for ``snap``; unchanged content keeps the old entry's timestamps.

    Re-adding an unchanged object without ``--hash`` keeps the sha256 and sample count
    an earlier ``--hash`` found: the provider's identity says the bytes are the same.
    """
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entry = DatasetEntry(
        name=name,
        path=snap.url.text,
        format=snap.format,
        sha256=snap.sha256,
        size=snap.size,
        num_samples=snap.num_samples,
        columns=dict(snap.columns),
        files=snap.files,
        sha256_from=snap.sha256_from,
        provider=dict(snap.provider),
    )
    if old is not None and _same_object(old, entry):
        if entry.sha256 is None and old.sha256 is not None:
            entry = entry._replace(sha256=old.sha256, sha256_from=old.sha256_from)
        if entry.num_samples is None and old.num_samples is not None:
            entry = entry._replace(num_samples=old.num_samples, columns=dict(old.columns))
    same = old is not None and old.version == entry.version and old.path == entry.path
    return entry._replace(
        description=description if description is not None else (old.description if old else ""),
        tags=tags if tags is not None else (old.tags if old else ()),
        created_at=old.created_at if old and old.created_at else stamp,
        modified_at=old.modified_at if same and old and old.modified_at else stamp,
    )


def _same_object(old: DatasetEntry, new: DatasetEntry) -> bool:
    return (old.path, old.format, old.size, old.files, dict(old.provider)) == (
        new.path,
        new.format,
        new.size,
        new.files,
        dict(new.provider),
    )


class _HashingReader(io.RawIOBase):
    """Reads through ``body`` once: sha256 and byte count on the way, for the counter.

    The sha256 runs on the reading thread: a thread of its own (as the local snapshot
    hashes beside its count) measured no faster here, the copy it needs costing what
    the overlap saved (bench/bench_remote.py, 2 cores with the server on them).
    """

    def __init__(self, body: Any, progress: Progress | None) -> None:
        import hashlib

        super().__init__()
        self._body = body
        self._digest = hashlib.sha256()
        self._progress = progress
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = int(self._body.readinto(buffer) or 0)
        if n:
            self._digest.update(memoryview(buffer)[:n])
            self.read_bytes += n
            if self._progress is not None:
                self._progress(n)
        return n

    def drain(self) -> None:
        buffer = bytearray(HASH_CHUNK)
        while self.readinto(buffer):
            pass

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
