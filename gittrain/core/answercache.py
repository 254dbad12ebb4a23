"""Finished experience answers as JSON, and back: checked field by field, since the cache
file they are kept in (``historycache.AnswerCache``) is untrusted.

A value of any other shape or type reads as None: the answer is computed again.
"""

from __future__ import annotations

from typing import Any

from gittrain.core.experience import Bucket, RecipeStats, Stat
from gittrain.core.history import Skipped, Summary

Answer = tuple[Summary, tuple[RecipeStats, ...], tuple[Bucket, ...]]


def recommendation_json(
    summary: Summary, recipes: tuple[RecipeStats, ...], buckets: tuple[Bucket, ...]
) -> dict[str, Any]:
    return {
        "head": summary.head,
        "runs": summary.runs,
        "skipped": [[s.path, s.commit, s.message] for s in summary.skipped],
        "shallow": list(summary.shallow),
        "recipes": [_stats_json(s) for s in recipes],
        "buckets": [[b.label, b.runs, [_stats_json(s) for s in b.recipes]] for b in buckets],
    }


def recommendation(value: object, head: str | None) -> Answer | None:
    """The answer ``recommendation_json`` kept, for ``head``; None when it is not one."""
    try:
        if type(value) is not dict or value.keys() != _KEYS or value["head"] != head:
            return None
        summary = Summary(
            _str(value["head"]),
            _int(value["runs"]),
            tuple(Skipped(_str(p), _str(c), _str(m)) for p, c, m in _list(value["skipped"])),
            tuple(_str(c) for c in _list(value["shallow"])),
        )
        recipes = tuple(_stats(s) for s in _list(value["recipes"]))
        buckets = tuple(
            Bucket(_str(label), _int(runs), tuple(_stats(s) for s in _list(stats)))
            for label, runs, stats in _list(value["buckets"])
        )
    except (TypeError, ValueError, KeyError):  # a wrong shape or type: computed again
        return None
    return summary, recipes, buckets


_KEYS = frozenset({"head", "runs", "skipped", "shallow", "recipes", "buckets"})


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
    recipe, total, completed, failed, cancelled, lr, batch, runs = _list(value)
    return RecipeStats(
        _str(recipe),
        _int(total),
        _int(completed),
        _int(failed),
        _int(cancelled),
        _stat(lr),
        _stat(batch),
        _strs(runs),
    )


def _stat(value: object) -> Stat | None:
    if value is None:
        return None
    mean, median, runs = _list(value)
    return Stat(_float(mean), _float(median), _strs(runs))


def _list(value: object) -> list[Any]:
    if type(value) is not list:
        raise TypeError("expected a list")
    return value


def _strs(value: object) -> tuple[str, ...]:
    """A list of strings (thousands of run citations: checked at C speed, not one by one)."""
    items = _list(value)
    if not set(map(type, items)) <= {str}:
        raise TypeError("expected strings")
    return tuple(items)


def _str(value: object) -> str:
    if type(value) is not str:
        raise TypeError("expected a string")
    return value


def _int(value: object) -> int:
    if type(value) is not int or value < 0:
        raise TypeError("expected a count")
    return value


def _float(value: object) -> float:
    if type(value) not in (int, float):
        raise TypeError("expected a number")
    return float(value)  # type: ignore[arg-type]
