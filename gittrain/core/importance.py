"""How much a config change matters: tiers, the repository's own diff rules, and the dialects.

What each spelling means is the dialects' business (``gittrain/data/dialects``):
an idea's tier is in ``gittrain/data/ideas.yaml`` and each dialect maps its
keys to ideas.  ``.gittrain.yaml`` may add, override or silence tiers under
``diff: rules:``; those are tried first.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from functools import cache
from typing import NamedTuple

from gittrain.core.dialects.patterns import Pattern, compile_pattern, keys_of
from gittrain.core.dialects.vocabulary import GENERIC, GITTRAIN, Dialect, Vocabulary, shipped
from gittrain.core.diff import DEFAULT_IDENTITY_KEYS, Path
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError

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
    """A tier for every path matched by one of ``patterns``; ``idea`` names what it is."""

    patterns: tuple[Pattern, ...]
    tier: Tier
    idea: str


class Policy(NamedTuple):
    """Everything the diff needs from the dialects and the settings."""

    rules: tuple[Rule, ...]  # the repository's own, tried first
    identity_keys: tuple[str, ...]
    paths: tuple[str, ...]
    vocabulary: Vocabulary
    dialect_paths: Mapping[str, str]  # path glob -> dialect, from .gittrain.yaml

    def classify(self, path: Path, dialect: Dialect | None = None) -> tuple[Tier, Rule | None]:
        """The tier of a changed path in a file of ``dialect`` (gittrain's own by default)."""
        keys = keys_of(path)
        for rule in self.rules:
            if any(p.match(keys) for p in rule.patterns):
                return rule.tier, rule
        chosen = dialect or self.vocabulary.get(GITTRAIN)
        found = chosen.classify(path)
        if found is None and chosen.name in (GITTRAIN, GENERIC):
            found = self.vocabulary.get(GENERIC).classify(path)
        if found is None:
            return Tier.NORMAL, None
        return Tier(found[0]), Rule((), Tier(found[0]), found[1])


def split_pattern(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(".") if part)


@cache
def defaults() -> Policy:
    """The shipped dialects, with no repository rules."""
    return Policy((), DEFAULT_IDENTITY_KEYS, DEFAULT_PATHS, shipped(), {})


def load(settings_doc: Document | None) -> Policy:
    """The defaults, with the ``diff:``, ``dialects:`` and ``spellings:`` of ``.gittrain.yaml``."""
    base = defaults()
    data = settings_doc.data if settings_doc is not None else None
    if not isinstance(data, dict) or not any(k in data for k in ("diff", "dialects", "spellings")):
        return base
    assert settings_doc is not None
    vocabulary, dialect_paths = base.vocabulary, base.dialect_paths
    if "dialects" in data or "spellings" in data:
        from gittrain.core.dialects.effective import effective
        from gittrain.core.settings import from_doc

        eff = effective(from_doc(settings_doc))
        vocabulary, dialect_paths = eff.vocabulary, eff.paths
    section = data.get("diff")
    if section is None:
        return base._replace(vocabulary=vocabulary, dialect_paths=dialect_paths)
    where = settings_doc.where
    if not isinstance(section, dict):
        raise GittrainError(f"{where(('diff',))}: diff: expected a mapping")
    unknown = sorted(set(section) - {"rules", "identity_keys", "paths"})
    if unknown:
        raise GittrainError(
            f"{where(('diff', unknown[0]))}: diff.{unknown[0]}: unknown setting "
            "(expected rules, identity_keys, paths)"
        )
    user_rules = tuple(_rules(settings_doc, ("diff", "rules")))
    keys = _strings(settings_doc, ("diff", "identity_keys"), ())
    paths = _strings(settings_doc, ("diff", "paths"), base.paths)
    return Policy(
        rules=user_rules,
        identity_keys=tuple(dict.fromkeys((*keys, *base.identity_keys))),
        paths=paths,
        vocabulary=vocabulary,
        dialect_paths=dialect_paths,
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


def _rules(doc: Document, path: tuple[str, ...]) -> Iterator[Rule]:
    items = _get(doc.data, path)
    if items is None:
        return
    dotted = ".".join(path)
    if not isinstance(items, list):
        raise GittrainError(f"{doc.where(path)}: {dotted}: expected a list of rules")
    tiers = [t.value for t in Tier]
    for index, item in enumerate(items):
        here: DocPath = (*path, index)
        if not isinstance(item, dict):
            raise GittrainError(
                f"{doc.where(here)}: {dotted}[{index}]: expected a mapping with match and tier"
            )
        match = item.get("match")
        if not isinstance(match, str) or not split_pattern(match):
            raise GittrainError(
                f"{doc.where((*here, 'match'))}: {dotted}[{index}].match: "
                "expected a key or a dotted path glob"
            )
        extra = sorted(set(item) - {"match", "tier"})
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
        # Suffix patterns: `lr` matches `optim.lr`; compiled once, matched in linear time.
        yield Rule((compile_pattern(match, suffix=True),), Tier(tier), "")
