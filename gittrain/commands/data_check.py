"""`git train check-data`: every dataset a job uses is locked, unchanged on disk, and has
what the job's recipe requires.

The `gittrain-data` hook.  A job naming an unlocked, missing or drifted dataset
is a problem that names both the job (file:line of the reference) and the
dataset.  Unchanged datasets are verified from the stat cache without reading them;
the recipe's data requirements are compared with what the lockfile records.
Locked remote datasets are asked of their providers only with `data.remote: verify`
in `.gittrain.yaml` (the default, `skip`, keeps every commit offline), and the
severities come from `rules: {data: ...}` and `data.unlocked`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.adapters import gitrepo
from gittrain.commands.data_status import DatasetStatus, State, check
from gittrain.core import doccache, jobrefs, jobs, settings
from gittrain.core.data import lockstore, requirements
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.core.data.statcache import StatCache
from gittrain.core.problems import Problem, Severity, count, findings
from gittrain.core.rules import severity
from gittrain.document import Document
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.recipes import Recipe

Recipes = Callable[[], Mapping[str, "Recipe"]]
RULE = "data"  # `rules: {data: ...}` sets the severity of every finding made here


# Records here are NamedTuples, not dataclasses: the pre-commit hook imports this module
# (see gittrain/document.py).
class DataCheckResult(NamedTuple):
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
    parsed: Mapping[str, tuple[bytes, Document]] | None = None,
) -> DataCheckResult:
    """The staged jobs among ``staged`` against the staged lockfile; ``known``, ``lock``
    (the staged lockfile, parsed) and ``parsed`` (documents validation parsed, with their
    bytes) save re-reading.  ``with_requirements=False`` leaves the recipes' data
    requirements to validation."""
    wanted = [p for p in staged if jobrefs.is_job_path(p, conf.jobs_dir)]
    if not wanted:
        return DataCheckResult(0, ())
    known = known or {}
    needed = wanted if lock is not None else [*wanted, conf.lockfile]
    missing = [p for p in needed if p not in known]
    blobs = {**known, **gitrepo.read_staged(root, missing)}
    if lock is None:
        raw_lock = blobs.get(conf.lockfile)
        lockfile = lockstore.parse_bytes(raw_lock, conf.lockfile) if raw_lock else Lockfile()
    else:
        lockfile = lock()
    recipes = _recipes(root, conf) if with_requirements else None
    wanted_blobs = {p: blobs.get(p) for p in wanted}
    return check_jobs(root, conf, wanted_blobs, lockfile, recipes, parsed=parsed)


def check_jobs(
    root: Path,
    conf: settings.Settings,
    blobs: Mapping[str, bytes | None],
    lock: Lockfile,
    recipes: Recipes | None = None,
    *,
    parsed: Mapping[str, tuple[bytes, Document]] | None = None,
) -> DataCheckResult:
    """Each job's dataset references against ``lock`` and the files on disk, and, with
    ``recipes``, against its recipe's data requirements.  Locked remote datasets are
    asked of their providers only with `data.remote: verify`."""
    done = parsed or {}
    jobs = [f for rel, raw in blobs.items() if (f := _parse(rel, raw, done.get(rel))) is not None]
    remote = _verify_remote(conf, lock, jobs)
    cache = StatCache.load(gitrepo.git_dir(root))
    problems: list[Problem] = []
    seen: dict[str, str | None] = {}  # dataset name -> its drift, checked once
    for doc, job in jobs:
        problems += _job_problems(
            root,
            doc=doc,
            job=job,
            lock=lock,
            conf=conf,
            cache=cache,
            seen=seen,
            remote=remote,
            recipes=recipes,
        )
    cache.save()
    return DataCheckResult(len(blobs), tuple(problems))


def _parse(
    rel: str, raw: bytes | None, done: tuple[bytes, Document] | None = None
) -> tuple[Document, jobrefs.JobRefs] | None:
    """A job's references; None when it does not parse (`git train validate` says why).
    ``done`` is a strict parse already made, used only if its bytes are ``raw``."""
    if raw is None:
        return None
    try:
        doc = done[1] if done is not None and done[0] == raw else doccache.load_bytes(raw, rel)
        job, _issues = jobrefs.from_doc(doc, rel)
    except GittrainError:
        return None
    return doc, job


def _verify_remote(
    conf: settings.Settings, lock: Lockfile, jobs: Sequence[tuple[Document, jobrefs.JobRefs]]
) -> dict[str, str | None]:
    """With `data.remote: verify`, what is wrong with each locked remote dataset the jobs
    name (None: nothing), asked of its provider, all at once and nothing downloaded.
    Empty otherwise: the remote-storage libraries are not even imported."""
    if conf.data.remote is not settings.RemoteCheck.VERIFY:
        return {}
    entries: dict[str, DatasetEntry] = {}
    for _doc, job in jobs:
        for ref in job.datasets.values():
            entry = lock.resolve(ref)
            if entry is not None and entry.is_remote:
                entries[entry.name] = entry
    if not entries:
        return {}
    from gittrain.core.data.executor import ThreadExecutor

    pool = ThreadExecutor()
    try:
        found = pool.map(_remote_drift, list(entries.values()))
    finally:
        pool.close()
    return dict(zip(entries, found, strict=True))


def _remote_drift(entry: DatasetEntry) -> str | None:
    """One remote dataset against its provider; a failure to ask is this dataset's finding."""
    from gittrain.core.data.remotestatus import status_remote

    try:
        (now,) = status_remote([entry])
    except GittrainError as exc:
        return f"cannot be checked: {exc.message}"
    if now.missing:
        return (
            f"is missing at its provider ({entry.location}); restore it or "
            f"`git train data remove {entry.name}`"
        )
    if not now.changes:
        return None
    fields = ", ".join(change.field for change in now.changes)
    return (
        f"changed since it was locked ({fields}); "
        f"`git train data update {entry.name}` if that was intended"
    )


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
    doc: Document,
    job: jobrefs.JobRefs,
    lock: Lockfile,
    conf: settings.Settings,
    cache: StatCache,
    seen: dict[str, str | None],
    remote: Mapping[str, str | None],
    recipes: Recipes | None,
) -> list[Problem]:
    levels = Levels.of(conf)
    problems = []
    for role, ref in job.datasets.items():
        entry = lock.resolve(ref)
        if entry is None:
            level, message = levels.unlocked, unlocked_message(root, ref, conf.lockfile)
        else:
            if entry.is_remote:  # absent from ``remote`` unless `data.remote: verify`
                drift = remote.get(entry.name)
            else:
                if entry.name not in seen:
                    seen[entry.name] = _drift(check(root, entry, cache, None))
                drift = seen[entry.name]
            if drift is None:
                continue
            level, message = levels.changed, f"dataset {entry.name!r} ({entry.path}) {drift}"
        if level is not None:
            problems.append(Problem.at(doc, ("datasets", role), level, message, RULE))
    if recipes is not None:
        problems += _requirements(doc, job.datasets, lock, conf, recipes)
    return problems


class Levels(NamedTuple):
    """The severity of each kind of data finding, as the settings give it (None: off)."""

    unlocked: Severity | None
    changed: Severity | None  # missing, modified, or cannot be checked

    @classmethod
    def of(cls, conf: settings.Settings) -> Levels:
        changed = severity(RULE, Severity.ERROR, conf.rules)
        setting = conf.data.unlocked
        if setting is None:  # `rules: {data: ...}` covers every data finding
            return cls(changed, changed)
        return cls(None if setting == "off" else Severity(setting), changed)


def unlocked_message(root: Path, ref: str, lockfile: str) -> str:
    """Why ``ref`` is a problem, and the `data add` command that would lock it."""
    from gittrain.adapters.remote import urls

    head = f"dataset {ref!r} is not in {lockfile}"
    try:
        url = urls.parse(ref)
    except urls.URLError as exc:
        return f"{head}, and gittrain cannot lock it: {exc}"
    if url is None:
        from gittrain.core.data.datapaths import hub_dataset

        url = hub_dataset(ref, root)
    if url is not None:
        hint = f"git train data add {url.text}"
    else:
        hint = f"git train data add {ref}" if "/" in ref or "." in ref else "git train data add"
    return f"{head}; lock it with `{hint}`"


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
