"""The repository's own settings file, `.gittrain.yaml`, narrowed to a record."""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from gittrain.document import Document, format_path
from gittrain.errors import at

SETTINGS_FILE = ".gittrain.yaml"
SEVERITIES = ("off", "warning", "error")


class RemoteCheck(str, enum.Enum):
    """Whether the data check (`check-data`, the pre-commit hook) asks the storage provider
    about locked remote datasets: ``skip`` keeps every commit offline."""

    VERIFY = "verify"
    SKIP = "skip"


# Records here are NamedTuples, not dataclasses: every hook and `data status` load the
# settings (see gittrain/document.py).
class DataSettings(NamedTuple):
    """The ``data:`` section: how the data check treats the datasets jobs name."""

    # A job naming a dataset the lockfile does not hold: off | warning | error.
    # None: as ``rules: {data: ...}`` says (error by default).
    unlocked: str | None = None
    remote: RemoteCheck = RemoteCheck.SKIP


DATA_KEYS = ("unlocked", "remote")


# Shared by every Settings made without these sections; typed read-only.
_NO_RULES: Mapping[str, str] = {}
_NO_DIALECTS: Mapping[str, str] = {}
_NO_SPELLINGS: Mapping[str, Mapping[str, str]] = {}


class Settings(NamedTuple):
    """Where things live in the repository and how checks behave."""

    recipes_dir: str = "recipes"
    jobs_dir: str = "jobs"
    config_dirs: tuple[str, ...] = ("configs",)
    lockfile: str = "gittrain.lock"
    # rule id -> "off" | "warning" | "error" (sanity-rule overrides)
    rules: Mapping[str, str] = _NO_RULES
    # path glob -> dialect name, and dialect -> {native path: idea} (checked by core.dialects)
    dialects: Mapping[str, str] = _NO_DIALECTS
    spellings: Mapping[str, Mapping[str, str]] = _NO_SPELLINGS
    data: DataSettings = DataSettings()
    # The whole parsed document, for sections later features read (diff rules).
    document: Document | None = None

    @property
    def watched_dirs(self) -> tuple[str, ...]:
        return (self.recipes_dir, self.jobs_dir, *self.config_dirs)


def load(root: Path | None) -> Settings:
    """Settings for the repository at ``root``; defaults when there is no file."""
    if root is None:
        return Settings()
    path = root / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    return from_doc(_document(root, path))


def _document(root: Path, path: Path) -> Document:
    """The settings file parsed, or its parse from the cache when it holds this exact text
    (gittrain/core/settingscache.py): a hook's fast path then imports no YAML parser."""
    from gittrain.adapters import gitdir
    from gittrain.core import settingscache
    from gittrain.errors import GittrainError

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")  # as yamlio decodes it
        git_dir = gitdir.git_dir(root)
    except (OSError, UnicodeDecodeError, GittrainError):
        # yamlio says what is wrong with the file; outside a repository there is no cache.
        from gittrain.adapters import yamlio

        return yamlio.load_file(path, SETTINGS_FILE)
    cached = settingscache.read(git_dir, text, SETTINGS_FILE)
    if cached is not None:
        return cached
    from gittrain.adapters import yamlio  # not at the top: see above

    doc = yamlio.load_bytes(raw, SETTINGS_FILE)
    settingscache.write(git_dir, text, doc)
    return doc


def from_doc(doc: Document) -> Settings:
    data = doc.data
    assert isinstance(data, dict)

    def text(key: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise at(doc, (key,), f"{key}: expected a non-empty string")
        return _relative_dir(doc, key, value)

    config_dirs = data.get("config_dirs", ["configs"])
    if not isinstance(config_dirs, list) or not all(isinstance(d, str) for d in config_dirs):
        raise at(doc, ("config_dirs",), "config_dirs: expected a list of paths")
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        raise at(doc, ("rules",), f"rules: expected a mapping of rule id to {'|'.join(SEVERITIES)}")
    for rule_id, severity in rules.items():
        _known_rule(doc, rule_id)
        if severity not in SEVERITIES:
            raise at(
                doc,
                ("rules", rule_id),
                f"{format_path(('rules', rule_id))}: "
                f"expected one of {', '.join(SEVERITIES)}, not {severity!r}",
            )
    dialects = data.get("dialects", {})
    if not isinstance(dialects, dict) or not all(
        isinstance(v, str) and v for v in dialects.values()
    ):
        raise at(doc, ("dialects",), "dialects: expected a mapping of path glob to dialect name")
    spellings = data.get("spellings", {})
    if not isinstance(spellings, dict) or not all(
        isinstance(m, dict) and all(isinstance(i, str) and i for i in m.values())
        for m in spellings.values()
    ):
        raise at(doc, ("spellings",), "spellings: expected dialect -> {native path: idea} mappings")
    return Settings(
        recipes_dir=text("recipes_dir", "recipes"),
        jobs_dir=text("jobs_dir", "jobs"),
        config_dirs=tuple(_relative_dir(doc, "config_dirs", d) for d in config_dirs),
        lockfile=text("lockfile", "gittrain.lock"),
        rules=dict(rules),
        dialects=dict(dialects),
        spellings={name: dict(m) for name, m in spellings.items()},
        data=_data(doc, data.get("data")),
        document=doc,
    )


def _data(doc: Document, raw: object) -> DataSettings:
    """The ``data:`` section, strictly: a key or value it does not know would do nothing."""
    if raw is None:
        return DataSettings()
    if not isinstance(raw, dict):
        raise at(doc, ("data",), "data: expected a mapping (unlocked: ..., remote: ...)")
    for key in raw:
        if key not in DATA_KEYS:
            import difflib

            path = ("data", str(key))
            close = difflib.get_close_matches(str(key), DATA_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(DATA_KEYS)}"
            raise at(doc, path, f"{format_path(path)}: unknown key {key!r}; {hint}")
    unlocked = raw.get("unlocked")
    if "unlocked" in raw and unlocked not in SEVERITIES:
        raise at(
            doc,
            ("data", "unlocked"),
            f"data.unlocked: expected one of {', '.join(SEVERITIES)}, not {unlocked!r}",
        )
    remote = raw.get("remote", RemoteCheck.SKIP.value)
    known = [r.value for r in RemoteCheck]
    if remote not in known:
        raise at(
            doc,
            ("data", "remote"),
            f"data.remote: expected one of {', '.join(known)}, not {remote!r}",
        )
    return DataSettings(unlocked, RemoteCheck(remote))


def _known_rule(doc: Document, rule_id: str) -> None:
    """A setting for a rule that does not exist would be accepted and do nothing: refuse it."""
    from gittrain.core.rules import ALL_IDS  # only when a repository sets rules

    if rule_id in ALL_IDS:
        return
    import difflib

    close = difflib.get_close_matches(rule_id, ALL_IDS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(ALL_IDS)}"
    path = ("rules", rule_id)
    raise at(doc, path, f"{format_path(path)}: unknown rule id {rule_id!r}; {hint}")


def _relative_dir(doc: Document, key: str, value: str) -> str:
    cleaned = value.strip().strip("/")
    parts = cleaned.split("/")
    if value.startswith("/") or "\\" in value or any(p in ("", "..") for p in parts):
        raise at(doc, (key,), f"{key}: {value!r} must be a relative path inside the repository")
    # Inside .git a write could plant a hook; a glob in a file name widens what gittrain
    # matches and cleans up (only config_dirs are globs by design).
    if any(p.lower() == ".git" for p in parts):
        raise at(doc, (key,), f"{key}: {value!r} must not point inside .git")
    if key != "config_dirs" and any(c in cleaned for c in "*?[]"):
        raise at(doc, (key,), f"{key}: {value!r} must not hold glob characters")
    return cleaned


def is_config_path(rel: str, settings: Settings) -> bool:
    """Whether ``rel`` is a file `git train validate` checks by default."""
    if rel in (settings.lockfile, SETTINGS_FILE):
        return True
    if not rel.endswith((".yaml", ".yml", ".json")):
        return False
    return any(under(rel, d) for d in settings.watched_dirs)


def under(rel: str, directory: str) -> bool:
    """``rel`` lies in ``directory`` (or matches it as a glob)."""
    return rel.startswith(directory.rstrip("/") + "/") or fnmatch.fnmatch(rel, directory)
