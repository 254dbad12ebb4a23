"""Writing files the user asked for (jobs, recipes): no clobbering, no escaping the work tree,
OS errors as messages."""

from __future__ import annotations

from pathlib import Path

from gittrain.core.atomic import atomic_write as _replace
from gittrain.core.confine import escape
from gittrain.errors import GittrainError, usage_error


def confine(root: Path, path: Path, shown: str) -> Path:
    """``path`` itself; a usage error (exit 2) when its real location is outside ``root``."""
    problem = escape(root, path)
    if problem is not None:
        raise usage_error(f"{shown}: {problem}")
    return path


def atomic_write(
    path: Path, data: bytes, *, shown: str, root: Path, overwrite: bool = False
) -> None:
    """Write ``data`` to ``path`` crash-safely (see :func:`gittrain.core.atomic.atomic_write`).

    Refuses a ``path`` whose real location is outside ``root`` (exit 2), and an existing
    file unless ``overwrite``; ``shown`` names the file in messages.  On failure ``path``
    is untouched and no temp file remains.
    """
    confine(root, path, shown)
    if path.exists() and not overwrite:
        raise GittrainError(f"{shown}: already exists (use --force to replace it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, data)
    except OSError as exc:
        raise usage_error(f"{shown}: cannot write: {exc.strerror}") from None
