"""`git train experience ...`: recommend, best, suggest and similar, over mined run records.

Each answer is kept (``.git/gittrain/answers/``) under the hash of everything it is a
function of, so asking again about an unchanged HEAD reads one small file, not every run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from gittrain.adapters import yamlio
from gittrain.commands.jobfiles import JobSource, read_job
from gittrain.commands.workspace import Workspace
from gittrain.core import importance, jobs
from gittrain.core.importance import Policy
from gittrain.core.runs import answercache, experience, peers, runanswers
from gittrain.core.runs.experience import Bucket, RecipeStats, RecordView, Suggestions
from gittrain.core.runs.history import History, Ideas, RunRecord, Summary, canonical
from gittrain.core.runs.mining import answers, mine, tip
from gittrain.core.runs.peers import Failure, Scope
from gittrain.core.runs.similarity import Match, features, similar
from gittrain.core.sizes import ModelSize, SizeRange, parse_range_arg, size_of
from gittrain.errors import GittrainError, usage_error

if TYPE_CHECKING:
    from pathlib import Path

    from gittrain.core.recipes import Recipe

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Mined:
    """The history every experience answer rests on, and what limits it."""

    history: History
    views: tuple[RecordView, ...]


def load(
    ws: Workspace,
    *,
    registry: Mapping[str, Recipe] | None = None,
    at: tuple[str | None, tuple[str, ...]] | None = None,
) -> Mined:
    """Mine the history; ``registry`` (read only when a filter needs it) names each recipe's
    task type and algorithm."""
    root = ws.require_root()
    history = mine(root, ws.settings, at=at)
    if registry is None:
        registry = {}
    views = []
    sizes: dict[str | None, ModelSize | None] = {}  # a history repeats a few sizes
    for run in history.runs:
        recipe = registry.get(run.version.recipe or "")
        text = run.version.model_size
        size = sizes[text] if text in sizes else sizes.setdefault(text, size_of(text))
        views.append(
            RecordView(
                run,
                recipe.task_type if recipe else None,
                run.version.algorithm or (recipe.recommended_algorithm if recipe else None),
                size,
            )
        )
    return Mined(history, tuple(views))


def _sized(views: tuple[RecordView, ...], sizes: SizeRange | None) -> list[RecordView]:
    """The runs of a size in ``sizes`` (all runs when None; a run without a size is in no range)."""
    if sizes is None:
        return list(views)
    return [v for v in views if v.size is not None and v.size in sizes]


def _range(model_size: str | None) -> SizeRange | None:
    return parse_range_arg(model_size) if model_size is not None else None


def _policy(ws: Workspace) -> Policy:
    return importance.load(ws.settings.document)


@dataclass(frozen=True, slots=True)
class Recommendation:
    history: Summary
    recipes: tuple[RecipeStats, ...]  # every size in scope together
    buckets: tuple[Bucket, ...]  # the same, per size bucket
    sizes: SizeRange | None


def recommend(
    ws: Workspace,
    *,
    algorithm: str | None = None,
    task_type: str | None = None,
    min_success: int = 0,
    limit: int | None = None,
    model_size: str | None = None,
) -> Recommendation:
    """Recipes ranked by success, overall and per size bucket.

    The answer is a function of HEAD (and the shallow cut), the settings, the query
    and, for the filters that need it, the recipe registry; it is kept under the
    hash of all of them, so asking again about an unchanged HEAD reads one small
    file instead of every run.
    """
    if min_success < 0 or (limit is not None and limit < 1):
        raise usage_error("--min-success-count must be >= 0 and --limit >= 1")
    sizes = _range(model_size)
    root = ws.require_root()
    at = tip(root)
    registry_needed = algorithm is not None or task_type is not None
    registry = ws.registry().recipes if registry_needed else None
    query = [algorithm, task_type, min_success, limit, sizes.text if sizes else None]
    cache = answers(root)
    key = _answer_key(ws, at, "recommend", query, registry)
    if key is not None:
        found = answercache.recommendation(cache.get(key), at[0])
        if found is not None:
            summary, recipes, buckets = found
            return Recommendation(summary, recipes, buckets, sizes)
    mined = load(ws, registry=registry, at=at)
    views = [
        v
        for v in _sized(mined.views, sizes)
        if (algorithm is None or v.algorithm == algorithm)
        and (task_type is None or v.task_type == task_type)
    ]
    result = Recommendation(
        mined.history.summary,
        experience.recommend(views, min_success=min_success, limit=limit),
        experience.by_size(views, min_success=min_success, limit=limit),
        sizes,
    )
    if key is not None:
        kept = answercache.recommendation_json(result.history, result.recipes, result.buckets)
        cache.put(key, kept)
    return result


def _answer_key(
    ws: Workspace,
    at: tuple[str | None, tuple[str, ...]],
    question: str,
    query: Sequence[object],
    registry: Mapping[str, Recipe] | None,
) -> str | None:
    """The hash of everything the answer to ``question`` depends on (None: not kept)."""
    head, shallow = at
    if head is None:
        return None  # no history: nothing to save
    settings = ws.settings.document.data if ws.settings.document is not None else None
    recipes = (
        None
        if registry is None
        else sorted((k, r.task_type, r.recommended_algorithm) for k, r in registry.items())
    )
    material = [question, head, list(shallow), settings, list(query), recipes]
    text = json.dumps(material, sort_keys=True, default=repr, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class Best:
    history: Summary
    metric: str  # what the runs are ranked by
    minimize: bool
    chosen: bool  # the metric was picked (the most recorded) rather than given
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
    model_size: str | None = None,
) -> Best:
    """The best completed runs; kept like ``recommend``'s answer."""
    if recipe is None and algorithm is None:
        raise usage_error("name --recipe R or --algorithm A")
    if top < 1:
        raise usage_error("--top must be at least 1")
    sizes = _range(model_size)
    root = ws.require_root()
    at = tip(root)
    registry = ws.registry().recipes if algorithm is not None else None
    query = [recipe, algorithm, metric, minimize, top, _sizes_key(sizes)]
    key = _answer_key(ws, at, "best", query, registry)
    found = _kept(root, key, at, runanswers.best)
    if found is not None:
        return Best(*found)
    mined = load(ws, registry=registry, at=at)
    runs = [
        v.run
        for v in _sized(mined.views, sizes)
        if (recipe is None or v.run.version.recipe == recipe)
        and (algorithm is None or v.algorithm == algorithm)
    ]
    if not runs:
        what = f"recipe {recipe!r}" if recipe else f"algorithm {algorithm!r}"
        of_size = f" of model size {sizes.text}" if sizes is not None else ""
        raise GittrainError(f"no finished runs of {what}{of_size} in the history of HEAD")
    ranked = experience.rank(runs, metric, minimize)
    policy, read = _policy(ws), _reader(ws)
    rows = tuple(
        (run, experience.key_params(read(run), run.version.config, policy))
        for run in ranked.runs[:top]
    )
    shared = experience.shared_params([key for _, key in rows])
    answer = (mined.history.summary, ranked.metric, ranked.minimize, ranked.chosen, rows, shared)
    _keep(root, key, answer, runanswers.best_json)
    return Best(*answer)


@dataclass(frozen=True, slots=True)
class JobAdvice:
    history: Summary
    job: str
    model_size: str | None  # the job's own
    scope: Scope
    advice: Suggestions
    failures: tuple[Failure, ...]


def suggest(ws: Workspace, spec: str, model_size: str | None = None) -> JobAdvice:
    """Adjustments to a job; kept by HEAD, settings, the size asked and the job's bytes."""
    sizes = _range(model_size)
    root = ws.require_root()
    source = read_job(ws, spec)
    at = tip(root)
    key = _answer_key(ws, at, "suggest", [_source_key(source), _sizes_key(sizes)], None)
    found = _kept(root, key, at, runanswers.advice)
    if found is not None:
        summary, own_size, scope, advice, failures = found
        return JobAdvice(summary, spec, own_size, scope, advice, failures)
    job, ideas = _parse_job(ws, source)
    mined = load(ws, at=at)
    recipe = job.recipe.id if job.recipe else None
    others = [v for v in mined.views if v.run.job != job.name]  # not its own past runs
    if sizes is not None:
        scope = peers.explicit(sizes)
    else:
        scope = peers.window(others, recipe, size_of(job.model_size), job.model_size)
    policy = _policy(ws)
    mine = experience.key_params(ideas, job.config, policy)
    spelled = {k: ".".join(str(p) for p in path) for k, (_, path) in ideas.items() if path}
    runs = [v.run for v in others if scope.holds(v)]
    advice = experience.suggest(
        mine, recipe, runs, policy, read=_reader(ws), spelled=spelled, scope=scope.text
    )
    # Failures count only near the job's own size (never widened); its own failures count too.
    near = scope if sizes is not None else peers.near(size_of(job.model_size))
    failures = _failures(mined.views, ideas, recipe, near)
    answer = (mined.history.summary, job.model_size, scope, advice, failures)
    _keep(root, key, answer, runanswers.advice_json)
    return JobAdvice(mined.history.summary, spec, job.model_size, scope, advice, failures)


def _failures(
    views: tuple[RecordView, ...] | list[RecordView], ideas: Ideas, recipe: str | None, scope: Scope
) -> tuple[Failure, ...]:
    def number(idea: str) -> float | None:
        value = ideas.get(idea, (None, None))[0]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if ok else None  # type: ignore[arg-type]

    algorithm = ideas.get("algorithm", (None, None))[0]
    return peers.failed_near(
        views,
        recipe=recipe,
        algorithm=algorithm.lower() if isinstance(algorithm, str) else None,
        learning_rate=number("learning_rate"),
        per_device_batch=number("per_device_batch"),
        scope=scope,
    )


@dataclass(frozen=True, slots=True)
class Similar:
    history: Summary
    job: str
    matches: tuple[Match, ...]
    failures: tuple[Failure, ...]


def find_similar(ws: Workspace, spec: str, top: int, model_size: str | None = None) -> Similar:
    """Finished jobs most like a job; kept by HEAD, settings, the query and the job's bytes."""
    if top < 1:
        raise usage_error("--top must be at least 1")
    sizes = _range(model_size)
    root = ws.require_root()
    source = read_job(ws, spec)
    at = tip(root)
    query = [_source_key(source), top, _sizes_key(sizes)]
    key = _answer_key(ws, at, "similar", query, None)
    found = _kept(root, key, at, runanswers.similar)
    if found is not None:
        return Similar(found[0], spec, found[1], found[2])
    job, ideas = _parse_job(ws, source)
    mined = load(ws, at=at)
    mine_features = features(
        job.config, job.recipe.id if job.recipe else None, job.model_size, job.num_gpus
    )
    views = [v for v in _sized(mined.views, sizes) if v.run.job != job.name]
    latest: dict[str, RunRecord] = {}
    for view in views:  # oldest first: the last run of each job wins
        latest.pop(view.run.job, None)  # re-inserted, so the dict stays in history order
        latest[view.run.job] = view.run
    candidates = [
        (
            run,
            features(
                run.version.config, run.version.recipe, run.version.model_size, run.version.num_gpus
            ),
        )
        for run in latest.values()
    ]
    scope = peers.explicit(sizes) if sizes is not None else peers.near(size_of(job.model_size))
    failures = _failures(views, ideas, job.recipe.id if job.recipe else None, scope)
    matches = similar(mine_features, candidates, _policy(ws), top)
    _keep(root, key, (mined.history.summary, matches, failures), runanswers.similar_json)
    return Similar(mined.history.summary, spec, matches, failures)


def _kept(
    root: Path,
    key: str | None,
    at: tuple[str | None, tuple[str, ...]],
    read: Callable[[object, str | None], T | None],
) -> T | None:
    """The answer kept under ``key`` for HEAD ``at``, when there is a usable one."""
    return None if key is None else read(answers(root).get(key), at[0])


def _keep(root: Path, key: str | None, answer: T, write: Callable[[T], object]) -> None:
    """Keep ``answer`` for next time (not when it holds a value JSON cannot give back)."""
    if key is None:
        return
    try:
        kept = write(answer)
    except (runanswers.Unkept, RecursionError):  # a type JSON cannot give back, or too deep
        return
    answers(root).put(key, kept)


def _sizes_key(sizes: SizeRange | None) -> list[object] | None:
    return None if sizes is None else [sizes.low, sizes.high, sizes.text]


def _source_key(source: JobSource) -> list[object]:
    """A job file as an answer depends on it: where it was read, and its bytes."""
    digest = hashlib.sha256(source.raw).hexdigest()
    return [source.name, source.rel, source.commit, digest]


def _reader(ws: Workspace) -> Callable[[RunRecord], Ideas]:
    """A run's config through the canonical view, for the few runs an answer shows."""
    from gittrain.core.dialects.effective import effective

    eff = effective(ws.settings)
    return lambda run: canonical(run.version, eff)


def _parse_job(ws: Workspace, source: JobSource) -> tuple[jobs.Job, Ideas]:
    """The job, and its config through the canonical view (as mining reads every run)."""
    from gittrain.core.dialects.config import read_own
    from gittrain.core.dialects.effective import effective

    doc = yamlio.load_bytes(source.raw, source.shown)
    job = jobs.from_doc(doc)
    view = read_own(doc, effective(ws.settings), job.config, ("config",), "job").view
    return job, {idea: (v.value, v.path) for idea, v in view.values.items()}
