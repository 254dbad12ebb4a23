"""Finished experience answers as JSON, and back: checked field by field, since the cache
file they are kept in (``historycache.AnswerCache``) is untrusted.

A value of any other shape or type reads as None: the answer is computed again.
"""

from __future__ import annotations

from typing import Any

from gittrain.core.runs.experience import Bucket, RecipeStats, Stat
from gittrain.core.runs.history import Skipped, Summary

Answer = tuple[Summary, tuple[RecipeStats, ...], tuple[Bucket, ...]]


def recommendation_json(
    summary: Summary, recipes: tuple[RecipeStats, ...], buckets: tuple[Bucket, ...]
) -> dict[str, Any]:
    return {
        **summary_json(summary),
        "recipes": [_stats_json(s) for s in recipes],
        "buckets": [[b.label, b.runs, [_stats_json(s) for s in b.recipes]] for b in buckets],
    }


def recommendation(value: object, head: str | None) -> Answer | None:
    """The answer ``recommendation_json`` kept, for ``head``; None when it is not one."""
    try:
        if type(value) is not dict or value.keys() != _KEYS or value["head"] != head:
            return None
        summary = summary_of(value)
        recipes = tuple(_stats(s) for s in as_list(value["recipes"]))
        buckets = tuple(
            Bucket(as_str(label), as_int(runs), tuple(_stats(s) for s in as_list(stats)))
            for label, runs, stats in as_list(value["buckets"])
        )
    except (TypeError, ValueError, KeyError):  # a wrong shape or type: computed again
        return None
    return summary, recipes, buckets


SUMMARY_KEYS = frozenset({"head", "runs", "skipped", "shallow"})
_KEYS = SUMMARY_KEYS | {"recipes", "buckets"}


def summary_json(summary: Summary) -> dict[str, Any]:
    """The header every answer carries (its ``head`` is checked against HEAD on reading)."""
    return {
        "head": summary.head,
        "runs": summary.runs,
        "skipped": [[s.path, s.commit, s.message] for s in summary.skipped],
        "shallow": list(summary.shallow),
    }


def summary_of(value: dict[str, Any]) -> Summary:
    return Summary(
        as_str(value["head"]),
        as_int(value["runs"]),
        tuple(Skipped(as_str(p), as_str(c), as_str(m)) for p, c, m in as_list(value["skipped"])),
        tuple(as_str(c) for c in as_list(value["shallow"])),
    )


def _stats_json(s: RecipeStats) -> list[object]:
    return [
        s.recipe,
        s.total,
        s.completed,
        s.failed,
        s.cancelled,
        _stat_json(s.learning_rate),
        _stat_json(s.batch_size),
        list(s.runs),
    ]


def _stat_json(stat: Stat | None) -> list[object] | None:
    return None if stat is None else [stat.mean, stat.median, list(stat.runs)]


def _stats(value: object) -> RecipeStats:
    recipe, total, completed, failed, cancelled, lr, batch, runs = as_list(value)
    return RecipeStats(
        as_str(recipe),
        as_int(total),
        as_int(completed),
        as_int(failed),
        as_int(cancelled),
        _stat(lr),
        _stat(batch),
        as_strs(runs),
    )


def _stat(value: object) -> Stat | None:
    if value is None:
        return None
    mean, median, runs = as_list(value)
    return Stat(as_float(mean), as_float(median), as_strs(runs))


def as_list(value: object) -> list[Any]:
    if type(value) is not list:
        raise TypeError("expected a list")
    return value


def as_strs(value: object) -> tuple[str, ...]:
    """A list of strings (thousands of run citations: checked at C speed, not one by one)."""
    items = as_list(value)
    if not set(map(type, items)) <= {str}:
        raise TypeError("expected strings")
    return tuple(items)


def as_str(value: object) -> str:
    if type(value) is not str:
        raise TypeError("expected a string")
    return value


def as_int(value: object) -> int:
    if type(value) is not int or value < 0:
        raise TypeError("expected a count")
    return value


def as_float(value: object) -> float:
    if type(value) not in (int, float):
        raise TypeError("expected a number")
    return float(value)  # type: ignore[arg-type]
