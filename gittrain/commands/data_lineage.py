"""`git train data lineage`: every job in history that trained on one dataset version."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.core import jobrefs, settings
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import SHA_PREFIX_RE, Lockfile
from gittrain.core.data.lockhistory import LockReader, iso_time
from gittrain.core.jobs import TERMINAL
from gittrain.core.revspec import split_at
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class Target:
    spec: str
    sha256: str  # a full hash (or version), or a prefix when the user gave one
    name: str | None = None
    revision: str | None = None
    hashed: bool = True  # False: remote data with no sha256; ``sha256`` is its version


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
        return Target(spec, entry.version, name, rev, entry.sha256 is not None)
    lock = lockstore.read(root, rel)
    entry = lock.get(spec)
    if entry is not None:
        return Target(spec, entry.version, spec, None, entry.sha256 is not None)
    if SHA_PREFIX_RE.match(spec):
        # The digits of a remote version nobody hashed are no sha256 either.
        known = [e for e in lock.datasets.values() if e.version.startswith(spec)]
        return Target(spec, spec, hashed=all(e.sha256 is not None for e in known))
    raise GittrainError(f"{rel}: no dataset named {spec!r} (and it is not a sha256)")


def lineage(root: Path, spec: str, *, all_refs: bool = False) -> LineageResult:
    """ONE `git log --raw` over jobs and the lockfile, ONE `cat-file --batch` for blobs."""
    conf = settings.load(root)
    with gitrepo.CatFile(root) as cat:
        target = resolve_target(root, spec, cat, conf.lockfile)
        uses, problems = find_uses(root, conf, cat, target.sha256, all_refs=all_refs)
    return LineageResult(target, uses, problems)


def find_uses(
    root: Path,
    conf: settings.Settings,
    cat: gitrepo.CatFile,
    version: str,
    *,
    all_refs: bool = False,
) -> tuple[tuple[Use, ...], tuple[str, ...]]:
    """The jobs (newest run first) whose dataset resolved to ``version`` (or a prefix of it)
    where they ran, and the files that could not be read on the way."""
    if gitrepo.rev_parse(root, "HEAD") is None:
        return (), ()
    walker = _Walker(cat, conf.lockfile, conf.jobs_dir, version)
    revs, extra = ([], ["--all"]) if all_refs else (["HEAD"], [])
    paths = [conf.jobs_dir, conf.lockfile]
    for commit in gitrepo.iter_log(root, revs, paths, raw=True, renames=True, extra=extra):
        walker.visit(commit)
    walker.finish()
    uses = sorted(walker.uses.values(), key=lambda u: (u.time, u.job), reverse=True)
    return tuple(uses), tuple(walker.problems)


@dataclass(frozen=True, slots=True)
class _Version:
    """One version of a job file, and the run it records (None while it has not finished)."""

    job: jobrefs.JobRefs
    commit: gitrepo.LogCommit
    run: tuple[str | None, ...] | None


class _Walker:
    """Visits commits newest first and credits each job's latest run.

    A finished run trained on the datasets locked where it finished: the oldest
    commit in the unbroken line of versions that record that same result.  Later
    edits (a comment, a rename) do not move it.  A job that has not finished is
    read as of its newest version.  Renames are followed, so a renamed job is
    the job at its new path, never "deleted".
    """

    def __init__(self, cat: gitrepo.CatFile, rel: str, jobs_dir: str, sha: str) -> None:
        self.cat = cat
        self.locks = LockReader(cat, rel)
        self.jobs_dir = jobs_dir
        self.sha = sha
        self.uses: dict[str, Use] = {}
        self.deleted: dict[str, bool] = {}  # job path at the tip -> deleted at the tip
        self.renamed: dict[str, str] = {}  # an older path -> the job's path at the tip
        self.pending: dict[str, _Version] = {}  # the run being traced back, per tip path
        self.settled: set[str] = set()
        self.problems: list[str] = []
        self._lock_at: dict[str, Lockfile | None] = {}

    def visit(self, commit: gitrepo.LogCommit) -> None:
        for change in commit.changes:
            path = change.new_path or change.old_path or ""
            if not jobrefs.is_job_path(path, self.jobs_dir):
                continue
            key = self.renamed.get(path, path)
            if change.status.startswith("R") and change.old_path:
                self.renamed[change.old_path] = key
            self.deleted.setdefault(key, change.status == "D")
            if change.status == "D" or key in self.settled:
                continue
            version = self._version(commit, path, change.new_sha)
            if version is not None:
                self._trace(key, version)

    def finish(self) -> None:
        for key in list(self.pending):
            self._settle(key)

    def _version(self, commit: gitrepo.LogCommit, path: str, blob: str) -> _Version | None:
        raw = self.cat.read(blob)
        if raw is None:
            return None
        try:
            job, _ = jobrefs.parse(raw, f"{commit.sha[:12]}:{path}")
        except GittrainError as exc:
            self.problems.append(exc.message)
            return None
        finished = job.status in TERMINAL or job.finished_at is not None
        run = (job.status, job.started_at, job.finished_at) if finished else None
        return _Version(job, commit, run)

    def _trace(self, key: str, version: _Version) -> None:
        newer = self.pending.get(key)
        if newer is None:
            self.pending[key] = version
            if version.run is None:
                self._settle(key)
        elif version.run == newer.run:
            self.pending[key] = version  # the same run, recorded earlier
        else:
            self._settle(key)

    def _settle(self, key: str) -> None:
        version = self.pending.pop(key)
        self.settled.add(key)
        job, commit = version.job, version.commit
        roles = self._matching_roles(job, self._lock(commit.sha))
        if roles:
            when = job.finished_at or job.started_at or iso_time(commit.timestamp)
            name = jobrefs.job_name(key)
            self.uses[key] = Use(
                name, key, roles, commit.sha, when, job.status, self.deleted.get(key, False)
            )

    def _lock(self, sha: str) -> Lockfile | None:
        if sha not in self._lock_at:
            try:
                self._lock_at[sha] = self.locks.at(sha)
            except GittrainError as exc:
                self.problems.append(exc.message)
                self._lock_at[sha] = None
        return self._lock_at[sha]

    def _matching_roles(self, job: jobrefs.JobRefs, lock: Lockfile | None) -> tuple[str, ...]:
        if lock is None:
            return ()
        roles = []
        for role, ref in sorted(job.datasets.items()):
            entry = lock.resolve(ref)
            if entry is not None and entry.version.startswith(self.sha):
                roles.append(role)
        return tuple(roles)
