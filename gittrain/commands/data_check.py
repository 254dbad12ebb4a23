"""`git train check-data`: every dataset a job uses is locked, unchanged on disk, and has
what the job's recipe requires.

The `gittrain-data` hook.  A job naming an unlocked, missing or drifted dataset
is a problem that names both the job (file:line of the reference) and the
dataset.  Unchanged datasets are verified from the stat cache without reading them;
the recipe's data requirements are compared with what the lockfile records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitrepo, yamlio
from gittrain.commands.data_status import DatasetStatus, State, check
from gittrain.core import jobrefs, jobs, settings
from gittrain.core.data import lockstore, requirements
from gittrain.core.data.lockfile import Lockfile
from gittrain.core.data.statcache import StatCache
from gittrain.core.problems import Problem, Severity, count, findings
from gittrain.document import Document
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.recipes import Recipe

Recipes = Callable[[], Mapping[str, "Recipe"]]


@dataclass(frozen=True, slots=True)
class DataCheckResult:
    jobs: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return count(self.problems)


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
    lock = lockstore.read(root, conf.lockfile)
    result = check_jobs(root, conf, blobs, lock, _recipes(root, conf))
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
    *,
    lock: Callable[[], Lockfile] | None = None,
    with_requirements: bool = True,
) -> DataCheckResult:
    """The staged jobs among ``staged`` against the staged lockfile; ``known`` and ``lock``
    (the staged lockfile, parsed) save re-reading.  ``with_requirements=False`` leaves the
    recipes' data requirements to validation."""
    wanted = [p for p in staged if jobrefs.is_job_path(p, conf.jobs_dir)]
    if not wanted:
        return DataCheckResult(0, ())
    known = known or {}
    needed = wanted if lock is not None else [*wanted, conf.lockfile]
    missing = [p for p in needed if p not in known]
    blobs = {**known, **gitrepo.read_staged(root, missing)}
    if lock is None:
        raw_lock = blobs.get(conf.lockfile)
        parsed = lockstore.parse_bytes(raw_lock, conf.lockfile) if raw_lock else Lockfile()
    else:
        parsed = lock()
    recipes = _recipes(root, conf) if with_requirements else None
    return check_jobs(root, conf, {p: blobs.get(p) for p in wanted}, parsed, recipes)


def check_jobs(
    root: Path,
    conf: settings.Settings,
    blobs: Mapping[str, bytes | None],
    lock: Lockfile,
    recipes: Recipes | None = None,
) -> DataCheckResult:
    """Each job's dataset references against ``lock`` and the files on disk, and, with
    ``recipes``, against its recipe's data requirements."""
    wanted = list(blobs)
    cache = StatCache.load(gitrepo.git_dir(root))
    problems: list[Problem] = []
    seen: dict[str, str | None] = {}  # dataset name -> its drift, checked once
    for rel in wanted:
        raw = blobs.get(rel)
        if raw is not None:
            problems += _job_problems(
                root,
                rel=rel,
                raw=raw,
                lock=lock,
                conf=conf,
                cache=cache,
                seen=seen,
                recipes=recipes,
            )
    cache.save()
    return DataCheckResult(len(wanted), tuple(problems))


def _recipes(root: Path, conf: settings.Settings) -> Recipes:
    """The recipe registry, loaded on first use: most runs check jobs that name a recipe,
    but a job without one (or without a training dataset) does not pay for it."""

    @cache
    def load() -> Mapping[str, Recipe]:
        from gittrain.core.recipes import load_registry

        try:
            return load_registry(root, conf).recipes
        except GittrainError:
            return {}  # `git train validate` reports broken recipes

    return load


def _job_problems(
    root: Path,
    *,
    rel: str,
    raw: bytes,
    lock: Lockfile,
    conf: settings.Settings,
    cache: StatCache,
    seen: dict[str, str | None],
    recipes: Recipes | None,
) -> list[Problem]:
    try:
        doc = yamlio.load_bytes(raw, rel)
        job, _issues = jobrefs.from_doc(doc, rel)
    except GittrainError:
        return []
    lockfile = conf.lockfile
    problems = []
    for role, ref in job.datasets.items():
        path = ("datasets", role)
        entry = lock.resolve(ref)
        if entry is None:
            hint = f"git train data add {ref}" if "/" in ref or "." in ref else "git train data add"
            message = f"dataset {ref!r} is not in {lockfile}; lock it with `{hint}`"
        else:
            if entry.name not in seen:
                # A remote dataset is checked by `data status`, not here: the hook must
                # work offline.
                seen[entry.name] = (
                    None if entry.is_remote else _drift(check(root, entry, cache, None))
                )
            drift = seen[entry.name]
            if drift is None:
                continue
            message = f"dataset {entry.name!r} ({entry.path}) {drift}"
        problems.append(Problem.at(doc, path, Severity.ERROR, message, "data"))
    if recipes is not None:
        problems += _requirements(doc, job.datasets, lock, conf, recipes)
    return problems


def _requirements(
    doc: Document,
    refs: Mapping[str, str],
    lock: Lockfile,
    conf: settings.Settings,
    recipes: Recipes,
) -> list[Problem]:
    """``data-requirements`` findings, as `git train validate` makes them."""
    ref = jobs.RecipeRef.parse(doc.data.get("recipe") if isinstance(doc.data, dict) else None)
    if ref is None:
        return []
    recipe = recipes().get(ref.id) if refs else None
    if recipe is None:
        return []
    found = requirements.check(refs, recipe.id, recipe.data_requirements, lock, conf.rules)
    return findings(doc, found)


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
