"""The stat walk of a dataset: every file's name and stat, gathered in one pass."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.core.data.datapaths import resolve_inside
from gittrain.errors import GittrainError

if TYPE_CHECKING:  # hashing loads only once something is looked up or hashed
    from gittrain.core.data.hashing import FileStat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


# A builder filled in place, never compared or printed: a plain slotted class, because
# each @dataclass costs ~0.6 ms of import that every `data status` pays (issue 14.3).
class Walk:
    """Files in walk order with their stats as flat lists of ints (no per-file objects:
    `data status` walks 100,000 files on every call)."""

    __slots__ = ("inodes", "names", "odd", "times")

    def __init__(self) -> None:
        self.names: list[str] = []  # repo-relative
        # size, mtime_ns, ctime_ns of each file in turn (3 ints a file)
        self.times: list[int] = []
        self.inodes: list[int] = []
        # files that vanished or are not regular, with the error each gets (after the
        # walk, so a symlinked directory or a git-lfs pointer is reported first)
        self.odd: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self.names)

    def stat(self, i: int) -> FileStat:
        from gittrain.core.data.hashing import FileStat

        t = self.times
        return FileStat(t[3 * i], t[3 * i + 1], self.inodes[i], t[3 * i + 2])

    def iter_stats(self) -> Iterator[FileStat]:
        """``stat(i)`` of every file in walk order."""
        from gittrain.core.data.hashing import FileStat

        t = self.times
        for i, inode in enumerate(self.inodes):
            yield FileStat(t[3 * i], t[3 * i + 1], inode, t[3 * i + 2])

    def set_stat(self, i: int, st: FileStat) -> None:
        self.times[3 * i : 3 * i + 3] = [st.size, st.mtime_ns, st.ctime_ns]
        self.inodes[i] = st.inode

    def size(self) -> int:
        return sum(self.times[0::3])

    def stats(self) -> dict[str, FileStat]:
        return dict(zip(self.names, self.iter_stats(), strict=True))


def walk_file(st: os.stat_result, rel: str) -> Walk:
    """The walk of a single file dataset, from its stat."""
    out = Walk()
    out.names.append(rel)
    out.times += (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    out.inodes.append(st.st_ino)
    return out


def walk_dir(root: Path, rel: str) -> Walk:
    """Every file under directory ``rel`` with its stat, following symlinked files inside
    the repository; refuses a symlinked directory or a link that leads outside.

    ``os.scandir`` on directory descriptors: each stat is an ``fstatat`` by bare name,
    not a path walk from the root, and pathlib objects would cost more than the stats.
    """
    resolve_inside(root, rel)
    out = Walk()
    stack = [(os.open(os.path.join(root, rel), _DIR_FLAGS), rel)]
    try:
        while stack:
            fd, prefix = stack[-1]
            stack.pop()
            try:
                _scan(root, fd, prefix, out, stack)
            finally:
                os.close(fd)
    finally:
        for fd, _ in stack:
            os.close(fd)
    return out


def _scan(root: Path, fd: int, prefix: str, out: Walk, stack: list[tuple[int, str]]) -> None:
    names, times, inodes = out.names, out.times, out.inodes
    with os.scandir(fd) as entries:
        for entry in entries:
            sub = f"{prefix}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((os.open(entry.name, _DIR_FLAGS, dir_fd=fd), sub))
                continue
            if entry.is_symlink():
                resolve_inside(root, sub)
                if entry.is_dir():
                    raise GittrainError(
                        f"{sub}: symlinked directories inside a dataset are not supported; "
                        "link the files or move the data"
                    )
            try:
                st = entry.stat()
            except FileNotFoundError:
                out.odd.append((sub, f"{sub}: no such file"))
                continue
            if not stat.S_ISREG(st.st_mode):
                out.odd.append((sub, f"{sub}: not a regular file (a FIFO, socket or device)"))
                continue
            names.append(sub)
            times += (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            inodes.append(st.st_ino)


def sort_key(rel: str) -> bytes:
    return rel.encode("utf-8", "surrogateescape")
