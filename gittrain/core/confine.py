"""Keeping reads and writes inside the work tree: the check is on real paths, symlinks resolved."""

from __future__ import annotations

from pathlib import Path


def escape(root: Path, path: Path) -> str | None:
    """Why ``path`` is not really inside ``root`` (None when it is).

    A committed symlink (``jobs -> /elsewhere``) must not let a command read or
    write outside the work tree, so the spelled path is not enough.
    """
    try:
        real = path.resolve()
        base = root.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return "cannot resolve the path (a symlink loop?)"
    if real != base and base not in real.parents:
        return f"resolves to {real}, outside the repository {base}"
    return None
