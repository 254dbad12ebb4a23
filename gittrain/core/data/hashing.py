"""SHA-256 of files and directory manifests, streamed in-process and in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gittrain.errors import GittrainError

# Big reads: hashlib releases the GIL for updates over 2 KiB, so large buffers
# keep the interpreter out of the loop and threads hash in parallel.
CHUNK = 16 << 20
MANIFEST_ALGORITHM = "sha256-manifest"
FILE_ALGORITHM = "sha256"

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class FileStat:
    """What the stat cache keys on; any difference means the content may differ."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStat:
        return cls(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def hash_file(path: Path, display: str, progress: Progress | None = None) -> tuple[str, FileStat]:
    """The sha256 of ``path`` and its stat, refusing a file that changed while it was read."""
    import hashlib  # lazily: a warm `data status` of single files never loads OpenSSL

    digest = hashlib.sha256()
    read = 0
    try:
        with open(path, "rb", buffering=0) as handle:
            before = FileStat.of(os.fstat(handle.fileno()))
            # A small file gets a small buffer: zero-filling CHUNK bytes per file would
            # dominate hashing a thousand 1 MiB shards.
            buffer = bytearray(min(CHUNK, max(before.size + 1, 1 << 16)))
            view = memoryview(buffer)
            while n := handle.readinto(buffer):
                digest.update(view[:n])
                read += n
                if progress is not None:
                    progress(n)
            after = FileStat.of(os.fstat(handle.fileno()))
        named = FileStat.of(os.stat(path))
    except FileNotFoundError:
        raise GittrainError(f"{display}: no such file") from None
    except OSError as exc:
        raise GittrainError(f"{display}: cannot read: {exc.strerror}") from None
    if before != after or after != named or read != after.size:
        raise GittrainError(
            f"{display}: changed while it was being hashed; nothing was recorded, try again"
        )
    return digest.hexdigest(), before


def hash_files(
    paths: Sequence[tuple[Path, str]],
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[tuple[str, FileStat]]:
    """``hash_file`` over many files on all cores; results in input order."""
    if len(paths) <= 1 or workers == 1:
        return [hash_file(p, d, progress) for p, d in paths]
    from concurrent.futures import ThreadPoolExecutor  # only when there is work to share

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return list(pool.map(lambda pd: hash_file(pd[0], pd[1], progress), paths))


def manifest_hash(entries: Sequence[tuple[str, str]]) -> str:
    """sha256 over the sorted ``relative-path  sha256`` lines of a directory's files."""
    import hashlib

    digest = hashlib.sha256()
    for rel, sha in sorted(entries, key=lambda e: e[0].encode("utf-8", "surrogateescape")):
        digest.update(f"{rel}  {sha}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
