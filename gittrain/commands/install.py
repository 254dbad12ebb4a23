"""`git train install`: wire gittrain into a repository's git configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.atomic import atomic_write

TEXTCONV_KEY = "diff.gittrain.textconv"
# The click-free driver (gittrain/textconv_driver.py), not `git train textconv`:
# git runs it once per file, and it starts in about half the time.
TEXTCONV_COMMAND = "git-train-textconv"
ATTRIBUTE_PATTERNS = ("*.yaml", "*.yml")


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What changed; empty when everything was already in place."""

    config_set: tuple[str, ...]
    attributes_added: tuple[str, ...]
    attributes_file: str


def install_diff(root: Path) -> InstallResult:
    """Set ``diff.gittrain.textconv`` and add the ``.gitattributes`` lines, idempotently."""
    config_set: tuple[str, ...] = ()
    if gitrepo.get_config(root, TEXTCONV_KEY) != TEXTCONV_COMMAND:
        gitrepo.set_config(root, TEXTCONV_KEY, TEXTCONV_COMMAND)
        config_set = (f"{TEXTCONV_KEY}={TEXTCONV_COMMAND}",)
    lockfile = settings.load(root).lockfile
    wanted = [f"{pattern} diff=gittrain" for pattern in (*ATTRIBUTE_PATTERNS, lockfile)]
    path = root / ".gitattributes"
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    present = {" ".join(line.split()) for line in existing.splitlines()}
    missing = [line for line in wanted if line not in present]
    if missing:
        text = existing if not existing or existing.endswith("\n") else existing + "\n"
        atomic_write(path, (text + "".join(f"{line}\n" for line in missing)).encode("utf-8"))
    return InstallResult(config_set, tuple(missing), ".gitattributes")


def uninstall_diff(root: Path) -> InstallResult:
    """Undo :func:`install_diff`: unset the driver and drop the lines it added."""
    config = (TEXTCONV_KEY,) if gitrepo.unset_config(root, TEXTCONV_KEY) else ()
    lockfile = settings.load(root).lockfile
    lines = {f"{pattern} diff=gittrain" for pattern in (*ATTRIBUTE_PATTERNS, lockfile)}
    return InstallResult(config, remove_attributes(root, lines), ".gitattributes")


def remove_attributes(root: Path, lines: set[str]) -> tuple[str, ...]:
    """Drop these exact ``.gitattributes`` lines (whitespace-normalised); the file goes if empty."""
    path = root / ".gitattributes"
    if not path.is_file():
        return ()
    text = path.read_text(encoding="utf-8")
    kept: list[str] = []
    removed: list[str] = []
    for line in text.splitlines():
        (removed if " ".join(line.split()) in lines else kept).append(line)
    if not removed:
        return ()
    if any(line.strip() for line in kept):
        atomic_write(path, "".join(f"{line}\n" for line in kept).encode("utf-8"))
    else:
        path.unlink()
    return tuple(removed)
