"""`git train data lineage`: every job in history that trained on one dataset version."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import jobrefs, lockstore, settings
from gittrain.core.lockfile import SHA_PREFIX_RE, Lockfile
from gittrain.core.lockhistory import LockReader, iso_time
from gittrain.core.revspec import split_at
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class Target:
    spec: str
    sha256: str  # a full hash, or a prefix when the user gave one
    name: str | None = None
    revision: str | None = None


@dataclass(frozen=True, slots=True)
class Use:
    """A job (as of ``commit``) whose dataset reference resolved to the target."""

    job: str
    path: str
    roles: tuple[str, ...]
    commit: str
    time: str  # result.finished_at, else started_at, else the commit date
    status: str | None
    deleted: bool  # the job file no longer exists at the tip


@dataclass(frozen=True, slots=True)
class LineageResult:
    target: Target
    uses: tuple[Use, ...]
    problems: tuple[str, ...] = field(default_factory=tuple)


def resolve_target(root: Path, spec: str, cat: gitrepo.CatFile, rel: str) -> Target:
    """``NAME``, ``NAME@REV`` or a sha256 (prefix of at least 7 hex digits)."""
    name, rev = split_at(spec)
    if rev is not None:
        commit = gitrepo.resolve_commit(root, rev)
        lock = LockReader(cat, rel).at(commit)
        entry = lock.get(name) if lock else None
        if entry is None:
            raise GittrainError(f"{rev}:{rel}: no dataset named {name!r}")
        return Target(spec, entry.sha256, name, rev)
    entry = lockstore.read(root, rel).get(spec)
    if entry is not None:
        return Target(spec, entry.sha256, spec)
    if SHA_PREFIX_RE.match(spec):
        return Target(spec, spec)
    raise GittrainError(f"{rel}: no dataset named {spec!r} (and it is not a sha256)")


def lineage(root: Path, spec: str, *, all_refs: bool = False) -> LineageResult:
    """ONE `git log --raw` over jobs and the lockfile, ONE `cat-file --batch` for blobs."""
    conf = settings.load(root)
    rel = conf.lockfile
    with gitrepo.CatFile(root) as cat:
        target = resolve_target(root, spec, cat, rel)
        if gitrepo.rev_parse(root, "HEAD") is None:
            return LineageResult(target, ())
        walker = _Walker(cat, rel, conf.jobs_dir, target.sha256)
        revs, extra = ([], ["--all"]) if all_refs else (["HEAD"], [])
        paths = [conf.jobs_dir, rel]
        for commit in gitrepo.iter_log(root, revs, paths, raw=True, extra=extra):
            walker.visit(commit)
    uses = sorted(walker.uses.values(), key=lambda u: (u.time, u.job), reverse=True)
    return LineageResult(target, tuple(uses), tuple(walker.problems))


class _Walker:
    """Visits commits newest first; the first sighting of a job is its latest version."""

    def __init__(self, cat: gitrepo.CatFile, rel: str, jobs_dir: str, sha: str) -> None:
        self.cat = cat
        self.locks = LockReader(cat, rel)
        self.jobs_dir = jobs_dir
        self.sha = sha
        self.uses: dict[str, Use] = {}
        self.deleted: dict[str, bool] = {}  # job path -> deleted at the tip
        self.problems: list[str] = []

    def visit(self, commit: gitrepo.LogCommit) -> None:
        lock: Lockfile | bool | None = False  # False: not read yet
        for change in commit.changes:
            path = change.new_path or change.old_path or ""
            if not jobrefs.is_job_path(path, self.jobs_dir):
                continue
            self.deleted.setdefault(path, change.status == "D")
            if change.status == "D" or path in self.uses:
                continue
            raw = self.cat.read(change.new_sha)
            if raw is None:
                continue
            source = f"{commit.sha[:12]}:{path}"
            try:
                job, _ = jobrefs.parse(raw, source)
            except GittrainError as exc:
                self.problems.append(exc.message)
                continue
            if lock is False:
                lock = self._lock(commit.sha)
            roles = self._matching_roles(job, lock if isinstance(lock, Lockfile) else None)
            if roles:
                when = job.finished_at or job.started_at or iso_time(commit.timestamp)
                self.uses[path] = Use(
                    job.name,
                    path,
                    roles,
                    commit.sha,
                    when,
                    job.status,
                    self.deleted[path],
                )

    def _lock(self, sha: str) -> Lockfile | None:
        try:
            return self.locks.at(sha)
        except GittrainError as exc:
            self.problems.append(exc.message)
            return None

    def _matching_roles(self, job: jobrefs.JobRefs, lock: Lockfile | None) -> tuple[str, ...]:
        if lock is None:
            return ()
        roles = []
        for role, ref in sorted(job.datasets.items()):
            entry = lock.resolve(ref)
            if entry is not None and entry.sha256.startswith(self.sha):
                roles.append(role)
        return tuple(roles)
