"""What the run history says: recipe success rates, best runs, and suggestions with evidence."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gittrain.core.diff import is_number, leaves
from gittrain.core.importance import Policy, Tier
from gittrain.core.runs.history import Ideas, RunRecord
from gittrain.core.sizes import ModelSize
from gittrain.core.words import counted
from gittrain.errors import GittrainError

KEY_TIERS = (Tier.CRITICAL, Tier.IMPORTANT)
TOP_RUNS = 3
MIN_RUNS_TO_SUGGEST = 2
# A job value this many times off the top runs' median (either way) is worth a suggestion.
SUGGEST_FACTOR = 1.5
_LOWER_IS_BETTER = ("loss", "perplexity", "ppl", "error", "wer", "cer")
# recommend's size buckets: (upper bound in parameters, inclusive; label), smallest first.
BUCKETS: tuple[tuple[float | None, str], ...] = ((3e9, "<=3B"), (14e9, "3B-14B"), (None, ">14B"))
UNKNOWN_SIZE = "size unknown"


@dataclass(frozen=True, slots=True)
class Stat:
    """Mean and median of one value over runs, with the runs it came from."""

    mean: float
    median: float
    runs: tuple[str, ...]  # job@commit


@dataclass(frozen=True, slots=True)
class RecipeStats:
    recipe: str
    total: int
    completed: int
    failed: int
    cancelled: int
    learning_rate: Stat | None
    batch_size: Stat | None
    runs: tuple[str, ...]  # every run counted, job@commit

    @property
    def success_rate(self) -> float:
        return self.completed / self.total if self.total else 0.0


def recommend(
    runs: Sequence[RecordView],
    *,
    min_success: int = 0,
    limit: int | None = None,
) -> tuple[RecipeStats, ...]:
    """Per recipe: counts, success rate, and lr/batch of successful runs; best first."""
    by_recipe: dict[str, list[RecordView]] = {}
    for view in runs:
        by_recipe.setdefault(view.run.version.recipe or "(none)", []).append(view)
    stats = []
    for recipe, group in by_recipe.items():
        status = Counter(v.run.version.status for v in group)
        done = [v.run for v in group if v.run.version.status == "completed"]
        if status["completed"] < min_success:
            continue
        stats.append(
            RecipeStats(
                recipe=recipe,
                total=len(group),
                completed=status["completed"],
                failed=status["failed"],
                cancelled=status["cancelled"],
                learning_rate=_stat(done, "learning_rate"),
                batch_size=_stat(done, "global_batch"),
                runs=tuple(v.run.cite for v in group),
            )
        )
    stats.sort(key=lambda s: (-s.success_rate, -s.total, s.recipe))
    return tuple(stats[:limit] if limit else stats)


@dataclass(frozen=True, slots=True)
class RecordView:
    """A run with what the registry knows about its recipe (for filtering), and its size."""

    run: RunRecord
    task_type: str | None
    algorithm: str | None
    size: ModelSize | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str  # one of BUCKETS' labels, or UNKNOWN_SIZE
    runs: int  # every run in the bucket (``limit`` may show fewer recipes)
    recipes: tuple[RecipeStats, ...]


def bucket_of(size: ModelSize | None) -> str:
    if size is None:
        return UNKNOWN_SIZE
    for high, label in BUCKETS:
        if high is None or size.params <= high * (1 + 1e-9):
            return label
    raise AssertionError("the last bucket is unbounded")


def by_size(
    runs: Sequence[RecordView], *, min_success: int = 0, limit: int | None = None
) -> tuple[Bucket, ...]:
    """``recommend`` within each size bucket that has runs, smallest first."""
    order = [label for _, label in BUCKETS] + [UNKNOWN_SIZE]
    groups: dict[str, list[RecordView]] = {label: [] for label in order}
    for view in runs:
        groups[bucket_of(view.size)].append(view)
    out = []
    for label, group in groups.items():
        stats = recommend(group, min_success=min_success, limit=limit)
        if stats:
            out.append(Bucket(label, len(group), stats))
    return tuple(out)


def _stat(runs: Sequence[RunRecord], idea: str) -> Stat | None:
    pairs = [(r.version.number(idea), r.cite) for r in runs]
    numbers = [(v, cite) for v, cite in pairs if v is not None]
    if not numbers:
        return None
    values = [v for v, _ in numbers]
    return Stat(statistics.fmean(values), statistics.median(values), tuple(c for _, c in numbers))


def key_params(ideas: Ideas, config: Mapping[str, object], policy: Policy) -> dict[str, object]:
    """The critical and important values: ideas by name, other config leaves by dotted path.

    Ideas come from the canonical view, so ``lr`` and ``learning_rate`` (or a
    repository's own spelling) are one parameter; a dialect default is no value.
    """
    out: dict[str, object] = {}
    used: set[tuple[object, ...]] = set()
    for idea, (value, path) in ideas.items():
        if path is None or not path or path[0] != "config":
            continue
        used.add(tuple(path))
        tier, _ = policy.classify(path)
        if tier in KEY_TIERS:
            out[idea] = value
    for rel, value in leaves(dict(config)):
        full = ("config", *rel)
        if any(full[:i] in used for i in range(2, len(full) + 1)):
            continue
        tier, _ = policy.classify(full)
        if tier in KEY_TIERS:
            out[".".join(str(p) for p in rel)] = value
    return out


_UNSET = object()


def shared_params(rows: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """The parameters every row has, with one value; empty for fewer than two rows."""
    if len(rows) < 2:
        return {}
    first, rest = rows[0], rows[1:]
    return {k: v for k, v in first.items() if all(r.get(k, _UNSET) == v for r in rest)}


def lower_is_better(metric: str) -> bool:
    return any(word in metric.lower() for word in _LOWER_IS_BETTER)


@dataclass(frozen=True, slots=True)
class Ranked:
    metric: str
    minimize: bool
    runs: tuple[RunRecord, ...]  # best first
    chosen: bool  # the metric was picked (the most recorded) rather than given


def rank(runs: Sequence[RunRecord], metric: str | None, minimize: bool | None) -> Ranked:
    """Completed runs that recorded ``metric`` (default: the most recorded one), best first."""
    done = [r for r in runs if r.version.status == "completed"]
    recorded = Counter(m for r in done for m in r.version.metrics)
    if not recorded:
        raise GittrainError("no completed run recorded any metric")
    chosen = metric is None
    if metric is None:
        metric = sorted(recorded.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    if metric not in recorded:
        known = ", ".join(sorted(recorded))
        raise GittrainError(f"no completed run recorded metric {metric!r} (recorded: {known})")
    low = lower_is_better(metric) if minimize is None else minimize
    having = [r for r in done if metric in r.version.metrics]
    ordered = sorted(
        having,
        key=lambda r: (r.version.metrics[metric] * (1 if low else -1), -r.timestamp, r.job),
    )
    return Ranked(metric, low, tuple(ordered), chosen)


@dataclass(frozen=True, slots=True)
class Suggestion:
    key: str  # an idea, or a config path that is no idea
    current: object
    proposed: object
    reason: str
    evidence: tuple[str, ...]  # job@commit of the runs behind it


@dataclass(frozen=True, slots=True)
class Suggestions:
    recipe: str | None
    metric: str | None  # what the top runs are ranked by (None: nothing to rank)
    top: tuple[RunRecord, ...]
    suggestions: tuple[Suggestion, ...]
    note: str  # why there is nothing to suggest, when there is not


def suggest(
    mine: Mapping[str, object],
    recipe: str | None,
    runs: Sequence[RunRecord],
    policy: Policy,
    *,
    read: Callable[[RunRecord], Ideas],
    spelled: Mapping[str, str] | None = None,
    scope: str = "",
) -> Suggestions:
    """Compare a job's key parameters (``key_params``) with the best runs of the same recipe.

    ``runs`` are the runs in scope (a size window); ``scope`` says which, for the
    notes; ``read`` gives a run's canonical view; ``spelled`` is the job's own path
    of each idea, for the reasons.
    """
    same = [r for r in runs if recipe is not None and r.version.recipe == recipe]
    done = [r for r in same if r.version.status == "completed" and r.version.metrics]
    if recipe is None:
        note = "the job names no recipe, so there are no runs of the same recipe to compare with"
        return Suggestions(recipe, None, (), (), note)
    if len(done) < MIN_RUNS_TO_SUGGEST:
        where = f" {scope}" if scope else ""
        note = (
            "too little history to suggest anything: "
            f"{counted(len(done), 'completed run')} of recipe "
            f"{recipe}{where} with metrics (at least {MIN_RUNS_TO_SUGGEST} are needed)"
        )
        return Suggestions(recipe, None, (), (), note)
    ranked = rank(done, None, None)
    top = ranked.runs[:TOP_RUNS]
    theirs = [key_params(read(r), r.version.config, policy) for r in top]
    out = []
    for key, value in mine.items():
        values = [p[key] for p in theirs if key in p]
        if len(values) < len(top):
            continue
        shown = key
        if spelled and key in spelled and spelled[key] not in (key, f"config.{key}"):
            shown = f"{key} ({spelled[key]})"
        found = _numeric(shown, key, value, values, top) or _categorical(
            shown, key, value, values, top
        )
        if found is not None:
            out.append(found)
    top_runs = counted(len(top), "run")
    note = "" if out else f"the job agrees with the top {top_runs} on every key parameter"
    return Suggestions(recipe, ranked.metric, top, tuple(out), note)


def _numeric(
    shown: str, key: str, value: object, values: list[object], top: Sequence[RunRecord]
) -> Suggestion | None:
    if not is_number(value) or not all(is_number(v) for v in values):
        return None
    median = statistics.median(float(v) for v in values)  # type: ignore[arg-type]
    mine = float(value)  # type: ignore[arg-type]
    if median <= 0 or mine <= 0 or math.isclose(mine, median):
        return None
    ratio = mine / median
    if max(ratio, 1 / ratio) < SUGGEST_FACTOR:
        return None
    proposed: object = int(median) if all(isinstance(v, int) for v in values) else median
    how = f"{_g(ratio)}x" if ratio > 1 else f"1/{_g(1 / ratio)}"
    cites = ", ".join(r.cite for r in top)
    reason = (
        f"{shown} {_g(mine)} is {how} the median of the top {counted(len(top), 'run')} "
        f"({_g(median)}: jobs {cites}); consider {_g(median)}"
    )
    return Suggestion(key, value, proposed, reason, tuple(r.cite for r in top))


def _categorical(
    shown: str, key: str, value: object, values: list[object], top: Sequence[RunRecord]
) -> Suggestion | None:
    if is_number(value) or any(v != values[0] for v in values) or values[0] == value:
        return None
    cites = ", ".join(r.cite for r in top)
    reason = (
        f"{shown} is {value!r} but all top {counted(len(top), 'run')} use {values[0]!r} "
        f"(jobs {cites}); consider {values[0]!r}"
    )
    return Suggestion(key, value, values[0], reason, tuple(r.cite for r in top))


def _g(number: float) -> str:
    return f"{number:.3g}"
