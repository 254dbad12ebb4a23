"""Register the lockfile merge driver in git config and .gitattributes (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.atomic import atomic_write
from gittrain.errors import usage_error

DRIVER = "gittrain-lock"
DRIVER_COMMAND = "git train merge-lock %O %A %B"
DRIVER_NAME = "gittrain lockfile merge (union by dataset name)"


@dataclass(frozen=True, slots=True)
class InstallMergeResult:
    config_changed: bool
    attributes_changed: bool


def install_merge(root: Path) -> InstallMergeResult:
    """Set ``merge.gittrain-lock.driver`` and add ``LOCKFILE merge=gittrain-lock``."""
    config_changed = False
    for key, value in (
        (f"merge.{DRIVER}.name", DRIVER_NAME),
        (f"merge.{DRIVER}.driver", DRIVER_COMMAND),
    ):
        if gitrepo.get_config(root, key) != value:
            gitrepo.set_config(root, key, value)
            config_changed = True
    line = f"{settings.load(root).lockfile} merge={DRIVER}"
    attributes = root / ".gitattributes"
    try:
        text = attributes.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise usage_error(f".gitattributes: cannot read: {exc.strerror}") from None
    pattern, attribute = line.split(" ", 1)
    for existing in text.splitlines():
        words = existing.split()
        if words[:1] == [pattern] and attribute in words[1:]:
            return InstallMergeResult(config_changed, False)
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        atomic_write(attributes, (text + line + "\n").encode("utf-8"))
    except OSError as exc:
        raise usage_error(f".gitattributes: cannot write: {exc.strerror}") from None
    return InstallMergeResult(config_changed, True)


def uninstall_merge(root: Path) -> InstallMergeResult:
    """Undo :func:`install_merge`: unset the driver and drop ``LOCKFILE merge=gittrain-lock``."""
    from gittrain.commands.install import remove_attributes

    config_changed = gitrepo.unset_config(root, f"merge.{DRIVER}.name")
    config_changed = gitrepo.unset_config(root, f"merge.{DRIVER}.driver") or config_changed
    removed = remove_attributes(root, {f"{settings.load(root).lockfile} merge={DRIVER}"})
    return InstallMergeResult(config_changed, bool(removed))
