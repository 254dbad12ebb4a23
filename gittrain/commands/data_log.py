"""`git train data log NAME`: every version of a dataset across the lockfile's history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.data import lockfile
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.lockhistory import LockReader, iso_time
from gittrain.errors import GittrainError


class Event(enum.Enum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Version:
    commit: str
    date: str
    author: str
    event: Event
    entry: DatasetEntry | None  # None when the commit removed the dataset
    size_delta: int | None
    samples_delta: int | None


@dataclass(frozen=True, slots=True)
class RevisionError:
    commit: str
    message: str


@dataclass(frozen=True, slots=True)
class LogResult:
    name: str
    versions: tuple[Version, ...]  # newest first
    errors: tuple[RevisionError, ...]


def log(root: Path, name: str) -> LogResult:
    """One `git log` over the lockfile and one `cat-file --batch` for its contents."""
    lockfile.check_name(name)
    rel = settings.load(root).lockfile
    if gitrepo.rev_parse(root, "HEAD") is None:
        return LogResult(name, (), ())
    commits = list(gitrepo.iter_log(root, ["HEAD"], [rel], extra=["--reverse", "--topo-order"]))
    versions: list[Version] = []
    errors: list[RevisionError] = []
    previous: DatasetEntry | None = None
    with gitrepo.CatFile(root) as cat:
        reader = LockReader(cat, rel)
        for commit in commits:
            try:
                lock = reader.at(commit.sha)
            except GittrainError as exc:
                errors.append(RevisionError(commit.sha, exc.message))
                continue
            entry = lock.get(name) if lock is not None else None
            event = _event(previous, entry)
            if event is None:
                continue
            versions.append(
                Version(
                    commit.sha,
                    iso_time(commit.timestamp),
                    commit.author,
                    event,
                    entry,
                    _delta(previous.size if previous else None, entry.size if entry else None),
                    _delta(
                        previous.num_samples if previous else None,
                        entry.num_samples if entry else None,
                    ),
                )
            )
            previous = entry
    if not versions and not errors:
        raise GittrainError(f"{rel}: no dataset named {name!r} in the history of HEAD")
    return LogResult(name, tuple(reversed(versions)), tuple(errors))


def _event(old: DatasetEntry | None, new: DatasetEntry | None) -> Event | None:
    if old is None:
        return Event.ADDED if new is not None else None
    if new is None:
        return Event.REMOVED
    if (old.version, old.path) != (new.version, new.path):
        return Event.CHANGED
    return None


def _delta(old: int | None, new: int | None) -> int | None:
    return None if old is None or new is None else new - old
