"""How much a config change matters: tiers, matching rules, and the derived global batch.

The default rules are data (``gittrain/data/importance.yaml``, shipped in the
wheel); ``.gittrain.yaml`` may add, override or silence them under ``diff:``.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterator, Sequence
from functools import cache
from typing import NamedTuple

from gittrain.core.diff import DEFAULT_IDENTITY_KEYS, ItemKey, Path, is_number, leaves
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError

# The shipped rules are written as YAML for people; the JSON beside it holds the same
# data so every process (textconv runs once per file) skips the YAML parse.  A test
# keeps the two equal: after editing the YAML, run `python -m gittrain.core.importance`.
DEFAULTS_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "importance.yaml")
DEFAULTS_JSON = DEFAULTS_FILE.removesuffix(".yaml") + ".json"
DEFAULT_PATHS = ("recipes/**", "jobs/**", "configs/**")


class Tier(enum.Enum):
    """Highest first; ``OFF`` drops a change entirely (even with ``--all``)."""

    CRITICAL = "critical"
    IMPORTANT = "important"
    NORMAL = "normal"
    NOISE = "noise"
    OFF = "off"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Tier) -> bool:
        return self.rank <= other.rank


_RANK = {tier: i for i, tier in enumerate(Tier)}
SHOWN_TIERS = (Tier.CRITICAL, Tier.IMPORTANT, Tier.NORMAL, Tier.NOISE)


class Rule(NamedTuple):
    """A tier for every path matched by one of ``patterns`` (split on dots)."""

    patterns: tuple[tuple[str, ...], ...]
    tier: Tier
    idea: str


class DerivedSpec(NamedTuple):
    """Spellings of the factors of the effective global batch."""

    per_device: tuple[str, ...]
    accumulation: tuple[str, ...]
    gpus: tuple[str, ...]
    nodes: tuple[str, ...]
    group: tuple[str, ...]
    algorithm: tuple[str, ...]
    rl_algorithms: frozenset[str]

    @property
    def inputs(self) -> tuple[str, ...]:
        return (
            *self.per_device,
            *self.accumulation,
            *self.gpus,
            *self.nodes,
            *self.group,
            *self.algorithm,
        )


class Policy(NamedTuple):
    """Everything the diff needs from rules and settings."""

    rules: tuple[Rule, ...]
    identity_keys: tuple[str, ...]
    paths: tuple[str, ...]
    derived: DerivedSpec

    def classify(self, path: Path) -> tuple[Tier, Rule | None]:
        segments = path_segments(path)
        for rule in self.rules:
            if any(_matches(segments, pattern) for pattern in rule.patterns):
                return rule.tier, rule
        return Tier.NORMAL, None


def path_segments(path: Path) -> tuple[str, ...]:
    """``datasets[name=x].path`` -> ``("datasets[]", "path")``: list items are ``[]``."""
    out: list[str] = []
    for part in path:
        if isinstance(part, (int, ItemKey)):
            out.append((out.pop() if out else "") + "[]")
        else:
            out.append(part)
    return tuple(out)


def _matches(segments: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Does ``pattern`` match the end of ``segments``?  ``**`` spans any number of keys."""
    if not pattern:
        return True
    if pattern[-1] == "**":
        return any(_matches(segments[:cut], pattern[:-1]) for cut in range(len(segments) + 1))
    if not segments or not _segment(segments[-1], pattern[-1]):
        return False
    return _matches(segments[:-1], pattern[:-1])


def _segment(segment: str, pattern: str) -> bool:
    # `datasets.path` also matches `datasets[0].path`: the index is incidental.
    bare = segment[:-2] if segment.endswith("[]") else None
    if not any(c in pattern for c in "*?["):
        # Most patterns are literal keys: no regex to compile (textconv start-up).
        return pattern in (segment, bare)
    from fnmatch import fnmatchcase  # globs are rare; fnmatch imports re and posixpath

    return fnmatchcase(segment, pattern) or (bare is not None and fnmatchcase(bare, pattern))


def split_pattern(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(".") if part)


def read_defaults_yaml() -> Document:
    """The shipped rules as written (the source of ``importance.json``)."""
    from pathlib import Path as FsPath

    from gittrain.adapters import yamlio

    return yamlio.load_file(FsPath(DEFAULTS_FILE), "gittrain/data/importance.yaml")


def write_defaults_json() -> None:
    """Regenerate ``importance.json`` from ``importance.yaml``."""
    text = json.dumps(read_defaults_yaml().data, indent=1, ensure_ascii=False) + "\n"
    with open(DEFAULTS_JSON, "w", encoding="utf-8") as handle:
        handle.write(text)


@cache
def defaults() -> Policy:
    """The shipped rules (read once per process, from the JSON form of the YAML)."""
    with open(DEFAULTS_JSON, "rb") as handle:
        doc = Document("gittrain/data/importance.yaml", json.loads(handle.read()))
    data = doc.data
    assert isinstance(data, dict)
    rules = tuple(_rules(doc, ("rules",), allow_off=False))
    spec = data.get("derived")
    assert isinstance(spec, dict)

    def names(key: str) -> tuple[str, ...]:
        value = spec.get(key)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return tuple(value)

    derived = DerivedSpec(
        per_device=names("per_device"),
        accumulation=names("accumulation"),
        gpus=names("gpus"),
        nodes=names("nodes"),
        group=names("group"),
        algorithm=names("algorithm"),
        rl_algorithms=frozenset(names("rl_algorithms")),
    )
    return Policy(rules, DEFAULT_IDENTITY_KEYS, DEFAULT_PATHS, derived)


def load(settings_doc: Document | None) -> Policy:
    """The defaults, with the ``diff:`` section of ``.gittrain.yaml`` (if any) applied."""
    base = defaults()
    data = settings_doc.data if settings_doc is not None else None
    section = data.get("diff") if isinstance(data, dict) else None
    if section is None:
        return base
    assert settings_doc is not None
    where = settings_doc.where
    if not isinstance(section, dict):
        raise GittrainError(f"{where(('diff',))}: diff: expected a mapping")
    unknown = sorted(set(section) - {"rules", "identity_keys", "paths"})
    if unknown:
        raise GittrainError(
            f"{where(('diff', unknown[0]))}: diff.{unknown[0]}: unknown setting "
            "(expected rules, identity_keys, paths)"
        )
    user_rules = tuple(_rules(settings_doc, ("diff", "rules"), allow_off=True))
    keys = _strings(settings_doc, ("diff", "identity_keys"), ())
    paths = _strings(settings_doc, ("diff", "paths"), base.paths)
    return Policy(
        rules=user_rules + base.rules,
        identity_keys=tuple(dict.fromkeys((*keys, *base.identity_keys))),
        paths=paths,
        derived=base.derived,
    )


def _strings(doc: Document, path: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    value = _get(doc.data, path)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise GittrainError(f"{doc.where(path)}: {'.'.join(path)}: expected a list of strings")
    return tuple(value)


def _get(data: object, path: tuple[str, ...]) -> object:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _rules(doc: Document, path: tuple[str, ...], *, allow_off: bool) -> Iterator[Rule]:
    items = _get(doc.data, path)
    if items is None:
        return
    dotted = ".".join(path)
    if not isinstance(items, list):
        raise GittrainError(f"{doc.where(path)}: {dotted}: expected a list of rules")
    tiers = [t.value for t in Tier if allow_off or t is not Tier.OFF]
    for index, item in enumerate(items):
        here: DocPath = (*path, index)
        if not isinstance(item, dict):
            raise GittrainError(
                f"{doc.where(here)}: {dotted}[{index}]: expected a mapping with match and tier"
            )
        match = item.get("match")
        # .gittrain.yaml takes one pattern per rule (settings.schema.json says
        # so); the shipped file groups a list of spellings under one idea.
        patterns = [match] if isinstance(match, str) else match if not allow_off else None
        if (
            not isinstance(patterns, list)
            or not patterns
            or not all(isinstance(p, str) and split_pattern(p) for p in patterns)
        ):
            expected = "a key or a dotted path glob" if allow_off else "a list of keys"
            raise GittrainError(
                f"{doc.where((*here, 'match'))}: {dotted}[{index}].match: expected {expected}"
            )
        extra = sorted(set(item) - ({"match", "tier"} if allow_off else {"match", "tier", "idea"}))
        if extra:
            raise GittrainError(
                f"{doc.where((*here, extra[0]))}: {dotted}[{index}].{extra[0]}: unknown key "
                "(a rule has match and tier)"
            )
        tier = item.get("tier")
        if tier not in tiers:
            raise GittrainError(
                f"{doc.where((*here, 'tier'))}: {dotted}[{index}].tier: "
                f"expected one of {', '.join(tiers)}, not {tier!r}"
            )
        idea = item.get("idea", "")
        yield Rule(
            tuple(split_pattern(p) for p in patterns),
            Tier(tier),
            idea if isinstance(idea, str) else "",
        )


class Factors(NamedTuple):
    """The inputs of the effective global batch found in one document."""

    per_device: float | None
    accumulation: float
    gpus: float
    group: float

    @property
    def global_batch(self) -> float | None:
        if self.per_device is None:
            return None
        return self.per_device * self.accumulation * self.gpus * self.group


def factors(data: object, spec: DerivedSpec) -> Factors:
    """Find each factor by its spellings: the shallowest match, then the first in the file.

    Shallowest, so a recipe's ``default_config`` wins over its size ``adjustments``.
    """
    found: dict[tuple[str, ...], tuple[int, object]] = {}
    groups = (spec.per_device, spec.accumulation, spec.gpus, spec.nodes, spec.group, spec.algorithm)
    for path, value in leaves(data):
        segments = path_segments(path)
        for names in groups:
            best = found.get(names)
            if (best is None or len(path) < best[0]) and any(
                _matches(segments, split_pattern(n)) for n in names
            ):
                found[names] = (len(path), value)

    def number(names: tuple[str, ...]) -> float | None:
        value = found.get(names, (0, None))[1]
        return float(value) if is_number(value) else None  # type: ignore[arg-type]

    algorithm = found.get(spec.algorithm, (0, None))[1]
    rl = isinstance(algorithm, str) and algorithm.lower() in spec.rl_algorithms
    return Factors(
        per_device=number(spec.per_device),
        accumulation=number(spec.accumulation) or 1.0,
        gpus=(number(spec.gpus) or 1.0) * (number(spec.nodes) or 1.0),
        group=(number(spec.group) or 1.0) if rl else 1.0,
    )


def touches_batch(paths: Sequence[Path], spec: DerivedSpec) -> bool:
    """Did any change land on an input of the effective global batch?"""
    patterns = [split_pattern(n) for n in spec.inputs]
    return any(_matches(path_segments(path), pattern) for path in paths for pattern in patterns)


if __name__ == "__main__":  # pragma: no cover - the maintainer's regeneration step
    write_defaults_json()
