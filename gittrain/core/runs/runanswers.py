"""Finished answers that show run records (best, suggest, similar) as JSON, and back:
checked field by field like ``answercache``, since the file they are kept in is untrusted.

Values read from job configs can be of any type YAML gives, and the CLI prints them
as they are (a tuple is not a list, 1 is not 1.0), so they are written tagged: a
list, a tuple, a mapping and the MISSING marker each as a one-key object, read back
exactly.  An answer holding any other type is not kept (``Unkept``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gittrain.core.diff import MISSING
from gittrain.core.runs.answercache import (
    SUMMARY_KEYS,
    as_list,
    as_str,
    as_strs,
    summary_json,
    summary_of,
)
from gittrain.core.runs.experience import Suggestion, Suggestions
from gittrain.core.runs.history import DatasetVersion, RunRecord, Summary, Version
from gittrain.core.runs.peers import Failure, Scope
from gittrain.core.runs.similarity import Match, Term
from gittrain.core.sizes import SizeRange

T = TypeVar("T")
Row = tuple[RunRecord, dict[str, object]]
BestAnswer = tuple[Summary, str, bool, bool, tuple[Row, ...], dict[str, object]]
AdviceAnswer = tuple[Summary, str | None, Scope, Suggestions, tuple[Failure, ...]]
SimilarAnswer = tuple[Summary, tuple[Match, ...], tuple[Failure, ...]]


class Unkept(Exception):
    """A value JSON cannot give back exactly: the answer is computed every time."""


def best_json(answer: BestAnswer) -> dict[str, Any]:
    summary, metric, minimize, chosen, rows, shared = answer
    return {
        **summary_json(summary),
        "metric": metric,
        "minimize": minimize,
        "chosen": chosen,
        "rows": [[run_json(run), value_json(key)] for run, key in rows],
        "shared": value_json(shared),
    }


def best(value: object, head: str | None) -> BestAnswer | None:
    """The answer ``best_json`` kept, for ``head``; None when it is not one."""

    def read(v: dict[str, Any]) -> BestAnswer:
        rows = tuple((run_of(run), _mapping(key, _any)) for run, key in as_list(v["rows"]))
        return (
            summary_of(v),
            as_str(v["metric"]),
            _bool(v["minimize"]),
            _bool(v["chosen"]),
            rows,
            _mapping(v["shared"], _any),
        )

    return _checked(value, head, _BEST, read)


def advice_json(answer: AdviceAnswer) -> dict[str, Any]:
    summary, model_size, scope, advice, failures = answer
    sizes = scope.sizes
    return {
        **summary_json(summary),
        "model_size": model_size,
        "scope": [
            None if sizes is None else [sizes.low, sizes.high, sizes.text],
            scope.text,
            list(scope.notes),
        ],
        "advice": [
            advice.recipe,
            advice.metric,
            [run_json(r) for r in advice.top],
            [
                [s.key, value_json(s.current), value_json(s.proposed), s.reason, list(s.evidence)]
                for s in advice.suggestions
            ],
            advice.note,
        ],
        "failures": [_failure_json(f) for f in failures],
    }


def advice(value: object, head: str | None) -> AdviceAnswer | None:
    """The answer ``advice_json`` kept, for ``head``; None when it is not one."""

    def read(v: dict[str, Any]) -> AdviceAnswer:
        sizes, text, notes = as_list(v["scope"])
        scope = Scope(_sizes(sizes), as_str(text), as_strs(notes))
        recipe, metric, top, suggestions, note = as_list(v["advice"])
        kept = Suggestions(
            _opt_str(recipe),
            _opt_str(metric),
            tuple(run_of(r) for r in as_list(top)),
            tuple(_suggestion(s) for s in as_list(suggestions)),
            as_str(note),
        )
        failures = tuple(_failure(f) for f in as_list(v["failures"]))
        return summary_of(v), _opt_str(v["model_size"]), scope, kept, failures

    return _checked(value, head, _ADVICE, read)


def similar_json(answer: SimilarAnswer) -> dict[str, Any]:
    summary, matches, failures = answer
    return {
        **summary_json(summary),
        "matches": [
            [
                run_json(m.run),
                m.score,
                [_term_json(t) for t in m.agree],
                [_term_json(t) for t in m.differ],
            ]
            for m in matches
        ],
        "failures": [_failure_json(f) for f in failures],
    }


def similar(value: object, head: str | None) -> SimilarAnswer | None:
    """The answer ``similar_json`` kept, for ``head``; None when it is not one."""

    def read(v: dict[str, Any]) -> SimilarAnswer:
        matches = tuple(
            Match(
                run_of(run),
                _number(score),
                tuple(_term(t) for t in as_list(agree)),
                tuple(_term(t) for t in as_list(differ)),
            )
            for run, score, agree, differ in as_list(v["matches"])
        )
        failures = tuple(_failure(f) for f in as_list(v["failures"]))
        return summary_of(v), matches, failures

    return _checked(value, head, _SIMILAR, read)


_BEST = SUMMARY_KEYS | {"metric", "minimize", "chosen", "rows", "shared"}
_ADVICE = SUMMARY_KEYS | {"model_size", "scope", "advice", "failures"}
_SIMILAR = SUMMARY_KEYS | {"matches", "failures"}


def _checked(
    value: object, head: str | None, keys: frozenset[str], read: Callable[[dict[str, Any]], T]
) -> T | None:
    if type(value) is not dict or value.keys() != keys or value["head"] != head:
        return None
    try:
        return read(value)
    except (TypeError, ValueError, KeyError, RecursionError):  # a wrong shape or type
        return None


def run_json(run: RunRecord) -> list[object]:
    v = run.version
    return [
        run.job,
        run.path,
        run.commit,
        run.author,
        run.timestamp,
        run.blob,
        run.at_boundary,
        [[d.role, d.ref, d.name, d.sha256] for d in run.datasets],
        [
            v.recipe,
            v.recipe_version,
            v.model,
            v.model_size,
            v.num_gpus,
            v.status,
            v.finished_at,
            value_json(v.metrics),
            value_json(v.config),
            value_json(v.datasets),
            value_json(v.ideas),
            v.framework,
            v.config_file,
        ],
    ]


def run_of(value: object) -> RunRecord:
    job, path, commit, author, stamp, blob, boundary, datasets, version = as_list(value)
    return RunRecord(
        as_str(job),
        as_str(path),
        as_str(commit),
        as_str(author),
        _whole(stamp),
        _version(version),
        tuple(
            DatasetVersion(as_str(r), as_str(f), _opt_str(n), _opt_str(h))
            for r, f, n, h in as_list(datasets)
        ),
        _bool(boundary),
        as_str(blob),
    )


def _version(value: object) -> Version:
    recipe, rv, model, size, gpus, status, fin, metrics, config, datasets, ideas, fw, cf = as_list(
        value
    )
    return Version(
        _opt_str(recipe),
        _opt_str(rv),
        _opt_str(model),
        _opt_str(size),
        None if gpus is None else _whole(gpus),
        _opt_str(status),
        _opt_str(fin),
        _mapping(metrics, _number),
        _mapping(config),
        _mapping(datasets, as_str),
        _mapping(ideas, _scalar),
        _opt_str(fw),
        _opt_str(cf),
    )


def _failure_json(f: Failure) -> list[object]:
    return [run_json(f.run), f.learning_rate, f.reason]


def _failure(value: object) -> Failure:
    run, lr, reason = as_list(value)
    return Failure(run_of(run), _number(lr), as_str(reason))


def _term_json(t: Term) -> list[object]:
    return [t.key, value_json(t.mine), value_json(t.theirs), t.weight, t.score]


def _term(value: object) -> Term:
    key, mine, theirs, weight, score = as_list(value)
    return Term(as_str(key), value_of(mine), value_of(theirs), _number(weight), _number(score))


def _suggestion(value: object) -> Suggestion:
    key, current, proposed, reason, evidence = as_list(value)
    return Suggestion(
        as_str(key), value_of(current), value_of(proposed), as_str(reason), as_strs(evidence)
    )


def _sizes(value: object) -> SizeRange | None:
    if value is None:
        return None
    low, high, text = as_list(value)
    return SizeRange(
        None if low is None else _number(low), None if high is None else _number(high), as_str(text)
    )


_SCALARS = (type(None), bool, int, float, str)


def value_json(value: object) -> object:
    """Any value a job config holds, tagged so that ``value_of`` gives it back exactly."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return {"l" if kind is list else "t": [value_json(v) for v in value]}  # type: ignore[attr-defined]
    if kind is dict:
        return {"d": [[value_json(k), value_json(v)] for k, v in value.items()]}  # type: ignore[attr-defined]
    if value is MISSING:
        return {"m": 0}
    raise Unkept(kind.__name__)


def value_of(saved: object) -> object:
    if type(saved) in _SCALARS:
        return saved
    if type(saved) is not dict or len(saved) != 1:
        raise TypeError("expected a tagged value")
    [(tag, body)] = saved.items()
    if tag == "m" and type(body) is int and body == 0:
        return MISSING
    items = as_list(body)
    if tag == "l":
        return [value_of(v) for v in items]
    if tag == "t":
        return tuple(value_of(v) for v in items)
    if tag == "d":
        return {value_of(k): value_of(v) for k, v in map(as_list, items)}
    raise TypeError("expected a tagged value")


def _mapping(saved: object, check: Callable[[object], object] | None = None) -> dict[Any, Any]:
    """A tagged mapping; with ``check``, of string keys and values ``check`` accepts."""
    value = value_of(saved)
    if type(value) is not dict:
        raise TypeError("expected a mapping")
    if check is not None:
        for key, item in value.items():
            as_str(key)
            check(item)
    return value


def _any(value: object) -> object:
    return value


def _number(value: object) -> int | float:
    if type(value) not in (int, float):
        raise TypeError("expected a number")
    return value  # type: ignore[return-value]


def _whole(value: object) -> int:
    if type(value) is not int:
        raise TypeError("expected an integer")
    return value


def _scalar(value: object) -> object:
    if type(value) not in _SCALARS:
        raise TypeError("expected a scalar")
    return value


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise TypeError("expected true or false")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else as_str(value)
