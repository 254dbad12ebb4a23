"""`git train check-data`: every dataset a job uses is locked and unchanged on disk.

The `gittrain-data` hook.  A job naming an unlocked, missing or drifted dataset
is a problem that names both the job (file:line of the reference) and the
dataset.  Unchanged datasets are verified from the stat cache without reading them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo, yamlio
from gittrain.commands.data_status import DatasetStatus, State, check
from gittrain.core import jobrefs, lockstore, settings
from gittrain.core.lockfile import Lockfile
from gittrain.core.problems import Problem, Severity
from gittrain.core.statcache import StatCache
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class DataCheckResult:
    jobs: int
    problems: tuple[Problem, ...]


def check_data(root: Path, files: Sequence[str] = (), *, staged: bool = False) -> DataCheckResult:
    """Check the jobs among ``files`` (work tree), every job when none is named, or with
    ``staged`` the staged jobs.

    A file is a repository-relative path or a job's bare name (``a`` for
    ``jobs/a.yaml``).  With ``staged`` both the jobs and the lockfile are read from the
    index: the commit is what is checked.  Files that are not jobs are ignored, a named
    file that does not exist is a problem, and a job that does not parse is left to
    `git train validate`.
    """
    conf = settings.load(root)
    if staged:
        return check_staged(root, conf, gitrepo.staged_paths(root))
    missing: list[Problem] = []
    if files:
        wanted = []
        for rel in files:
            found = _job_path(root, conf.jobs_dir, rel)
            if found is None:
                missing.append(_missing(rel, conf.jobs_dir))
            elif jobrefs.is_job_path(found, conf.jobs_dir):
                wanted.append(found)
    else:  # nothing named: every job, as `git train data status` checks every dataset
        wanted = _all_jobs(root, conf.jobs_dir)
    if not wanted:
        return DataCheckResult(0, tuple(missing))
    blobs = {p: _read(root / p) for p in wanted}
    result = check_jobs(root, conf, blobs, lockstore.read(root, conf.lockfile))
    return DataCheckResult(result.jobs, (*missing, *result.problems))


def _job_path(root: Path, jobs_dir: str, rel: str) -> str | None:
    """``rel`` if that file exists, else the job file a bare name means; None when neither."""
    if (root / rel).is_file():
        return rel
    if "/" not in rel and not rel.endswith(jobrefs.JOB_SUFFIXES):
        for suffix in jobrefs.JOB_SUFFIXES:
            candidate = f"{jobs_dir}/{rel}{suffix}"
            if (root / candidate).is_file():
                return candidate
    return None


def _missing(rel: str, jobs_dir: str) -> Problem:
    hint = "" if "/" in rel or "." in rel else f" (nor is there a job {jobs_dir}/{rel}.yaml)"
    return Problem(rel, None, (), Severity.ERROR, f"no such file{hint}", "io")


def _all_jobs(root: Path, jobs_dir: str) -> list[str]:
    directory = root / jobs_dir
    if not directory.is_dir():
        return []
    names = (p.name for p in directory.iterdir() if p.is_file())
    return sorted(f"{jobs_dir}/{n}" for n in names if n.endswith(jobrefs.JOB_SUFFIXES))


def check_staged(
    root: Path,
    conf: settings.Settings,
    staged: Sequence[str],
    known: Mapping[str, bytes | None] | None = None,
) -> DataCheckResult:
    """The staged jobs among ``staged`` against the staged lockfile; ``known`` saves re-reading."""
    wanted = [p for p in staged if jobrefs.is_job_path(p, conf.jobs_dir)]
    if not wanted:
        return DataCheckResult(0, ())
    known = known or {}
    missing = [p for p in (*wanted, conf.lockfile) if p not in known]
    blobs = {**known, **gitrepo.read_staged(root, missing)}
    raw_lock = blobs.get(conf.lockfile)
    lock = lockstore.parse_bytes(raw_lock, conf.lockfile) if raw_lock else Lockfile()
    return check_jobs(root, conf, {p: blobs.get(p) for p in wanted}, lock)


def check_jobs(
    root: Path, conf: settings.Settings, blobs: Mapping[str, bytes | None], lock: Lockfile
) -> DataCheckResult:
    """Each job's dataset references against ``lock`` and the files on disk."""
    wanted = list(blobs)
    cache = StatCache.load(gitrepo.git_dir(root))
    problems: list[Problem] = []
    seen: dict[str, str | None] = {}  # dataset name -> its drift, checked once
    for rel in wanted:
        raw = blobs.get(rel)
        if raw is not None:
            problems += _job_problems(
                root, rel=rel, raw=raw, lock=lock, lockfile=conf.lockfile, cache=cache, seen=seen
            )
    cache.save()
    return DataCheckResult(len(wanted), tuple(problems))


def _job_problems(
    root: Path,
    *,
    rel: str,
    raw: bytes,
    lock: Lockfile,
    lockfile: str,
    cache: StatCache,
    seen: dict[str, str | None],
) -> list[Problem]:
    try:
        doc = yamlio.load_bytes(raw, rel)
        job, _issues = jobrefs.from_doc(doc, rel)
    except GittrainError:
        return []
    problems = []
    for role, ref in job.datasets.items():
        path = ("datasets", role)
        entry = lock.resolve(ref)
        if entry is None:
            hint = f"git train data add {ref}" if "/" in ref or "." in ref else "git train data add"
            message = f"dataset {ref!r} is not in {lockfile}; lock it with `{hint}`"
        else:
            if entry.name not in seen:
                seen[entry.name] = _drift(check(root, entry, cache, None))
            drift = seen[entry.name]
            if drift is None:
                continue
            message = f"dataset {entry.name!r} ({entry.path}) {drift}"
        problems.append(Problem(rel, doc.mark_of(path), path, Severity.ERROR, message, "data"))
    return problems


def _drift(status: DatasetStatus) -> str | None:
    """What is wrong with a locked dataset on disk, or None when it is unchanged."""
    if status.state is State.OK:
        return None
    if status.state is State.MISSING:
        return f"is missing on disk; restore it or `git train data remove {status.name}`"
    failed = [d for d in status.differences if d.field == "error"]
    if failed:
        return f"cannot be checked: {failed[0].current}"
    fields = ", ".join(d.field for d in status.differences)
    return (
        f"changed since it was locked ({fields}); "
        f"`git train data update {status.name}` if that was intended"
    )


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # deleted or unreadable: validation reports it
