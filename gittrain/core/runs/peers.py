"""Which runs an answer about one job rests on: its size window, and failed runs near it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from gittrain.core.runs.experience import MIN_RUNS_TO_SUGGEST, RecordView
from gittrain.core.runs.history import RunRecord
from gittrain.core.sizes import ModelSize, SizeRange, around, show

# suggest's default windows around the job's own size, tried in turn; None is every size.
WIDENING: tuple[float | None, ...] = (2.0, 4.0, None)
# A failed run is "near" the job when its learning rate is within this fraction of the job's.
NEAR_LR = 0.10


@dataclass(frozen=True, slots=True)
class Scope:
    """The model sizes an answer compares with, and how they were chosen."""

    sizes: SizeRange | None  # None: every size (runs without a size too)
    text: str  # "within 2x of 7B", "of model size 3B-14B", "of every size"
    notes: tuple[str, ...]  # each widening, in order

    def holds(self, view: RecordView) -> bool:
        if self.sizes is None:
            return True
        return view.size is not None and view.size in self.sizes


def explicit(sizes: SizeRange) -> Scope:
    return Scope(sizes, f"of model size {sizes.text}", ())


def near(size: ModelSize | None) -> Scope:
    """Where failed runs count as near a job: within 2x of its size (every size when unknown)."""
    if size is None:
        return Scope(None, "of every size", ())
    factor = WIDENING[0]
    assert factor is not None
    sizes = around(size, factor)
    return Scope(sizes, sizes.text, ())


def window(
    views: Sequence[RecordView], recipe: str | None, size: ModelSize | None, size_text: str | None
) -> Scope:
    """Runs within 2x of ``size``; 4x, then every size, while too few runs of ``recipe`` finished.

    "Too few" is what ``suggest`` needs: fewer than MIN_RUNS_TO_SUGGEST completed
    runs with metrics.  Every widening is a note, so advice never comes silently
    from another size class.
    """
    if size is None:
        why = f"model_size {size_text!r} is not a size" if size_text else "states no model_size"
        return Scope(None, "of every size", (f"the job {why}: runs of every size are compared",))
    notes: list[str] = []
    for factor, wider in itertools.pairwise(WIDENING):
        assert factor is not None
        sizes = around(size, factor)
        scope = Scope(sizes, sizes.text, tuple(notes))
        count = sum(1 for v in views if _counts(v, recipe) and scope.holds(v))
        if count >= MIN_RUNS_TO_SUGGEST:
            return scope
        had = "no completed runs" if count == 0 else f"only {count} completed run"
        of = f" of {recipe}" if recipe else ""
        to = f"{wider:g}x ({_span(around(size, wider))})" if wider else "every size"
        notes.append(
            f"{had}{of} within {factor:g}x of {size.text} ({_span(sizes)}); widened to {to}"
        )
    return Scope(None, "of every size", tuple(notes))


def _counts(view: RecordView, recipe: str | None) -> bool:
    v = view.run.version
    return v.recipe == recipe and v.status == "completed" and bool(v.metrics)


def _span(sizes: SizeRange) -> str:
    assert sizes.low is not None and sizes.high is not None
    return f"{show(sizes.low)}-{show(sizes.high)}"


@dataclass(frozen=True, slots=True)
class Failure:
    run: RunRecord
    learning_rate: float
    reason: str  # "a run at this learning rate failed: x@abc1234 (7B)"


def failed_near(
    views: Sequence[RecordView],
    *,
    recipe: str | None,
    algorithm: str | None,
    learning_rate: float | None,
    per_device_batch: float | None,
    scope: Scope,
) -> tuple[Failure, ...]:
    """Failed runs at or near the job's settings, oldest first.

    Near: the same recipe (the same algorithm when the job names no recipe), a
    learning rate within 10% of the job's, and the same per-device batch when
    the job sets one.
    """
    if learning_rate is None or learning_rate <= 0 or (recipe is None and algorithm is None):
        return ()
    out = []
    for view in views:
        v = view.run.version
        if v.status != "failed" or not scope.holds(view):
            continue
        if (v.recipe != recipe) if recipe is not None else (view.algorithm != algorithm):
            continue
        lr = v.number("learning_rate")
        if lr is None or abs(lr - learning_rate) > NEAR_LR * learning_rate * (1 + 1e-9):
            continue
        if per_device_batch is not None and v.number("per_device_batch") != per_device_batch:
            continue
        at = "at this learning rate" if lr == learning_rate else f"near this learning rate ({lr:g})"
        size = v.model_size or "size unknown"
        out.append(Failure(view.run, lr, f"a run {at} failed: {view.run.cite} ({size})"))
    return tuple(out)
