"""Writing files the user asked for (jobs, recipes): no clobbering, OS errors as messages."""

from __future__ import annotations

from pathlib import Path

from gittrain.core.atomic import atomic_write as _replace
from gittrain.errors import GittrainError


def atomic_write(path: Path, data: bytes, *, shown: str, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` crash-safely (see :func:`gittrain.core.atomic.atomic_write`).

    Refuses to replace an existing file unless ``overwrite``; ``shown`` names the
    file in messages.  On failure ``path`` is untouched and no temp file remains.
    """
    if path.exists() and not overwrite:
        raise GittrainError(f"{shown}: already exists (use --force to replace it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, data)
    except OSError as exc:
        raise GittrainError(f"{shown}: cannot write: {exc.strerror}") from None
