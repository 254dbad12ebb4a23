"""Which dataset paths are acceptable: relative POSIX paths that stay inside the repository."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.errors import GittrainError, usage_error

if TYPE_CHECKING:
    from gittrain.adapters.remote.urls import RemoteURL

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_relpath(path: str) -> str:
    """``path`` normalised (``./`` and trailing ``/`` dropped), or an error saying why not."""
    if not path or "\0" in path:
        raise GittrainError(f"{path!r}: not a valid path")
    if "\\" in path:
        raise GittrainError(f"{path}: use forward slashes; backslashes are not allowed in paths")
    if path.startswith("/") or _DRIVE.match(path):
        raise GittrainError(
            f"{path}: absolute paths are not allowed; give a path relative to the repository root"
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise GittrainError(f"{path}: '..' would leave the repository; paths must stay inside it")
    if not parts:
        raise GittrainError(f"{path}: the repository root itself cannot be a dataset")
    if parts[0] == ".git":
        raise GittrainError(f"{path}: paths inside .git cannot be datasets")
    return "/".join(parts)


def resolve_inside(root: Path, rel: str) -> Path:
    """The absolute path for ``rel``; refuses a symlink that leads outside ``root``."""
    path = root / rel
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise GittrainError(f"{rel}: {exc.strerror} (a symlink loop)") from None
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(Path(os.path.realpath(root))):
        raise usage_error(f"{rel}: is a symlink that resolves outside the repository ({real})")
    return path


def hub_dataset(ref: str, base: Path) -> RemoteURL | None:
    """The Hub dataset a bare ``ORG/NAME[@REV]`` names, or None when it is not one or
    something local has that name: the path exists under ``base``, its first directory
    does, or it ends in a data file suffix.  `data add` and the unlocked-dataset hint
    both read a reference this way."""
    from gittrain.adapters.remote import urls
    from gittrain.core.data.formats import detect_format

    first = ref.split("/", 1)[0]
    if detect_format(ref) is not None or (base / ref).exists() or (base / first).is_dir():
        return None
    return urls.hub_id(ref)
