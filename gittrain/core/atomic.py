"""Crash-safe file replacement and the exclusive lock around read-modify-write cycles."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from gittrain.errors import usage_error

# Test-only: seconds to sleep after the temp file is durable and before the
# rename, so a test can kill -9 the writer at the worst moment.
_DELAY_ENV = "GITTRAIN_TEST_WRITE_DELAY"
# The random part between our prefix and suffix: 8 hex digits (tempfile.mkstemp, which
# wrote the temp files before, used 8 of [a-z0-9_]; both are matched).
_MKSTEMP_PART = re.compile(r"[a-z0-9_]{8}")


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold ``flock(LOCK_EX)`` on ``lock_path`` (created if needed) for the block.

    The kernel drops the lock when the process dies, so a killed writer never
    leaves a stale lock behind.
    """
    fd = _acquire(lock_path)
    try:
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def command_lock(lock_path: Path) -> Iterator[None]:
    """:func:`exclusive_lock` for a command that must write: a lock that cannot be taken
    (a read-only ``.git``) is a usage error naming the file, not a crash."""
    try:
        fd = _acquire(lock_path)
    except OSError as exc:
        raise usage_error(
            f"{lock_path}: cannot take the lock: {exc.strerror} (is .git read-only?); "
            "nothing was changed"
        ) from None
    try:
        yield
    finally:
        os.close(fd)


def _acquire(lock_path: Path) -> int:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same directory, fsync, rename, fsync dir.

    On any failure the old file is untouched and the temp file is removed.
    """
    _replace(path, data, durable=True)


def replace_file(path: Path, data: bytes) -> None:
    """:func:`atomic_write` without the fsyncs, for files nothing needs after a crash.

    A cache left empty or old by a crash is ignored by its reader, and the commit message
    a hook edits is read by git at once (a crash loses the commit anyway); a hook should
    not wait for the disk (the two fsyncs took ~10 ms here).  Readers never see a partly
    written file, and a failed write leaves the old file whole.
    """
    _replace(path, data, durable=False)


def _replace(path: Path, data: bytes, *, durable: bool) -> None:
    """Write ``data`` to a new temp file beside ``path`` (with ``path``'s mode), then rename
    it over ``path``; ``durable``: synced to disk, file and directory, before and after."""
    directory = path.parent
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = _temp_file(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        delay = os.environ.get(_DELAY_ENV) if durable else None
        if delay:
            time.sleep(float(delay))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(directory)


def _temp_file(path: Path) -> tuple[int, Path]:
    """A new file (mode 0600) beside ``path``, named as :func:`remove_stale_temps` expects
    (without importing `tempfile`, ~4 ms that hooks and read-mostly commands skip)."""
    for _attempt in range(100):
        tmp = path.parent / f"{temp_prefix(path)}{os.urandom(4).hex()}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: no free temporary name")  # pragma: no cover


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: Path) -> None:
    """Delete temp files a killed writer left next to ``path``; call only under the lock.

    Only names :func:`atomic_write` makes (prefix, an 8-character random part, ``.tmp``) are
    touched, matched literally: ``path``'s name is never used as a glob pattern.
    """
    prefix = temp_prefix(path)
    with contextlib.suppress(OSError):
        for stale in path.parent.iterdir():
            middle = stale.name[len(prefix) : -len(".tmp")]
            if (
                stale.name.startswith(prefix)
                and stale.name.endswith(".tmp")
                and _MKSTEMP_PART.fullmatch(middle)
                and stale.is_file()
                and not stale.is_symlink()
            ):
                with contextlib.suppress(OSError):
                    stale.unlink()
