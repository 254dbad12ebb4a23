"""Similarity of job configs: leaves weighted by importance tier, numbers on a log scale."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gittrain.core.diff import MISSING, is_number, leaves
from gittrain.core.importance import Policy, Tier
from gittrain.core.runs.history import RunRecord

WEIGHTS = {Tier.CRITICAL: 4.0, Tier.IMPORTANT: 2.0, Tier.NORMAL: 1.0, Tier.NOISE: 0.0}
EXPLAIN = 3  # parameters named per match, each way


@dataclass(frozen=True, slots=True)
class Term:
    key: str
    mine: object
    theirs: object
    weight: float
    score: float  # 0 (nothing alike) .. 1 (equal)


@dataclass(frozen=True, slots=True)
class Match:
    run: RunRecord
    score: float
    agree: tuple[Term, ...]  # the heaviest parameters that agree
    differ: tuple[Term, ...]  # the parameters that differ most, by weight x difference


def features(
    config: Mapping[str, object],
    recipe: str | None,
    size: str | None,
    gpus: int | None,
) -> dict[str, object]:
    """The values compared: every config leaf plus recipe, model size and GPU count."""
    out: dict[str, object] = {"recipe": recipe, "model_size": size, "num_gpus": gpus}
    out = {k: v for k, v in out.items() if v is not None}
    for path, value in leaves(dict(config)):
        out["config." + ".".join(str(p) for p in path)] = value
    return out


def closeness(a: object, b: object) -> float:
    """1 for equal values; numbers by log-ratio (10x apart is 0); anything else 0."""
    if is_number(a) and is_number(b):
        x, y = float(a), float(b)  # type: ignore[arg-type]
        if x == y:
            return 1.0
        if x > 0 and y > 0:
            return max(0.0, 1.0 - abs(math.log10(x / y)))
        return 0.0
    return 1.0 if a == b and type(a) is type(b) else 0.0


def similar(
    mine: Mapping[str, object],
    candidates: Sequence[tuple[RunRecord, Mapping[str, object]]],
    policy: Policy,
    top: int,
) -> tuple[Match, ...]:
    """The ``top`` candidates (oldest first) most like ``mine``; ties go to the newest."""
    matches = [_match(mine, run, theirs, policy) for run, theirs in reversed(candidates)]
    matches.sort(key=lambda m: -m.score)  # stable: newest first among equals
    return tuple(matches[:top])


def _match(
    mine: Mapping[str, object], run: RunRecord, theirs: Mapping[str, object], policy: Policy
) -> Match:
    terms = []
    for key in dict.fromkeys([*mine, *theirs]):
        tier, _ = policy.classify(tuple(key.split(".")))
        weight = WEIGHTS.get(tier, 0.0)
        if not weight:
            continue
        a, b = mine.get(key, MISSING), theirs.get(key, MISSING)
        score = 0.0 if MISSING in (a, b) else closeness(a, b)
        terms.append(Term(key, a, b, weight, score))
    total = sum(t.weight for t in terms)
    score = sum(t.weight * t.score for t in terms) / total if total else 0.0
    agree = sorted((t for t in terms if t.score == 1.0), key=lambda t: -t.weight)
    differ = sorted(
        (t for t in terms if t.score < 1.0), key=lambda t: -(t.weight * (1.0 - t.score))
    )
    return Match(run, score, tuple(agree[:EXPLAIN]), tuple(differ[:EXPLAIN]))
