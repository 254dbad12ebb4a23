"""`git train experience ...`: recommend, best, suggest and similar, over mined run records."""

from __future__ import annotations

from dataclasses import dataclass

from gittrain.adapters import yamlio
from gittrain.commands.jobfiles import read_job
from gittrain.commands.workspace import Workspace
from gittrain.core import experience, importance, jobs
from gittrain.core.experience import RecipeStats, RecordView, Suggestions
from gittrain.core.history import History, RunRecord
from gittrain.core.importance import Policy
from gittrain.core.mining import mine
from gittrain.core.similarity import Match, features, similar
from gittrain.errors import GittrainError, usage_error


@dataclass(frozen=True, slots=True)
class Mined:
    """The history every experience answer rests on, and what limits it."""

    history: History
    views: tuple[RecordView, ...]


def load(ws: Workspace, *, registry_needed: bool = False) -> Mined:
    """Mine the history; the recipe registry is read only when a filter needs it."""
    root = ws.require_root()
    history = mine(root, ws.settings)
    registry = ws.registry().recipes if registry_needed else {}
    views = []
    for run in history.runs:
        recipe = registry.get(run.version.recipe or "")
        views.append(
            RecordView(
                run,
                recipe.task_type if recipe else None,
                run.version.algorithm or (recipe.recommended_algorithm if recipe else None),
            )
        )
    return Mined(history, tuple(views))


def _policy(ws: Workspace) -> Policy:
    return importance.load(ws.settings.document)


@dataclass(frozen=True, slots=True)
class Recommendation:
    mined: Mined
    recipes: tuple[RecipeStats, ...]


def recommend(
    ws: Workspace,
    *,
    algorithm: str | None = None,
    task_type: str | None = None,
    min_success: int = 0,
    limit: int | None = None,
) -> Recommendation:
    if min_success < 0 or (limit is not None and limit < 1):
        raise usage_error("--min-success-count must be >= 0 and --limit >= 1")
    mined = load(ws, registry_needed=algorithm is not None or task_type is not None)
    views = [
        v
        for v in mined.views
        if (algorithm is None or v.algorithm == algorithm)
        and (task_type is None or v.task_type == task_type)
    ]
    return Recommendation(mined, experience.recommend(views, min_success=min_success, limit=limit))


@dataclass(frozen=True, slots=True)
class Best:
    mined: Mined
    ranked: experience.Ranked
    rows: tuple[tuple[RunRecord, dict[str, object]], ...]  # run, key parameters
    shared: dict[str, object]  # the key parameters all rows agree on (none for one row)


def best(
    ws: Workspace,
    *,
    recipe: str | None,
    algorithm: str | None,
    metric: str | None,
    minimize: bool | None,
    top: int,
) -> Best:
    if recipe is None and algorithm is None:
        raise usage_error("name --recipe R or --algorithm A")
    if top < 1:
        raise usage_error("--top must be at least 1")
    mined = load(ws, registry_needed=algorithm is not None)
    runs = [
        v.run
        for v in mined.views
        if (recipe is None or v.run.version.recipe == recipe)
        and (algorithm is None or v.algorithm == algorithm)
    ]
    if not runs:
        what = f"recipe {recipe!r}" if recipe else f"algorithm {algorithm!r}"
        raise GittrainError(f"no finished runs of {what} in the history of HEAD")
    ranked = experience.rank(runs, metric, minimize)
    policy = _policy(ws)
    rows = tuple(
        (run, experience.key_params(run.version.config, policy)) for run in ranked.runs[:top]
    )
    return Best(mined, ranked, rows, experience.shared_params([key for _, key in rows]))


@dataclass(frozen=True, slots=True)
class JobAdvice:
    mined: Mined
    job: str
    advice: Suggestions


def suggest(ws: Workspace, spec: str) -> JobAdvice:
    job = _job(ws, spec)
    mined = load(ws)
    recipe = job.recipe.id if job.recipe else None
    runs = [v.run for v in mined.views if v.run.job != job.name]  # not its own past runs
    advice = experience.suggest(job.config, recipe, runs, _policy(ws))
    return JobAdvice(mined, spec, advice)


@dataclass(frozen=True, slots=True)
class Similar:
    mined: Mined
    job: str
    matches: tuple[Match, ...]


def find_similar(ws: Workspace, spec: str, top: int) -> Similar:
    if top < 1:
        raise usage_error("--top must be at least 1")
    job = _job(ws, spec)
    mined = load(ws)
    mine_features = features(
        job.config, job.recipe.id if job.recipe else None, job.model_size, job.num_gpus
    )
    latest: dict[str, RunRecord] = {}
    for run in mined.history.runs:  # oldest first: the last run of each job wins
        if run.job != job.name:
            latest.pop(run.job, None)  # re-inserted, so the dict stays in history order
            latest[run.job] = run
    candidates = [
        (
            run,
            features(
                run.version.config, run.version.recipe, run.version.model_size, run.version.num_gpus
            ),
        )
        for run in latest.values()
    ]
    return Similar(mined, spec, similar(mine_features, candidates, _policy(ws), top))


def _job(ws: Workspace, spec: str) -> jobs.Job:
    source = read_job(ws, spec)
    return jobs.from_doc(yamlio.load_bytes(source.raw, source.shown))
