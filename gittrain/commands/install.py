"""`git train install --diff`: the textconv driver, scoped to the configs, with its cache on.

The driver applies only to the paths `.gittrain.yaml` names as configs (recipes_dir,
jobs_dir, config_dirs and `diff: paths:`) and to the lockfile, through a block of
`.gitattributes` lines gittrain owns and rewrites whole.  Its command carries the
rules' fingerprint (gittrain/core/textconvkey.py), so git's textconv cache can stay on.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.atomic import atomic_write
from gittrain.core.textconvkey import fingerprint
from gittrain.errors import GittrainError, usage_error

DRIVER = "gittrain"
TEXTCONV_KEY = f"diff.{DRIVER}.textconv"
CACHE_KEY = f"diff.{DRIVER}.cachetextconv"
CACHE_REF = f"refs/notes/textconv/{DRIVER}"
# The click-free driver (gittrain/textconv_driver.py), not `git train textconv`:
# git runs it once per file, and it starts in about half the time.
TEXTCONV_COMMAND = "git-train-textconv"
BEGIN = "# gittrain diff: begin (written by `git train install --diff` from .gittrain.yaml)"
END = "# gittrain diff: end"


class Unread:
    """The marker for "git's config was not read yet" (None means "read, and not set")."""


UNREAD = Unread()
# What `install --diff` wrote before the lines were scoped; removed on sight.
LEGACY_PATTERNS = ("*.yaml", "*.yml")
SUFFIXES = (".yaml", ".yml")


# A NamedTuple, not a dataclass: the pre-commit hook imports this module (gittrain/document.py).
class InstallResult(NamedTuple):
    """What changed; empty when everything was already in place."""

    config_set: tuple[str, ...]
    attributes_added: tuple[str, ...]
    attributes_file: str
    attributes_removed: tuple[str, ...] = ()


def command(root: Path) -> str:
    """The driver command for the rules in force at ``root`` (what the driver itself computes)."""
    from gittrain.commands.textconv import settings_rules

    return f"{TEXTCONV_COMMAND} --rules={fingerprint(settings_rules(root)[1])}"


def attribute_lines(root: Path) -> list[str]:
    """``PATTERN diff=gittrain`` for every configured config path, then the lockfile."""
    from gittrain.core import importance  # not at the top: the hooks import this module

    conf = settings.load(root)
    policy = importance.load(conf.document)  # a broken `diff:` section is reported here
    patterns: list[str] = []
    for path in (*conf.watched_dirs, *policy.paths):
        patterns += yaml_patterns(path)
    patterns.append(conf.lockfile)
    return [f"{_quoted(p)} diff={DRIVER}" for p in dict.fromkeys(patterns)]


def yaml_patterns(path: str) -> list[str]:
    """The YAML files under a configured directory (or glob): `a` -> `a/**/*.yaml`, ...

    A pattern that names YAML files already (`configs/*.yaml`) is kept as it is;
    one whose last part ends in `*` (`exp/*`) also covers the YAML files it matches.
    """
    path = path.strip("/")
    if path.endswith(SUFFIXES):
        return [path]
    while path.endswith("/**"):
        path = path[: -len("/**")]
    if path in ("", "**"):
        return [f"*{suffix}" for suffix in SUFFIXES]
    found = [f"{path}/**/*{suffix}" for suffix in SUFFIXES]
    if path.endswith("*"):
        found += [f"{path}{suffix}" for suffix in SUFFIXES]
    return found


def _quoted(pattern: str) -> str:
    """git reads a pattern with spaces, quotes or a leading ``#``/``!`` only C-quoted."""
    if not any(c in pattern for c in ' \t"\\') and not pattern.startswith(("#", "!")):
        return pattern
    escaped = pattern.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'


def install_diff(root: Path) -> InstallResult:
    """Set the driver (cache on) and write gittrain's `.gitattributes` block, idempotently."""
    wanted = attribute_lines(root)
    config_set: list[str] = []
    for key, value in ((TEXTCONV_KEY, command(root)), (CACHE_KEY, "true")):
        if gitrepo.get_config(root, key) != value:
            gitrepo.set_config(root, key, value)
            config_set.append(f"{key}={value}")
    added, removed = write_block(root, wanted)
    return InstallResult(tuple(config_set), added, ".gitattributes", removed)


def sync_command(root: Path, current: str | None = None) -> bool:
    """Point an installed driver at the rules in force; False when none is installed or it is.

    The hooks and the driver call this: a rule change then never reaches
    more than the one git command that notices it.
    """
    configured = installed_command(root)
    return configured is not None and _sync(root, configured, current)


def _sync(root: Path, configured: str, current: str | None) -> bool:
    wanted = command(root) if current is None else f"{TEXTCONV_COMMAND} --rules={current}"
    if configured == wanted:
        return False
    gitrepo.set_config(root, TEXTCONV_KEY, wanted)
    return True


def installed_command(root: Path) -> str | None:
    """The driver command configured, when it is gittrain's (not a driver of the user's own)."""
    return _ours(gitrepo.get_config(root, TEXTCONV_KEY))


def _ours(configured: str | None) -> str | None:
    if configured is None or configured.split(" ", 1)[0] != TEXTCONV_COMMAND:
        return None
    return configured


def block_is_stale(root: Path) -> bool:
    """An installed driver whose `.gitattributes` block no longer matches the settings."""
    return installed_command(root) is not None and _block_is_stale(root)


def sync_for_hook(root: Path, config: str | Unread | None = UNREAD) -> bool:
    """:func:`sync_command`, then :func:`block_is_stale`, reading git's config once: most
    repositories have no driver installed, and each hook then pays for one `git config`.
    ``config`` is the driver's configured command when the caller has read it already."""
    configured = installed_command(root) if isinstance(config, Unread) else _ours(config)
    if configured is None:
        return False
    _sync(root, configured, None)
    return _block_is_stale(root)


def _block_is_stale(root: Path) -> bool:
    path = root / ".gitattributes"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    if BEGIN not in lines or END not in lines:
        return True
    block = [line for line in lines[lines.index(BEGIN) + 1 : lines.index(END)] if line]
    return block != attribute_lines(root)


def uninstall_diff(root: Path) -> InstallResult:
    """Undo :func:`install_diff`: unset the driver, drop its cache and its block."""
    config = tuple(key for key in (TEXTCONV_KEY, CACHE_KEY) if gitrepo.unset_config(root, key))
    gitrepo.run(root, ["update-ref", "-d", CACHE_REF], check=False, env=gitrepo.clean_env())
    _added, removed = write_block(root, [])
    return InstallResult(config, (), ".gitattributes", removed)


def write_block(root: Path, wanted: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Make gittrain's block hold ``wanted`` (none: no block); returns (added, removed).

    Lines outside the block are the user's and stay, except the unscoped ones
    older versions wrote.  The file goes when nothing else is left in it.
    """
    path = root / ".gitattributes"
    text = _read(path) if path.exists() else ""
    lockfile = settings.load(root).lockfile
    legacy = {f"{p} diff={DRIVER}" for p in (*LEGACY_PATTERNS, lockfile)}
    kept: list[str] = []
    old: list[str] = []
    at = None  # where the block was, to put it back in the same place
    inside = False
    for line in text.splitlines():
        normal = " ".join(line.split())
        if line.strip() == BEGIN:
            inside, at = True, len(kept)
        elif inside and line.strip() == END:
            inside = False
        elif inside:
            if normal:
                old.append(normal)
        elif normal in legacy and normal not in old:
            old.append(normal)
        else:
            kept.append(line)
    block = [BEGIN, *wanted, END] if wanted else []
    at = len(kept) if at is None else at
    lines = [*kept[:at], *block, *kept[at:]]
    added = tuple(line for line in wanted if line not in old)
    removed = tuple(line for line in old if line not in wanted)
    new_text = "".join(f"{line}\n" for line in lines)
    if new_text != text:
        _write(path, new_text if any(line.strip() for line in lines) else None)
    return added, removed


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise usage_error(f".gitattributes: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise GittrainError(".gitattributes: not valid UTF-8") from None


def _write(path: Path, text: str | None) -> None:
    """Replace ``path`` with ``text``; None removes it."""
    try:
        if text is not None:
            atomic_write(path, text.encode("utf-8"))
        elif path.is_file():
            path.unlink()
    except OSError as exc:
        raise usage_error(f".gitattributes: cannot write: {exc.strerror}") from None


def remove_attributes(root: Path, lines: set[str]) -> tuple[str, ...]:
    """Drop these exact ``.gitattributes`` lines (whitespace-normalised); the file goes if empty."""
    path = root / ".gitattributes"
    if not path.is_file():
        return ()
    text = _read(path)
    kept: list[str] = []
    removed: list[str] = []
    for line in text.splitlines():
        (removed if " ".join(line.split()) in lines else kept).append(line)
    if not removed:
        return ()
    _write(path, "".join(f"{line}\n" for line in kept) if any(x.strip() for x in kept) else None)
    return tuple(removed)
