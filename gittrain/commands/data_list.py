"""`git train data list`: every locked dataset, where it lives, and the commit that last
changed its entry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.lockhistory import Change, History, LockReader


@dataclass(frozen=True, slots=True)
class Listed:
    entry: DatasetEntry
    # The last commit that changed this entry; None while the work tree's entry is not
    # the one HEAD holds (``uncommitted``), or when no readable commit introduced it.
    change: Change | None
    uncommitted: bool


@dataclass(frozen=True, slots=True)
class ListResult:
    lockfile: str
    datasets: tuple[Listed, ...]  # by name
    problems: tuple[str, ...]  # historical lockfiles that did not parse


@dataclass(frozen=True, slots=True)
class _Equal:
    """An entry exactly as the work tree holds it: any field changed is a change."""

    entry: DatasetEntry

    def __call__(self, other: DatasetEntry) -> bool:
        return other == self.entry


def list_datasets(root: Path) -> ListResult:
    """The work tree's lockfile, each entry credited to the newest commit that made it what
    it is: ONE `git log` over the lockfile, ONE `cat-file --batch`, stopping as soon as
    every entry is credited."""
    rel = settings.load(root).lockfile
    lock = lockstore.read(root, rel)
    found: dict[str, Change] = {}
    with gitrepo.CatFile(root) as cat:
        history = History(root, LockReader(cat, rel))
        head_sha = gitrepo.rev_parse(root, "HEAD")
        head = history.lock_at(head_sha) if head_sha is not None else None
        pending = {
            name: entry
            for name, entry in lock.datasets.items()
            if head is not None and head.get(name) == entry
        }
        if pending:
            for step in history.steps(rel):
                for name, entry in list(pending.items()):
                    if step.introduced(name, _Equal(entry)):
                        found[name] = step.change
                        del pending[name]
                if not pending:
                    break
    rows = tuple(
        Listed(
            entry,
            found.get(name),
            uncommitted=head is None or head.get(name) != entry,
        )
        for name, entry in sorted(lock.datasets.items())
    )
    return ListResult(rel, rows, history.problems)
