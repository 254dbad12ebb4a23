"""SHA-256 of files and directory manifests, streamed in-process and in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.errors import GittrainError

# Big reads: hashlib releases the GIL for updates over 2 KiB, so large buffers
# keep the interpreter out of the loop and threads hash in parallel.
CHUNK = 16 << 20
# A larger file is read and hashed 1 MiB at a time: each block is still in cache when it
# is hashed (a 16 MiB buffer went through memory twice: 0.1-0.3 s less CPU for 2 GiB),
# and `data add` holds 1 MiB, not 16, while a CSV's type parse peaks beside it.
STREAM_BLOCK = 1 << 20
MANIFEST_ALGORITHM = "sha256-manifest"
FILE_ALGORITHM = "sha256"
# hash_files hands files to its workers in batches up to these bounds.
BATCH_BYTES = 8 << 20
BATCH_FILES = 256
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)

if TYPE_CHECKING:
    import hashlib

Progress = Callable[[int], None]


# A NamedTuple, not a dataclass: `data status` and the hooks' data check use it (see
# gittrain/document.py).
class FileStat(NamedTuple):
    """What the stat cache keys on; any difference means the content may differ."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStat:
        return cls(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def hash_file(
    path: Path | str, display: str, progress: Progress | None = None
) -> tuple[str, FileStat]:
    """The sha256 of ``path`` and its stat, refusing a file that changed while it was read."""
    import hashlib  # lazily: a warm `data status` of single files never loads OpenSSL

    try:
        fd = os.open(path, _READ_FLAGS)
        try:
            st = os.fstat(fd)
            before = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            if st.st_size < CHUNK:
                # One read of one byte more than the size: a file under a chunk is a
                # single syscall, and a file that grew meanwhile fails the check below.
                data = os.read(fd, st.st_size + 1)
                digest = hashlib.sha256(data)
                read = len(data)
                if progress is not None and read:
                    progress(read)
            else:
                digest, read = _hash_stream(fd, st.st_size, progress)
            st = os.fstat(fd)
            after = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        finally:
            os.close(fd)
        st = os.stat(path)
        named = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    except FileNotFoundError:
        raise GittrainError(f"{display}: no such file") from None
    except OSError as exc:
        raise GittrainError(f"{display}: cannot read: {exc.strerror}") from None
    if before != after or after != named or read != after[0]:
        raise GittrainError(
            f"{display}: changed while it was being hashed; nothing was recorded, try again"
        )
    return digest.hexdigest(), FileStat(before[0], before[1], before[2], before[3])


def _hash_stream(fd: int, size: int, progress: Progress | None) -> tuple[hashlib._Hash, int]:
    import hashlib

    digest = hashlib.sha256()
    read = 0
    buffer = bytearray(min(STREAM_BLOCK, size + 1))
    view = memoryview(buffer)
    while n := os.readv(fd, [buffer]):
        digest.update(view[:n])
        read += n
        if progress is not None:
            progress(n)
    return digest, read


def hash_files(
    paths: Sequence[tuple[Path | str, str]],
    progress: Progress | None = None,
    workers: int | None = None,
    *,
    sizes: Sequence[int] | None = None,
) -> list[tuple[str, FileStat]]:
    """``hash_file`` over many files on all cores; results in input order.

    Files go to the workers in batches (``sizes`` helps balance them): one task per file
    costs about 55 us of thread handoffs, against 12 us to read and hash 4 KiB.
    """
    count = workers or os.cpu_count() or 1
    if len(paths) <= 1 or count == 1:
        return [hash_file(p, d, progress) for p, d in paths]
    from concurrent.futures import ThreadPoolExecutor  # only when there is work to share

    def run(batch: range) -> list[tuple[str, FileStat]]:
        return [hash_file(*paths[i], progress) for i in batch]

    out: list[tuple[str, FileStat]] = []
    with ThreadPoolExecutor(max_workers=count) as pool:
        for part in pool.map(run, _batches(len(paths), count, sizes)):
            out += part
    return out


def _batches(n: int, workers: int, sizes: Sequence[int] | None) -> list[range]:
    """Consecutive runs of files of about ``BATCH_BYTES`` each, at least 4 per worker."""
    most = max(1, min(BATCH_FILES, n // (4 * workers)))
    out: list[range] = []
    start = 0
    total = 0
    for i in range(n):
        total += CHUNK if sizes is None else sizes[i]
        if i + 1 - start >= most or total >= BATCH_BYTES:
            out.append(range(start, i + 1))
            start, total = i + 1, 0
    if start < n:
        out.append(range(start, n))
    return out


def manifest_hash(entries: Sequence[tuple[str, str]]) -> str:
    """sha256 over the sorted ``relative-path  sha256`` lines of a directory's files."""
    import hashlib

    digest = hashlib.sha256()
    for rel, sha in sorted(entries, key=lambda e: e[0].encode("utf-8", "surrogateescape")):
        digest.update(f"{rel}  {sha}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
