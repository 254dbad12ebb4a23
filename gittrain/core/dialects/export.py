"""Canonical ideas written in a framework's own keys: each dialect's reading, run backwards.

Nothing here knows a framework: a value is written where the dialect reads it
(the first path of a plain read, the native word of a ``map``, the conditions
of a ``case``, the numerator of a ``ratio``).  What a dialect cannot say is
listed, never dropped silently, and an algorithm the framework does not run
is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from gittrain.core.dialects.view import is_number
from gittrain.core.dialects.vocabulary import Case, Cond, Dialect, Source, Vocabulary
from gittrain.errors import GittrainError

Path = tuple[str, ...]


class Exported(NamedTuple):
    """A native config (nested mapping), what it could not express, and how to run it."""

    dialect: Dialect
    config: dict[str, object]
    unexpressed: tuple[tuple[str, object], ...]  # (idea, value) the dialect has no key for
    carried: tuple[str, ...] = ()  # ideas the run command states, not the file (`trl reward`)
    written: Mapping[str, tuple[Path, ...]] = {}  # idea -> the native paths written for it


def runs(dialect: Dialect) -> frozenset[str]:
    """The algorithms a framework runs: every value its reading of ``algorithm`` can give."""
    out: set[str] = set()
    for source in dialect.ideas.get("algorithm", ()):
        out.update(str(v) for v in (source.mapping or {}).values())
        out.update(str(case.value) for case in source.cases)
        out.update(str(value) for value, _ in source.infer)
        if source.has_default:
            out.add(str(source.default))
    return frozenset(v.lower() for v in out)


def export(
    vocabulary: Vocabulary, target: Dialect, values: Mapping[str, object], *, where: str = ""
) -> Exported:
    """``values`` (idea -> canonical value) as a config of ``target``'s framework."""
    algorithm = values.get("algorithm")
    supported = runs(target)
    if isinstance(algorithm, str) and supported and algorithm.lower() not in supported:
        prefix = f"{where}: " if where else ""
        raise GittrainError(
            f"{prefix}{target.title} does not run {algorithm.upper()} "
            f"(it runs {', '.join(sorted(supported))})"
        )
    values = _counted_in_prompts(target, values)
    writer = _Writer(target, values)
    unexpressed: list[tuple[str, object]] = []
    for idea in vocabulary.ideas:
        if idea not in values or values[idea] is None:
            continue
        if not writer.write(idea, values[idea]) and not _implied(idea, values):
            unexpressed.append((idea, values[idea]))
    if any(idea == "algorithm" for idea, _ in unexpressed):
        prefix = f"{where}: " if where else ""
        raise GittrainError(
            f"{prefix}{target.title} reads {str(algorithm).upper()} from names gittrain cannot "
            "choose for you (a loss component); write that config from the framework's own "
            "example"
        )
    return Exported(
        target,
        _nest(writer.assigned),
        tuple(unexpressed),
        tuple(sorted(writer.carried)),
        {idea: tuple(paths) for idea, paths in writer.written.items()},
    )


def _counted_in_prompts(target: Dialect, values: Mapping[str, object]) -> Mapping[str, object]:
    """gittrain's RL recipes count their global batch in prompts, as verl's batch does."""
    rl = str(values.get("algorithm", "")).lower() in _RL
    counts_prompts = "global_batch" not in target.ideas and "prompt_batch" in target.ideas
    if rl and counts_prompts and "global_batch" in values and "prompt_batch" not in values:
        return {**values, "prompt_batch": values["global_batch"]}
    return values


_RL = frozenset({"grpo", "ppo", "rloo", "reinforce_pp", "remax", "dapo"})


def _implied(idea: str, values: Mapping[str, object]) -> bool:
    """The global batch a framework computes itself: per-device x accumulation x GPUs."""
    if idea != "global_batch":
        return False
    factors = [values.get(i) for i in ("per_device_batch", "accumulation", "num_gpus")]
    if not all(is_number(f) for f in factors[:1] + factors[2:]):
        return False
    product = 1.0
    for factor in factors:
        product *= float(factor) if is_number(factor) else 1.0  # type: ignore[arg-type]
    return product == values[idea]


class _Writer:
    def __init__(self, dialect: Dialect, values: Mapping[str, object]) -> None:
        self.dialect = dialect
        self.values = values
        self.assigned: dict[Path, object] = {}
        self.carried: set[str] = set()
        self.written: dict[str, list[Path]] = {}
        self.idea = ""
        # Paths some idea writes directly: a case condition on one of them is that idea's
        # job, and a ratio's denominator may be one of them, not yet written.
        self.owned = {
            path: values[idea]
            for idea, sources in dialect.ideas.items()
            if idea in values
            for source in sources
            for path in source.read[:1]
        }

    def write(self, idea: str, value: object) -> bool:
        for source in self.dialect.ideas.get(idea, ()):
            if not all(_holds(self.values.get(i), options) for i, options in source.when):
                continue
            self.idea = idea
            done = self._source(source, value)
            if done is not None:
                self.assigned.update(done)
                self.written.setdefault(idea, []).extend(done)
                return True
        return False

    def _source(self, source: Source, value: object) -> dict[Path, object] | None:
        if source.has_default and _same(source.default, value) and not source.read:
            return {}  # the framework's default already says it
        for inferred, paths in source.infer:
            if _same(inferred, value) and any(p in self.owned for p in paths):
                return {}  # implied by keys the other ideas write (TRL: num_generations)
        for case in source.cases:
            if _same(case.value, value):
                return self._case(case, value)
        for inferred, _paths in source.infer:
            if _same(inferred, value):
                self.carried.add(self.idea)  # the command that runs it says it (`trl kto`)
                return {}
        if source.has_default and _same(source.default, value):
            return {}
        if source.product:
            return self._product(source.product, value)
        if source.ratio is not None:
            return self._ratio(source.ratio, value)
        if source.read:
            return {source.read[0]: _native(source, value)}
        return None

    def _case(self, case: Case, value: object) -> dict[Path, object] | None:
        if case.emit:
            return dict(case.emit)
        out: dict[Path, object] = {}
        for cond in case.conds:
            if cond.path in self.owned:
                continue  # e.g. lora_rank > 0: the rank's own value is written
            native = _satisfy(cond, value)
            if native is _NO:
                return None
            if native is not _SKIP:
                out[cond.path] = native
        return out

    def _product(self, paths: tuple[Path, ...], value: object) -> dict[Path, object] | None:
        if all(p in self.assigned for p in paths):
            return {}  # its factors (GPUs per node, nodes) were written as themselves
        rest = [p for p in paths[1:] if p not in self.assigned]
        if not is_number(value):
            return None
        out: dict[Path, object] = {paths[0]: value}
        out.update((p, 1) for p in rest)
        return out

    def _ratio(self, ratio: tuple[Path, Path], value: object) -> dict[Path, object] | None:
        top, bottom = ratio
        denominator = self.assigned.get(bottom, self.owned.get(bottom))
        if not (is_number(value) and is_number(denominator)):
            return None
        product = float(value) * float(denominator)  # type: ignore[arg-type]
        return {top: int(product) if product.is_integer() else product}


_NO = object()  # the condition cannot be met by writing a value
_SKIP = object()  # met by writing nothing (`present: false`)


def _satisfy(cond: Cond, value: object) -> object:
    """A native value that makes ``cond`` hold, or ``_NO`` when none can be chosen."""
    if cond.op == "eq":
        return cond.arg
    if cond.op == "in":
        assert isinstance(cond.arg, frozenset)
        folded = value.lower() if isinstance(value, str) else value
        if folded in cond.arg:
            return folded  # the canonical word itself, when the framework takes it
        return sorted(cond.arg, key=str)[0] if cond.arg else _NO
    if cond.op == "present":
        return _NO if cond.arg else _SKIP  # a value cannot be made up; absence is free
    if cond.op == "gt" and is_number(cond.arg):
        return int(cond.arg) + 1  # type: ignore[call-overload]
    return _NO  # "contains": a component name cannot be made up


def _native(source: Source, value: object) -> object:
    if source.mapping is None or not isinstance(value, str):
        return value
    for native, canonical in source.mapping.items():
        if _same(canonical, value):
            return native
    return value


def _holds(value: object, options: frozenset[object]) -> bool:
    if value is None:
        return False
    return (value.lower() if isinstance(value, str) else value) in options


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return (type(a) is type(b) and a == b) or (is_number(a) and is_number(b) and a == b)


def _nest(assigned: Mapping[Path, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for path, value in assigned.items():
        node = out
        for key in path[:-1]:
            child = node.setdefault(key, {})
            assert isinstance(child, dict)
            node = child
        node[path[-1]] = value
    return out


def flatten(config: Mapping[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """``{"a": {"b": 1}}`` -> ``[("a.b", 1)]``: Hydra override order."""
    out: list[tuple[str, object]] = []
    for key, value in config.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.extend(flatten(value, dotted))
        else:
            out.append((dotted, value))
    return out
