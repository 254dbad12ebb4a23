"""`git train review BASE...HEAD`: one summary of a pull request's config changes.

Validation problems come from ``gittrain.commands.validate``; per-dataset
lockfile changes are the lockfile's own semantic diff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.commands.diff import DiffReport, DiffRequest, SideInfo, run_diff
from gittrain.core import settings
from gittrain.core.filediff import DatasetChange, FileDiff, FileKind, RatedChange, Side, parse
from gittrain.core.importance import Tier
from gittrain.core.jobs import RecipeRef
from gittrain.errors import GittrainError, usage_error

REVIEW_TIERS = (Tier.CRITICAL, Tier.IMPORTANT)


@dataclass(frozen=True, slots=True)
class JobUse:
    """A job in the branch's history whose recipe is a changed recipe."""

    name: str
    path: str
    commit: str  # the newest commit holding this version of the job file
    status: str | None  # result.status, when the job recorded one
    present: bool  # still exists at HEAD
    pinned_older: str | None = None  # its pin (`ID@REV`, `version V`) when older than HEAD's


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """A finished run of a changed recipe, mined from HEAD's first-parent history."""

    job: str
    commit: str
    status: str
    metrics: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class RecipeUse:
    recipe: str  # recipe id
    path: str
    jobs: tuple[JobUse, ...]
    outcomes: tuple[RunOutcome, ...] = ()  # oldest first


@dataclass(frozen=True, slots=True)
class ReviewReport:
    base: SideInfo
    head: SideInfo
    files: tuple[FileDiff, ...]  # changed configs, critical and important rows only
    all_files: tuple[FileDiff, ...]  # every changed config, for counts and errors
    recipe_uses: tuple[RecipeUse, ...]
    validation: tuple[str, ...]  # problems in the changed files at HEAD, rendered
    datasets: tuple[DatasetChange, ...]  # lockfile datasets added, removed or changed
    skipped: tuple[str, ...] = ()  # YAML changed outside the configured diff paths


def run_review(root: Path, revisions: Sequence[str]) -> ReviewReport:
    """Review ``BASE...HEAD`` (also ``BASE..HEAD`` or ``BASE HEAD``)."""
    if not revisions or len(revisions) > 2:
        raise usage_error("review takes BASE...HEAD (or BASE HEAD)")
    report: DiffReport = run_diff(root, DiffRequest(tuple(revisions), pathspecs=()))
    if report.new.commit is None or report.old.commit is None:
        raise usage_error("review compares two commits, e.g. origin/main...HEAD")
    conf = settings.load(root)
    # Every config file: recipes, jobs and the trainers' own configs (not the lockfile,
    # whose datasets have their own section).
    reviewed = tuple(
        _important_only(f)
        for f in report.files
        if f.kind is not FileKind.LOCKFILE and (f.error or _important(f))
    )
    changed_recipes = [f for f in report.files if f.kind is FileKind.RECIPE]
    paths = tuple(f.new_path for f in report.files if f.new_path)
    uses = recipe_uses(root, report.new.commit, changed_recipes, conf.jobs_dir)
    return ReviewReport(
        base=report.old,
        head=report.new,
        files=reviewed,
        all_files=report.files,
        recipe_uses=_with_outcomes(root, report.new.commit, conf, uses),
        validation=validation_problems(root, report.new.commit, paths),
        datasets=tuple(d for f in report.files if f.kind is FileKind.LOCKFILE for d in f.datasets),
        skipped=report.skipped,
    )


def _important(file: FileDiff) -> bool:
    """Added, deleted or renamed, or a critical or important change (derived ones included)."""
    return bool(file.derived or any(r.tier in REVIEW_TIERS for r in file.changes)) or (
        file.status.value != "modified"
    )


def _important_only(file: FileDiff) -> FileDiff:
    kept: tuple[RatedChange, ...] = tuple(r for r in file.changes if r.tier in REVIEW_TIERS)
    return file._replace(changes=kept, datasets=())


def _with_outcomes(
    root: Path, head: str, conf: settings.Settings, uses: tuple[RecipeUse, ...]
) -> tuple[RecipeUse, ...]:
    """Each changed recipe's finished runs: what the change is being weighed against."""
    if not uses:
        return uses
    from gittrain.core.runs.mining import mine

    history = mine(root, conf, head)
    return tuple(
        replace(
            use,
            outcomes=tuple(
                RunOutcome(r.job, r.commit, r.version.status or "", r.version.metrics)
                for r in history.runs
                if r.version.recipe == use.recipe
            ),
        )
        for use in uses
    )


def recipe_uses(
    root: Path, head: str, recipes: Sequence[FileDiff], jobs_dir: str
) -> tuple[RecipeUse, ...]:
    """For each changed recipe, the jobs anywhere in HEAD's history that named it."""
    if not recipes:
        return ()
    latest: dict[str, tuple[str, str]] = {}  # job path -> (blob, commit)
    deleted_at_head: set[str] = set()
    for commit, entries in gitrepo.log_raw(root, head, [jobs_dir]):
        for entry in entries:
            path = entry.new_path or entry.old_path or ""
            if entry.status == "D" and path not in latest:
                deleted_at_head.add(path)
            if entry.new_path and entry.new_sha != gitrepo.NULL_SHA and path not in latest:
                latest[path] = (entry.new_sha, commit)
    blobs = gitrepo.read_blobs(root, [blob for blob, _ in latest.values()])
    jobs: list[tuple[str, str, object, RecipeRef | None]] = []
    for path, (blob, commit) in sorted(latest.items()):
        try:
            data = parse(Side(path, blobs.get(blob), f"{commit[:7]}:{path}"))
        except GittrainError:
            continue  # an unparsable old job cannot tell us its recipe
        if isinstance(data, dict):
            jobs.append((path, commit, data, RecipeRef.parse(data.get("recipe"))))
    out = []
    for recipe in recipes:
        rid = _changed_recipe_id(recipe)
        users = tuple(
            JobUse(
                name=_job_name(path, data),
                path=path,
                commit=commit,
                status=_status(data),
                present=path not in deleted_at_head,
                pinned_older=_older_pin(root, head, recipe, ref)
                if path not in deleted_at_head
                else None,
            )
            for path, commit, data, ref in jobs
            if ref is not None and ref.id == rid
        )
        out.append(RecipeUse(rid, recipe.path, users))
    return tuple(out)


def _older_pin(root: Path, head: str, recipe: FileDiff, ref: RecipeRef) -> str | None:
    """``ID@REV`` when REV's recipe file differs from HEAD's; ``version V`` when V is not HEAD's."""
    path = recipe.new_path
    if path is None or (ref.rev is None and ref.version is None):
        return None
    if ref.rev is not None:
        pinned, current = f"{ref.rev}:{path}", f"{head}:{path}"
        blobs = gitrepo.read_blobs(root, [pinned, current])
        older = blobs[pinned] is not None and blobs[pinned] != blobs[current]
        return str(ref) if older else None
    try:
        data = parse(
            Side(path, gitrepo.read_blobs(root, [f"{head}:{path}"])[f"{head}:{path}"], path)
        )
    except GittrainError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return f"version {ref.version}" if version is not None and str(version) != ref.version else None


def _changed_recipe_id(file: FileDiff) -> str:
    stem = file.path.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0]


def _job_name(path: str, data: object) -> str:
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _status(data: object) -> str | None:
    result = data.get("result") if isinstance(data, dict) else None
    status = result.get("status") if isinstance(result, dict) else None
    return status if isinstance(status, str) else None


def validation_problems(root: Path, head: str, paths: Sequence[str]) -> tuple[str, ...]:
    """`git train validate`'s findings for the changed files, as they are at HEAD.

    The files and the lockfile jobs' datasets are judged against are read from HEAD's
    objects; the recipes they resolve against are the repository's current ones (in
    CI, the checkout of HEAD).
    """
    from gittrain.commands.validate import checker, commit_files
    from gittrain.commands.workspace import open_workspace
    from gittrain.core.data import lockstore
    from gittrain.core.settings import is_config_path

    ws = open_workspace(root)
    wanted = [p for p in paths if is_config_path(p, ws.settings)]
    lock_name = f"{head}:{ws.settings.lockfile}"
    blobs = gitrepo.read_blobs(root, [*(f"{head}:{p}" for p in wanted), lock_name])
    check = checker(
        ws,
        lock=lockstore.loader(lambda: blobs.get(lock_name), ws.settings.lockfile),
        files=commit_files(root, head),
    )
    problems: list[str] = []
    for path in wanted:
        raw = blobs.get(f"{head}:{path}")
        if raw is not None:
            problems.extend(p.render() for p in check.check(path, raw).problems)
    return tuple(problems)
