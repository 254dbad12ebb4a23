"""`git train data show NAME|SHA`: one dataset version in full, the commit that introduced
it, and the jobs that trained on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.commands.data_lineage import Use, find_uses
from gittrain.core import settings
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import NAME_RE, SHA_PREFIX_RE, DatasetEntry, Lockfile
from gittrain.core.data.lockhistory import Change, History, LockReader
from gittrain.core.revspec import split_at
from gittrain.errors import GittrainError, usage_error


@dataclass(frozen=True, slots=True)
class ShowResult:
    spec: str
    lockfile: str
    entry: DatasetEntry
    # Where the entry was read: None for the work tree's lockfile, else a commit sha.
    revision: str | None
    # The newest commit that made this name hold this version (None: not committed).
    introduced: Change | None
    uses: tuple[Use, ...]  # jobs that trained on this version, newest run first
    problems: tuple[str, ...]


def show(root: Path, spec: str) -> ShowResult:
    """``NAME``, ``NAME@REV``, or 7 to 64 hex digits of a version: the work tree's lockfile
    first, then the lockfile's history from HEAD, newest first.  One walk of the lockfile's
    history finds the version and the commit that introduced it; `data lineage`'s walk
    finds the jobs."""
    conf = settings.load(root)
    rel = conf.lockfile
    current = lockstore.read(root, rel)
    with gitrepo.CatFile(root) as cat:
        history = History(root, LockReader(cat, rel))
        entry, revision = _find(root, spec, rel, current, history)
        start = revision or "HEAD"
        same = _Same(entry.version, entry.path)
        introduced = None
        for step in history.steps(rel, start):
            if step.introduced(entry.name, same):
                introduced = step.change
                break
        uses, problems = find_uses(root, conf, cat, entry.version)
    return ShowResult(spec, rel, entry, revision, introduced, uses, (*history.problems, *problems))


@dataclass(frozen=True, slots=True)
class _Same:
    """An entry holds the shown version: the same data (version) at the same place (path)."""

    version: str
    path: str

    def __call__(self, other: DatasetEntry) -> bool:
        return other.version == self.version and other.path == self.path


def _find(
    root: Path, spec: str, rel: str, current: Lockfile, history: History
) -> tuple[DatasetEntry, str | None]:
    name, rev = split_at(spec)
    if rev is not None:
        commit = gitrepo.resolve_commit(root, rev)
        lock = history.read(commit)  # a lockfile that does not parse there is the answer
        entry = lock.get(name) if lock is not None else None
        if entry is None:
            raise GittrainError(f"{rev}:{rel}: no dataset named {name!r}")
        return entry, commit
    entry = current.get(spec)
    if entry is not None:
        return entry, None
    prefix = spec.lower()
    if not SHA_PREFIX_RE.match(prefix):
        if NAME_RE.match(spec):
            raise GittrainError(f"{rel}: no dataset named {spec!r}")
        raise usage_error(
            f"{spec!r}: expected a dataset name, NAME@REV, or 7 to 64 hex digits of a version"
        )
    found = _matching(current, prefix, rel)
    if found is not None:
        return found, None
    for step in history.steps(rel):
        found = _matching(step.lock, prefix, f"{step.commit.sha[:12]}:{rel}")
        if found is not None:
            return found, step.commit.sha
    raise GittrainError(
        f"{rel}: no dataset named {spec!r} and no version starting with {prefix} "
        "in it or its history"
    )


def _matching(lock: Lockfile | None, prefix: str, where: str) -> DatasetEntry | None:
    """The one entry whose version starts with ``prefix``; a usage error when several do."""
    if lock is None:
        return None
    hits = [e for _, e in sorted(lock.datasets.items()) if e.version.startswith(prefix)]
    if len(hits) > 1:
        names = ", ".join(e.name for e in hits)
        same = len({e.version for e in hits}) == 1
        why = "name one of them" if same else "give more digits or a name"
        raise usage_error(f"{where}: {prefix} is the version of {names}; {why}")
    return hits[0] if hits else None
