"""The stat cache in the git directory: verify unchanged files without reading them.

One file per dataset path under ``.git/gittrain/statcache/`` holds the walk it last saw
as packed arrays (names, stats, sha256s, hashing times) and the dataset's digest.  An
unchanged dataset is verified by comparing the walk's packed stats with the file's, byte
for byte; nothing is parsed into per-file objects unless something changed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import sys
import time
import zlib
from array import array
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.core.atomic import atomic_write, exclusive_lock

if TYPE_CHECKING:
    from gittrain.core.data.filewalk import Walk
    from gittrain.core.data.hashing import FileStat

MAGIC = b"gittrain-statcache\n"
CACHE_VERSION = 2
# A file whose mtime falls this close to the moment we hashed it may be
# rewritten later within the same timestamp tick and look unchanged (git's
# "racy" entries).  2 s covers the coarsest common file systems (FAT).
RACY_NS = 2_000_000_000
# version, byte order, settled, files, path bytes, names bytes, digest, crc32 of the body
_HEAD = struct.Struct("<IBBIII32sI")
_ORDER = 1 if sys.byteorder == "little" else 0
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_MAX_BYTES = 1 << 32  # 4 GiB: some 40 million files; a bigger file is not one we wrote
_LEGACY = "statcache.json"  # version 1, one JSON object for every file: ignored, removed


def _names_blob(names: list[str]) -> bytes:
    return "\0".join(names).encode("utf-8", "surrogateescape")


# Internal and never compared or printed: a plain slotted class, like StatCache below.
class _Section:
    """One dataset's walk with each file's sha256 and the time it was hashed."""

    __slots__ = ("_index", "digest", "hashed", "inodes", "names", "settled", "shas", "times")

    def __init__(  # noqa: PLR0917 - the fields of the file, in its order
        self,
        names: bytes,
        times: bytes,
        inodes: bytes,
        hashed: bytes,
        shas: bytes,
        digest: bytes,
        settled: bool,
    ) -> None:
        self.names = names  # NUL-separated, in walk order
        self.times = times  # array('q') of size, mtime_ns, ctime_ns per file
        self.inodes = inodes  # array('Q')
        self.hashed = hashed  # array('q') of hashed_at_ns
        self.shas = shas  # 32 raw bytes per file
        self.digest = digest  # the dataset's sha256 (a file's own, a directory's manifest)
        self.settled = settled  # no file's mtime is within RACY_NS of its hashing
        self._index: dict[str, int] | None = None

    def verify(self, walk: Walk) -> str | None:
        if (
            self.settled
            and array("q", walk.times).tobytes() == self.times
            and array("Q", walk.inodes).tobytes() == self.inodes
            and _names_blob(walk.names) == self.names
        ):
            return self.digest.hex()
        return None

    def lookup(self, rel: str, st: FileStat) -> tuple[str, int] | None:
        if self._index is None:
            names = self.names.decode("utf-8", "surrogateescape").split("\0")
            self._index = {name: i for i, name in enumerate(names)}
        i = self._index.get(rel)
        if i is None:
            return None
        times = memoryview(self.times).cast("q")
        size, mtime, ctime = times[3 * i : 3 * i + 3]
        if (size, mtime, ctime) != (st.size, st.mtime_ns, st.ctime_ns):
            return None
        if memoryview(self.inodes).cast("Q")[i] != st.inode:
            return None
        hashed_at: int = memoryview(self.hashed).cast("q")[i]
        if mtime >= hashed_at - RACY_NS:
            return None
        return self.shas[32 * i : 32 * i + 32].hex(), hashed_at

    def encode(self, path: str) -> bytes:
        raw_path = path.encode("utf-8", "surrogateescape")
        body = b"".join((raw_path, self.names, self.times, self.inodes, self.hashed, self.shas))
        n = len(self.inodes) // 8
        head = _HEAD.pack(
            CACHE_VERSION,
            _ORDER,
            self.settled,
            n,
            len(raw_path),
            len(self.names),
            self.digest,
            zlib.crc32(body),
        )
        return MAGIC + head + body


# Mutable state, never compared or printed: a plain slotted class, because each
# @dataclass costs ~0.6 ms of import that every `data status` pays (issue 14.3).
class StatCache:
    """Per dataset path, the files it held when last hashed; loaded one dataset at a time."""

    __slots__ = ("directory", "dirty", "loaded")

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.loaded: dict[str, _Section | None] = {}
        self.dirty: set[str] = set()

    @classmethod
    def load(cls, git_dir: Path | None) -> StatCache:
        return cls(None if git_dir is None else git_dir / "gittrain" / "statcache")

    def verify(self, dataset: str, walk: Walk) -> str | None:
        """The digest of ``dataset`` if every file in ``walk`` is what was last hashed."""
        section = self._section(dataset)
        return None if section is None else section.verify(walk)

    def lookup(self, dataset: str, rel: str, st: FileStat) -> tuple[str, int] | None:
        """The cached sha256 of ``rel`` and when it was hashed, if its stat still matches and
        the entry is not racy."""
        section = self._section(dataset)
        return None if section is None else section.lookup(rel, st)

    def store(
        self, dataset: str, walk: Walk, shas: list[str], hashed_at: list[int], digest: str
    ) -> None:
        """Remember ``walk`` (all of it: files gone from it are dropped) and its hashes."""
        mtimes = walk.times[1::3]
        settled = all(m < h - RACY_NS for m, h in zip(mtimes, hashed_at, strict=True))
        self.loaded[dataset] = _Section(
            _names_blob(walk.names),
            array("q", walk.times).tobytes(),
            array("Q", walk.inodes).tobytes(),
            array("q", hashed_at).tobytes(),
            b"".join(bytes.fromhex(sha) for sha in shas),
            bytes.fromhex(digest),
            settled,
        )
        self.dirty.add(dataset)

    def save(self) -> None:
        """Write the datasets hashed in this run, each atomically under its lock.  Two runs
        that hash the same dataset each write all of its files, so the later one wins
        whole.  A cache that cannot be written is only a slower next run: errors are
        ignored."""
        if self.directory is None or not self.dirty:
            return
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory.parent / _LEGACY).unlink(missing_ok=True)
        for dataset in sorted(self.dirty):
            section = self.loaded[dataset]
            file = self.path_of(dataset)
            with contextlib.suppress(OSError), exclusive_lock(file.with_suffix(".lock")):
                if section is not None:
                    atomic_write(file, section.encode(dataset))
        self.dirty.clear()

    def path_of(self, dataset: str) -> Path:
        assert self.directory is not None
        raw = dataset.encode("utf-8", "surrogateescape")
        return self.directory / f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.bin"

    def _section(self, dataset: str) -> _Section | None:
        if dataset not in self.loaded:
            found = None if self.directory is None else _read(self.path_of(dataset), dataset)
            self.loaded[dataset] = found
        return self.loaded[dataset]


def now_ns() -> int:
    return time.time_ns()


def _read(file: Path, dataset: str) -> _Section | None:
    """The section in ``file`` if it is whole, of this version and for ``dataset``; anything
    else (absent, truncated, damaged, foreign, a symlink or a FIFO) is None: start over."""
    try:
        fd = os.open(file, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        start = len(MAGIC) + _HEAD.size
        if not stat.S_ISREG(st.st_mode) or not start <= st.st_size <= _MAX_BYTES:
            return None
        head = os.pread(fd, start, 0)
        if head[: len(MAGIC)] != MAGIC:
            return None
        version, order, settled, n, path_len, names_len, digest, crc = _HEAD.unpack(
            head[len(MAGIC) :]
        )
        if version != CACHE_VERSION or order != _ORDER or settled > 1:
            return None
        if st.st_size != start + path_len + names_len + 72 * n:
            return None
        body = os.pread(fd, st.st_size - start, start)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(body) != st.st_size - start or zlib.crc32(body) != crc:
        return None
    if body[:path_len] != dataset.encode("utf-8", "surrogateescape"):
        return None
    names = body[path_len : path_len + names_len]
    if names.count(b"\0") != max(n - 1, 0):
        return None
    at = path_len + names_len
    cuts = (at, at + 24 * n, at + 32 * n, at + 40 * n, at + 72 * n)
    return _Section(
        names,
        body[cuts[0] : cuts[1]],
        body[cuts[1] : cuts[2]],
        body[cuts[2] : cuts[3]],
        body[cuts[3] : cuts[4]],
        digest,
        bool(settled),
    )
