"""Writing files the tool creates: atomically, so a crash never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from gittrain.errors import GittrainError


def atomic_write(path: Path, data: bytes, *, shown: str, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and ``os.replace``.

    Refuses to replace an existing file unless ``overwrite``; ``shown`` names the
    file in messages.  On any failure the temp file is removed and ``path`` is
    untouched.
    """
    if path.exists() and not overwrite:
        raise GittrainError(f"{shown}: already exists (use --force to replace it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GittrainError(f"{shown}: cannot create its directory: {exc.strerror}") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise GittrainError(f"{shown}: cannot write: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
