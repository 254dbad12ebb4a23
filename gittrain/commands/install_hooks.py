"""Installing and removing the native git hooks (hooks/*), chaining to hooks already there."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core.atomic import atomic_write
from gittrain.core.resources import data_dir
from gittrain.errors import usage_error

HOOK_NAMES = ("pre-commit", "prepare-commit-msg", "post-merge", "post-checkout")
MARKER = "# gittrain-hook "
BACKUP_SUFFIX = ".pre-gittrain"
EDITED_SUFFIX = ".gittrain-edited"


@dataclass(frozen=True, slots=True)
class HookChange:
    """``action`` is installed, updated, unchanged, removed or restored."""

    name: str
    action: str
    chained: bool = False  # a hook that was there first is kept and runs first
    kept: str | None = None  # where an edited gittrain hook was moved before uninstall


@dataclass(frozen=True, slots=True)
class HooksResult:
    directory: Path
    changes: tuple[HookChange, ...]


def is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return MARKER.encode() in handle.read(512)
    except OSError:
        return False


def install_hooks(root: Path) -> HooksResult:
    """Write each hook into git's hooks directory; an existing foreign hook is moved aside.

    Every check is made before anything is written, so a refusal leaves the
    directory as it was.
    """
    directory = gitrepo.hooks_dir(root)
    _require_writable(directory)
    plan: list[tuple[str, bytes, bool]] = []  # name, script, move the existing hook aside
    for name in HOOK_NAMES:
        target, backup = directory / name, directory / (name + BACKUP_SUFFIX)
        foreign = (target.exists() or target.is_symlink()) and not is_ours(target)
        if foreign and (backup.exists() or backup.is_symlink()):
            raise usage_error(
                f"{target}: an existing hook is in the way and {backup.name} is taken; "
                "merge them by hand, then run `git train install --hooks` again"
            )
        plan.append((name, (data_dir("hooks") / name).read_bytes(), foreign))
    changes = []
    for name, script, foreign in plan:
        target, backup = directory / name, directory / (name + BACKUP_SUFFIX)
        if foreign:
            os.replace(target, backup)
        elif target.exists() and target.read_bytes() == script and os.access(target, os.X_OK):
            changes.append(HookChange(name, "unchanged", backup.exists()))
            continue
        action = "updated" if target.exists() else "installed"
        _write_script(target, script)
        changes.append(HookChange(name, action, foreign or backup.exists()))
    return HooksResult(directory, tuple(changes))


def uninstall_hooks(root: Path) -> HooksResult:
    """Remove gittrain's hooks and put back the hooks they had moved aside."""
    directory = gitrepo.hooks_dir(root)
    changes = []
    for name in HOOK_NAMES:
        target, backup = directory / name, directory / (name + BACKUP_SUFFIX)
        if not is_ours(target):
            continue
        _require_writable(directory)
        try:
            kept = _keep_edits(target, (data_dir("hooks") / name).read_bytes())
            if backup.exists() or backup.is_symlink():
                os.replace(backup, target)
                changes.append(HookChange(name, "restored", True, kept))
            else:
                if kept is None:
                    target.unlink()
                changes.append(HookChange(name, "removed", kept=kept))
        except OSError as exc:
            raise usage_error(f"{target}: cannot remove the hook: {exc.strerror}") from None
    return HooksResult(directory, tuple(changes))


def _keep_edits(target: Path, script: bytes) -> str | None:
    """Move a gittrain hook someone edited aside (never over an earlier copy); its new name.

    "Edited" means it differs from the script this gittrain installs, so a hook
    left by an older gittrain is kept too: a spare copy, never a lost edit.
    """
    if target.read_bytes() == script:
        return None
    number = 1
    while True:
        name = target.name + EDITED_SUFFIX + (f".{number}" if number > 1 else "")
        kept = target.with_name(name)
        if not (kept.exists() or kept.is_symlink()):
            os.replace(target, kept)
            return name
        number += 1


def _require_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise usage_error(
            f"{directory}: cannot create the hooks directory: {exc.strerror}"
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise usage_error(
            f"{directory}: the hooks directory (core.hooksPath or .git/hooks) is not writable"
        )


def _write_script(target: Path, script: bytes) -> None:
    try:
        atomic_write(target, script)
        target.chmod(0o755)
    except OSError as exc:
        raise usage_error(f"{target}: cannot write the hook: {exc.strerror}") from None
