"""The ideas and the dialects, narrowed from the shipped data files into records.

The data is written as YAML for people (``gittrain/data/ideas.yaml``,
``gittrain/data/dialects/*.yaml`` and ``*.keys``); ``vocabulary.json`` beside
them holds the same data so every process (textconv runs once per file) skips
the YAML parse.  A test keeps the two equal: after editing the data, run
``python -m gittrain.core.dialects.vocabulary``.
"""

# No ``from __future__ import annotations`` here, on purpose: typing.NamedTuple compiles
# every string annotation (~0.25 ms a field), and textconv imports this module once per
# file git shows.  Annotations below are evaluated at import instead, so a forward
# reference is quoted.
import functools
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import NamedTuple, TypeVar, cast

from gittrain.core.dialects.patterns import Pattern, compile_pattern, keys_of
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "data")
DIALECTS_DIR = os.path.join(DATA_DIR, "dialects")
COMPILED = os.path.join(DATA_DIR, "vocabulary.json")
COMPILED_KEYS = os.path.join(DATA_DIR, "dialect-keys.json")

TIERS = ("critical", "important", "normal", "noise")
TYPES = ("number", "integer", "text", "flag", "any")
LOADERS = ("gittrain", "pyyaml", "pyyaml-argparse", "pyyaml-pydantic", "omegaconf")
GITTRAIN = "gittrain"
GENERIC = "generic"
# Where the config mapping sits in gittrain's own files (jobs and recipes).
_SOURCE_KEYS = frozenset(
    {"from", "map", "default", "when", "cases", "infer", "product", "ratio", "unset"}
)
_DIALECT_KEYS = frozenset(
    {
        "name",
        "title",
        "framework_version",
        "sources",
        "loader",
        "detect",
        "ideas",
        "tiers",
        "open",
        "keys",
        "closed",
        "mounts",
        "outer",
        "run",
    }
)


class Idea(NamedTuple):
    name: str
    type: str
    tier: str
    title: str


class Cond(NamedTuple):
    """One condition of a case: ``op`` is eq, in, present, contains or gt."""

    path: tuple[str, ...]
    op: str
    arg: object


class Case(NamedTuple):
    conds: tuple[Cond, ...]
    value: object
    # What export writes for this case when its conditions cannot be made up
    # (torchtune's loss component names): native path -> value.
    emit: tuple[tuple[tuple[str, ...], object], ...] = ()


class Source(NamedTuple):
    """One way a dialect reads an idea (see the format in ``gittrain/data/dialects``)."""

    read: tuple[tuple[str, ...], ...] = ()
    mapping: Mapping[str, object] | None = None
    has_default: bool = False
    default: object = None
    when: tuple[tuple[str, frozenset[object]], ...] = ()
    cases: tuple[Case, ...] = ()
    infer: tuple[tuple[object, tuple[tuple[str, ...], ...]], ...] = ()
    product: tuple[tuple[str, ...], ...] = ()
    ratio: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    unset: frozenset[object] = frozenset()  # values that mean "not set" (HF's max_steps: -1)

    @property
    def direct(self) -> tuple[tuple[str, ...], ...]:
        """The paths whose value *is* the idea's value."""
        return (*self.read, *self.product, *(self.ratio or ()))

    @property
    def clues(self) -> tuple[tuple[str, ...], ...]:
        """The paths that only point at a value (cases and inference)."""
        out = [c.path for case in self.cases for c in case.conds]
        return (*out, *(p for _, paths in self.infer for p in paths))

    @property
    def paths(self) -> tuple[tuple[str, ...], ...]:
        """Every native path this source reads (for tiers and the generic dialect)."""
        return (*self.direct, *self.clues)


class TierEntry(NamedTuple):
    pattern: Pattern
    tier: str
    label: str
    order: int = 0  # first match wins: the lower order of two matches


class KeySet:
    """A framework's known keys, read from ``dialect-keys.json`` only when first asked.

    Diffs and textconv never ask; only the unknown-key check does.
    """

    __slots__ = ("_literal", "_load", "_patterns", "name")

    def __init__(self, name: str, load: Callable[[], Sequence[str]]) -> None:
        self.name = name
        self._load = load
        self._literal: frozenset[str] | None = None
        self._patterns: tuple[Pattern, ...] = ()

    def _ready(self) -> frozenset[str]:
        if self._literal is None:
            keys = list(self._load())
            globbed = [k for k in keys if "*" in k or "?" in k]
            self._patterns = tuple(compile_pattern(k) for k in globbed)
            self._literal = frozenset(k.replace("[]", "") for k in keys if k not in globbed)
        return self._literal

    @property
    def literal(self) -> frozenset[str]:
        return self._ready()

    def __bool__(self) -> bool:
        return bool(self._ready() or self._patterns)

    def __len__(self) -> int:
        return len(self._ready()) + len(self._patterns)

    def known(self, keys: tuple[str, ...]) -> bool:
        literal = self._ready()
        dotted = ".".join(keys)
        if dotted in literal or dotted.replace("[]", "") in literal:
            return True
        return any(p.match(keys) for p in self._patterns)

    def plus(self, extra: Sequence[str]) -> "KeySet":
        return KeySet(self.name, lambda: [*self._load(), *extra])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeySet) and self._ready() == other._ready()

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> tuple[object, ...]:
        return (_keyset, (self.name, sorted(self._ready()), [p.text for p in self._patterns]))


def _keyset(name: str, literal: list[str], patterns: list[str]) -> KeySet:
    return KeySet(name, lambda: [*literal, *patterns])


class Dialect(NamedTuple):
    name: str
    title: str
    version: str
    loader: str
    strong: tuple[tuple[str, ...], ...]
    weak: tuple[tuple[str, ...], ...]
    exclusive: tuple[tuple[str, ...], ...]
    ideas: Mapping[str, tuple[Source, ...]]
    table: tuple[TierEntry, ...]  # glob path patterns -> tier, first match wins
    literal: Mapping[
        str, tuple[int, str, str]
    ]  # literal entries: dotted path -> order, tier, label
    open: tuple[Pattern, ...]
    keys: KeySet
    closed: bool  # unknown keys are warned even without a close match
    mounts: tuple[tuple[str, ...], ...]
    outer: Mapping[str, tuple[Source, ...]]
    sources: tuple[str, ...] = ()
    tiers: tuple[tuple[str, str], ...] = ()  # as written, without mounts (for the generic table)
    # How to run an exported config: a command template, and named recipes (torchtune).
    run: Mapping[str, object] = {}
    # Generic only: literal spellings matched at the end of a path, by their last key.
    suffixes: Mapping[str, tuple[tuple[tuple[str, ...], int, str, str], ...]] = {}

    def classify(self, path: Sequence[object]) -> tuple[str, str] | None:
        """``(tier, label)`` for a changed path, or None when the dialect has no say."""
        keys = keys_of(path)
        dotted = ".".join(keys)
        best = self.literal.get(dotted) or self.literal.get(dotted.replace("[]", ""))
        if self.suffixes and keys:
            bare = tuple(k.removesuffix("[]") for k in keys)
            for tail in self.suffixes.get(bare[-1], ()):
                ends, order = tail[0], tail[1]
                if (best is None or order < best[0]) and bare[len(bare) - len(ends) :] == ends:
                    best = tail[1:]
        if not self.table:
            return None if best is None else (best[1], best[2])
        # The glob entries that can match (see _filed), tried in table order as before.
        always, by_key = _filed(self.table, _entry_pattern)
        tried = list(always)
        for key in {k.removesuffix("[]") for k in keys}:
            tried += by_key.get(key, ())
        if len(tried) > 1:
            tried.sort(key=_entry_order)
        for entry in tried:
            if best is not None and entry.order > best[0]:
                break
            if entry.pattern.match(keys):
                best = (entry.order, entry.tier, entry.label)
                break
        return None if best is None else (best[1], best[2])

    def known(self, keys: tuple[str, ...]) -> bool:
        return self.keys.known(keys)

    def is_open(self, keys: tuple[str, ...]) -> bool:
        if not self.open:
            return False
        always, by_key = _filed(self.open, _itself)
        if any(p.match(keys) for p in always):
            return True
        # A pattern can only match a path holding each of its literal keys: try only
        # those filed under a key the path has (the unknown-key walk asks for every key).
        for key in {k.removesuffix("[]") for k in keys}:
            for pattern in by_key.get(key, ()):
                if pattern.match(keys):
                    return True
        return False


_T = TypeVar("_T")
_FILED: dict[int, tuple[object, object]] = {}


def _filed(
    items: tuple[_T, ...], pattern_of: Callable[[_T], Pattern]
) -> tuple[tuple[_T, ...], dict[str, tuple[_T, ...]]]:
    """``items`` split into those whose pattern has no literal key and the rest, filed
    under one of their pattern's literal keys, in their order.

    A pattern matches only a path holding each of its literal keys (``Pattern.needs``,
    its own first refusal), so a path need only try the items filed under one of its
    keys, and the others.  Kept per tuple (by identity; the tuple is held so its id
    stays its own).
    """
    found = _FILED.get(id(items))
    if found is not None and found[0] is items:
        return cast("tuple[tuple[_T, ...], dict[str, tuple[_T, ...]]]", found[1])
    always: list[_T] = []
    by_key: dict[str, list[_T]] = {}
    for item in items:
        needs = pattern_of(item).needs
        if needs:
            by_key.setdefault(min(needs), []).append(item)
        else:
            always.append(item)
    index = (tuple(always), {k: tuple(v) for k, v in by_key.items()})
    if len(_FILED) > 256:  # a long-lived process that rebuilds its dialects
        _FILED.clear()
    _FILED[id(items)] = (items, index)
    return index


def _itself(pattern: Pattern) -> Pattern:
    return pattern


def _entry_pattern(entry: TierEntry) -> Pattern:
    return entry.pattern


def _entry_order(entry: TierEntry) -> int:
    return entry.order


class Marker(NamedTuple):
    """What detection needs of a dialect, read without building the dialect."""

    name: str
    strong: tuple[tuple[str, ...], ...]
    weak: tuple[tuple[str, ...], ...]
    exclusive: tuple[tuple[str, ...], ...]


class Vocabulary:
    """The ideas and the dialects; a dialect is built from its data when first asked for.

    textconv, run once per file by git, builds only the dialect the file is in.
    """

    __slots__ = ("_built", "_generic", "_keys", "_markers", "_specs", "ideas", "names")

    def __init__(
        self,
        ideas: Mapping[str, Idea],
        specs: Mapping[str, object],
        keys: Callable[[str], Sequence[str]],
        built: Mapping[str, Dialect] | None = None,
        generic: "GenericParts | None" = None,
    ) -> None:
        self.ideas = ideas
        self._specs = specs
        self._keys = keys
        self._built: dict[str, Dialect] = dict(built or {})
        self._generic = generic  # precompiled: no need to build every dialect for it
        self._markers: tuple[Marker, ...] | None = None  # detection asks once per file
        order = [GITTRAIN, *sorted(n for n in specs if n != GITTRAIN)]
        self.names = (*(n for n in order if n in specs), GENERIC)

    def get(self, name: str) -> Dialect:
        found = self._built.get(name)
        if found is None:
            if name == GENERIC and self._generic is not None:
                found = generic_from(self._generic, self.ideas)
            elif name == GENERIC:
                found = generic([self.get(n) for n in self.names if n != GENERIC], self.ideas)
            else:
                doc = Document(f"gittrain/data/dialects/{name}.yaml", self._specs[name])
                found = read_dialect(doc, self.ideas, KeySet(name, lambda: self._keys(name)))
            self._built[name] = found
        return found

    @property
    def dialects(self) -> dict[str, Dialect]:
        return {name: self.get(name) for name in self.names}

    @property
    def framework_names(self) -> tuple[str, ...]:
        """The trainers' dialects: every one but gittrain's own and the generic fallback."""
        return tuple(n for n in self.names if n not in (GITTRAIN, GENERIC))

    @property
    def frameworks(self) -> tuple[Dialect, ...]:
        return tuple(self.get(n) for n in self.framework_names)

    def markers(self) -> tuple[Marker, ...]:
        if self._markers is None:
            self._markers = self._read_markers()
        return self._markers

    def _read_markers(self) -> tuple[Marker, ...]:
        out = []
        for name in self.framework_names:
            spec = self._specs[name]
            detect = spec.get("detect", {}) if isinstance(spec, dict) else {}
            assert isinstance(detect, dict)

            def paths(key: str, detect: dict[str, object] = detect) -> tuple[tuple[str, ...], ...]:
                value = detect.get(key) or []
                assert isinstance(value, list)
                return tuple(_split(str(p)) for p in value)

            out.append(Marker(name, paths("strong"), paths("weak"), paths("exclusive")))
        return tuple(out)

    def replace(self, changed: Mapping[str, Dialect]) -> "Vocabulary":
        """This vocabulary with some dialects replaced (the generic one is derived again)."""
        built = {n: d for n, d in self._built.items() if n != GENERIC}
        built.update(changed)
        return Vocabulary(self.ideas, self._specs, self._keys, built)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and (
            self.ideas == other.ideas and self.dialects == other.dialects
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[object, ...]:
        return (Vocabulary, (self.ideas, self._specs, self._keys, self.dialects))


class Effective(NamedTuple):
    """A repository's vocabulary and its path -> dialect globs (``dialects.effective``)."""

    vocabulary: Vocabulary
    paths: Mapping[str, str]


# ---------------------------------------------------------------- reading the data


class _Reader:
    """Narrows one data document, raising errors that name its file:line."""

    def __init__(self, doc: Document, ideas: Mapping[str, Idea] | None = None) -> None:
        self.doc = doc
        self.ideas = ideas

    def fail(self, path: DocPath, message: str) -> GittrainError:
        return GittrainError(f"{self.doc.where(path)}: {message}")

    def mapping(self, value: object, path: DocPath) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.fail(path, f"{_dotted(path)}: expected a mapping")
        return value

    def strings(self, value: object, path: DocPath) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(path, f"{_dotted(path)}: expected a list of dotted paths")
        return tuple(value)

    def paths(self, value: object, path: DocPath) -> tuple[tuple[str, ...], ...]:
        return tuple(_split(p) for p in self.strings(value, path))

    def source(self, spec: object, path: DocPath) -> Source:
        if isinstance(spec, (str, list)):
            return Source(read=self.paths(spec, path))
        data = self.mapping(spec, path)
        extra = sorted(set(data) - _SOURCE_KEYS)
        if extra:
            raise self.fail(
                (*path, extra[0]),
                f"{_dotted((*path, extra[0]))}: unknown field (expected one of "
                f"{', '.join(sorted(_SOURCE_KEYS))})",
            )
        mapping = data.get("map")
        if mapping is not None:
            mapping = {str(k).lower(): v for k, v in self.mapping(mapping, (*path, "map")).items()}
        when: list[tuple[str, frozenset[object]]] = []
        for idea, values in self.mapping(data.get("when", {}), (*path, "when")).items():
            if self.ideas is not None and idea not in self.ideas:
                raise self.fail((*path, "when", idea), f"when: unknown idea {idea!r}")
            options = values if isinstance(values, list) else [values]
            when.append((idea, frozenset(_fold(v) for v in options)))
        cases = []
        raw_cases = data.get("cases", [])
        if not isinstance(raw_cases, list):
            raise self.fail((*path, "cases"), "cases: expected a list")
        for i, case in enumerate(raw_cases):
            here: DocPath = (*path, "cases", i)
            item = self.mapping(case, here)
            if "value" not in item:
                raise self.fail(here, "a case needs if and value")
            conds = tuple(
                self.cond(_split(p), c, (*here, "if", p))
                for p, c in self.mapping(item.get("if", {}), (*here, "if")).items()
            )
            emit = tuple(
                (_split(p), v)
                for p, v in self.mapping(item.get("emit", {}), (*here, "emit")).items()
            )
            cases.append(Case(conds, item["value"], emit))
        infer = tuple(
            (value, self.paths(paths, (*path, "infer", str(value))))
            for value, paths in self.mapping(data.get("infer", {}), (*path, "infer")).items()
        )
        ratio = self.paths(data.get("ratio"), (*path, "ratio"))
        if ratio and len(ratio) != 2:
            raise self.fail((*path, "ratio"), "ratio: expected [numerator, denominator]")
        return Source(
            read=self.paths(data.get("from"), (*path, "from")),
            mapping=mapping,
            has_default="default" in data,
            default=data.get("default"),
            when=tuple(when),
            cases=tuple(cases),
            infer=infer,
            product=self.paths(data.get("product"), (*path, "product")),
            ratio=(ratio[0], ratio[1]) if ratio else None,
            unset=frozenset(_fold(v) for v in self.listed(data.get("unset"), (*path, "unset"))),
        )

    def listed(self, value: object, path: DocPath) -> list[object]:
        if value is None:
            return []
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            raise self.fail(path, f"{_dotted(path)}: expected a list of plain values")
        return value

    def cond(self, path: tuple[str, ...], spec: object, here: DocPath) -> Cond:
        if isinstance(spec, list):
            return Cond(path, "in", frozenset(_fold(v) for v in spec))
        if isinstance(spec, dict):
            if len(spec) != 1:
                raise self.fail(here, "a condition has one of present, contains, gt")
            ((op, arg),) = spec.items()
            if op not in ("present", "contains", "gt"):
                raise self.fail(here, f"unknown condition {op!r} (present, contains, gt)")
            return Cond(path, op, arg)
        return Cond(path, "eq", _fold(spec))

    def sources(self, spec: object, path: DocPath) -> tuple[Source, ...]:
        # A list of mappings is several sources; a list of strings is one source.
        if isinstance(spec, list) and spec and all(isinstance(s, dict) for s in spec):
            return tuple(self.source(s, (*path, i)) for i, s in enumerate(spec))
        return (self.source(spec, path),)


def _split(text: str) -> tuple[str, ...]:
    parts = text.split(".")
    if "" in parts:  # rare (``a..b``, a leading dot): drop the empty parts
        return tuple([part for part in parts if part])
    return tuple(parts)


def _dotted(path: DocPath) -> str:
    return ".".join(str(p) for p in path) or "(root)"


def _fold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def read_ideas(doc: Document) -> dict[str, Idea]:
    reader = _Reader(doc)
    data = reader.mapping(doc.data, ())
    out: dict[str, Idea] = {}
    for name, spec in reader.mapping(data.get("ideas"), ("ideas",)).items():
        item = reader.mapping(spec, ("ideas", name))
        kind, tier = item.get("type"), item.get("tier")
        if kind not in TYPES or tier not in TIERS:
            raise reader.fail(("ideas", name), f"ideas.{name}: needs a type and a tier")
        out[name] = Idea(name, str(kind), str(tier), str(item.get("title", name)))
    return out


def read_dialect(doc: Document, ideas: Mapping[str, Idea], keys: KeySet) -> Dialect:
    """One dialect from its data document and its known keys."""
    reader = _Reader(doc, ideas)
    data = reader.mapping(doc.data, ())
    extra = sorted(set(data) - _DIALECT_KEYS)
    if extra:
        raise reader.fail((extra[0],), f"{extra[0]}: unknown field")
    name = data.get("name")
    loader = data.get("loader")
    if not isinstance(name, str) or loader not in LOADERS:
        raise reader.fail((), f"a dialect needs a name and a loader ({', '.join(LOADERS)})")
    detect = reader.mapping(data.get("detect", {}), ("detect",))
    idea_specs = reader.mapping(data.get("ideas", {}), ("ideas",))
    for idea in idea_specs:
        if idea not in ideas:
            raise reader.fail(("ideas", idea), f"ideas.{idea}: unknown idea")
    ordered = [i for i in ideas if i in idea_specs]  # the vocabulary's order: algorithm first
    parsed = {i: reader.sources(idea_specs[i], ("ideas", i)) for i in ordered}
    outer_specs = reader.mapping(data.get("outer", {}), ("outer",))
    outer = {i: reader.sources(s, ("outer", i)) for i, s in outer_specs.items()}
    tiers = reader.mapping(data.get("tiers", {}), ("tiers",))
    for key, tier in tiers.items():
        if tier not in TIERS:
            raise reader.fail(("tiers", key), f"tiers.{key}: expected one of {', '.join(TIERS)}")
    mounts = tuple(_split(m) for m in reader.strings(data.get("mounts"), ("mounts",))) or ((),)
    literal: dict[str, tuple[int, str, str]] = {}
    globs: list[TierEntry] = []
    for order, (text, tier, label) in enumerate(_table(parsed, outer, tiers, ideas, mounts)):
        if "*" in text or "?" in text:
            globs.append(TierEntry(compile_pattern(text), tier, label, order))
        else:
            literal.setdefault(text.replace("[]", ""), (order, tier, label))
    return Dialect(
        name=name,
        title=str(data.get("title", name)),
        version=str(data.get("framework_version", "")),
        loader=str(loader),
        strong=reader.paths(detect.get("strong"), ("detect", "strong")),
        weak=reader.paths(detect.get("weak"), ("detect", "weak")),
        exclusive=reader.paths(detect.get("exclusive"), ("detect", "exclusive")),
        ideas=parsed,
        table=tuple(globs),
        literal=literal,
        open=tuple(compile_pattern(p) for p in reader.strings(data.get("open"), ("open",))),
        keys=keys,
        closed=bool(data.get("closed", True)),
        mounts=mounts,
        outer=outer,
        sources=reader.strings(data.get("sources"), ("sources",)),
        tiers=tuple((str(k), str(v)) for k, v in tiers.items()),
        run=reader.mapping(data.get("run", {}), ("run",)),
    )


def _table(
    parsed: Mapping[str, tuple[Source, ...]],
    outer: Mapping[str, tuple[Source, ...]],
    tiers: Mapping[str, object],
    ideas: Mapping[str, Idea],
    mounts: tuple[tuple[str, ...], ...],
) -> list[tuple[str, str, str]]:
    """``(pattern, tier, label)`` in the order they are tried."""
    entries: list[tuple[str, str, str]] = []
    # A tier stated for one key is the data's word on that key: it is tried before the
    # tiers of the ideas the key feeds (axolotl's `rl` also names the preference loss, but
    # it picks the algorithm; its `adapter` picks the finetuning method, an adapter change).
    for key, level in tiers.items():
        if "*" not in key and "?" not in key:
            label = _stated_label(_split(key), str(level), parsed, ideas) or _label(key)
            for mount in mounts:
                entries.append((".".join((*mount, *_split(key))), str(level), label))
    # Paths that hold an idea's value come first: a key that is only a clue to the
    # algorithm (TRL's ``num_generations``) is labelled by what it holds.
    for which in ("direct", "clues"):
        for idea, sources in parsed.items():
            info = ideas[idea]
            for source in sources:
                for path in getattr(source, which):
                    for mount in mounts:
                        entries.append((".".join((*mount, *path)), info.tier, info.title))
    for idea, sources in outer.items():
        known = ideas.get(idea)
        tier, label = (known.tier, known.title) if known else ("important", str(idea))
        for source in sources:
            for path in source.paths:
                entries.append((".".join(path), tier, label))
    for key, level in tiers.items():
        for mount in mounts:
            entries.append((".".join((*mount, *_split(key))), str(level), _label(key)))
    return entries


def _stated_label(
    path: tuple[str, ...],
    level: str,
    parsed: Mapping[str, tuple[Source, ...]],
    ideas: Mapping[str, Idea],
) -> str | None:
    """The title of an idea ``path`` feeds, one of tier ``level`` first."""
    feeding = [i for i, sources in parsed.items() if any(path in s.paths for s in sources)]
    feeding.sort(key=lambda i: ideas[i].tier != level)  # stable: the vocabulary's order
    return ideas[feeding[0]].title if feeding else None


def _label(key: str) -> str:
    return key.replace("**.", "").replace(".**", "").replace("*", "").strip("._") or key


def generic(frameworks: Sequence[Dialect], ideas: Mapping[str, Idea]) -> Dialect:
    """The fallback for files in no known dialect: every dialect's plain spellings.

    Values are read from top-level keys that some dialect spells the same way
    unconditionally; tiers match any path ending in a known spelling.  Nothing
    here is written twice: it is derived from the dialects.
    """
    return generic_from(generic_parts(frameworks, ideas), ideas)


GenericParts = tuple[list[list[str]], list[list[str]]]  # [idea, key] reads, [text, tier, label]


def generic_parts(frameworks: Sequence[Dialect], ideas: Mapping[str, Idea]) -> GenericParts:
    """The generic dialect as plain data (what ``vocabulary.json`` stores under ``generic``)."""
    reads: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for dialect in frameworks:
        for idea, specs in dialect.ideas.items():
            for spec in specs:
                plain = spec.read and not (spec.when or spec.cases or spec.infer or spec.mapping)
                for path in spec.read if plain else ():
                    if len(path) == 1 and path not in seen:
                        seen.add(path)
                        reads.append([idea, path[0]])
    # Every dialect's value paths first, then its clue paths, then its tiers: a broad
    # tier pattern of one framework (``model.**``) must not shadow another's idea.
    raw: list[list[str]] = []
    for which in ("direct", "clues"):
        for dialect in frameworks:
            for idea, specs in (*dialect.ideas.items(), *dialect.outer.items()):
                info = ideas.get(idea)
                tier, label = (info.tier, info.title) if info else ("important", idea)
                for spec in specs:
                    raw += [[".".join(path), tier, label] for path in getattr(spec, which)]
    for dialect in frameworks:
        raw += [[key, tier, _label(key)] for key, tier in dialect.tiers]
    return reads, raw


def generic_from(parts: GenericParts, ideas: Mapping[str, Idea]) -> Dialect:
    reads, raw = parts
    sources: dict[str, list[Source]] = {}
    for idea, key in reads:
        sources.setdefault(idea, []).append(Source(read=((key,),)))
    literal: dict[str, tuple[int, str, str]] = {}
    suffixes: dict[str, list[tuple[tuple[str, ...], int, str, str]]] = {}
    globs: list[TierEntry] = []
    for order, (text, tier, label) in enumerate(raw):
        if "*" in text or "?" in text:
            globs.append(TierEntry(_broad(text, tier), tier, label, order))
        elif tier == "noise" and "." not in text:
            literal.setdefault(text, (order, tier, label))  # rooted: see _broad
        else:  # the hot loop of building this dialect: ~1,000 entries, list comprehension
            ends = tuple([k[:-2] if k.endswith("[]") else k for k in _split(text)])
            suffixes.setdefault(ends[-1], []).append((ends, order, tier, label))
    return Dialect(
        name=GENERIC,
        title="generic",
        version="",
        loader=GITTRAIN,
        strong=(),
        weak=(),
        exclusive=(),
        ideas={i: tuple(sources[i]) for i in ideas if i in sources},
        table=tuple(globs),
        literal=literal,
        open=(),
        keys=KeySet(GENERIC, list),
        closed=False,
        mounts=((),),
        outer={},
        suffixes={k: tuple(v) for k, v in suffixes.items()},
    )


def _broad(text: str, tier: str) -> Pattern:
    """A spelling as the generic dialect matches it: at any depth, except quiet keys.

    A framework's top-level ``name`` or ``project`` is bookkeeping there, but the
    same word deeper down (``optim.name``) means something else: noise stays rooted.
    """
    if tier == "noise" and "." not in text:
        return compile_pattern(text)
    return compile_pattern(text, suffix=True)


# ---------------------------------------------------------------- files and the compiled form


def _data_files() -> Iterator[tuple[str, str]]:
    for name in sorted(os.listdir(DIALECTS_DIR)):
        if name.endswith(".yaml"):
            yield name[:-5], os.path.join(DIALECTS_DIR, name)


def read_keys(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def source_documents() -> dict[str, object]:
    """Everything in the data files as plain data: what ``vocabulary.json`` holds."""
    from pathlib import Path

    from gittrain.adapters import yamlio

    ideas_doc = yamlio.load_file(Path(DATA_DIR, "ideas.yaml"), "gittrain/data/ideas.yaml")
    ideas = read_ideas(ideas_doc)
    out: dict[str, object] = {"ideas": ideas_doc.data, "dialects": {}}
    dialects = out["dialects"]
    assert isinstance(dialects, dict)
    for name, path in _data_files():
        rel = f"gittrain/data/dialects/{name}.yaml"
        doc = yamlio.load_file(Path(path), rel)
        data = doc.data
        assert isinstance(data, dict)
        keys_name = data.get("keys")
        keys = (
            read_keys(Path(DIALECTS_DIR, str(keys_name)).read_text("utf-8"))
            if isinstance(keys_name, str)
            else []
        )
        # Validates, with file:line on mistakes.
        dialect = read_dialect(doc, ideas, KeySet(name, functools.partial(list, keys)))
        if dialect.name != name:
            raise GittrainError(f"{rel}: name {dialect.name!r} does not match the file name")
        dialects[name] = {"spec": data, "keys": keys}
    return out


def write_compiled() -> None:
    data = source_documents()
    raw = data["dialects"]
    assert isinstance(raw, dict)
    specs: dict[str, object] = {
        "ideas": data["ideas"],
        "dialects": {n: e["spec"] for n, e in raw.items()},
    }
    slow = build(data)
    specs["generic"] = generic_parts([slow.get(n) for n in slow.names if n != GENERIC], slow.ideas)
    keys = {n: e["keys"] for n, e in raw.items()}
    for path, content in ((COMPILED, specs), (COMPILED_KEYS, keys)):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(content, ensure_ascii=False) + "\n")


def build(data: Mapping[str, object]) -> Vocabulary:
    """A vocabulary from :func:`source_documents`-shaped data (specs with their keys)."""
    ideas = read_ideas(Document("gittrain/data/ideas.yaml", data["ideas"]))
    raw = data["dialects"]
    assert isinstance(raw, dict)
    specs = {n: e["spec"] for n, e in raw.items()}
    keys = {n: tuple(e["keys"]) for n, e in raw.items()}
    return Vocabulary(ideas, specs, keys.__getitem__)


@cache
def _shipped_keys() -> dict[str, list[str]]:
    with open(COMPILED_KEYS, "rb") as handle:
        data = json.loads(handle.read())
    assert isinstance(data, dict)
    return data


def shipped_keys(name: str) -> list[str]:
    return _shipped_keys().get(name, [])


@cache
def shipped() -> Vocabulary:
    """The shipped vocabulary (read once per process, from the compiled JSON)."""
    with open(COMPILED, "rb") as handle:
        data = json.loads(handle.read())
    ideas = read_ideas(Document("gittrain/data/ideas.yaml", data["ideas"]))
    parts = data["generic"]
    return Vocabulary(ideas, data["dialects"], shipped_keys, generic=(parts[0], parts[1]))


if __name__ == "__main__":  # pragma: no cover - the maintainer's regeneration step
    write_compiled()
