"""The ideas and the dialects, narrowed from the shipped data files into records.

The data is written as YAML for people (``gittrain/data/ideas.yaml``,
``gittrain/data/dialects/*.yaml`` and ``*.keys``); ``vocabulary.json`` beside
them holds the same data so every process (textconv runs once per file) skips
the YAML parse.  A test keeps the two equal: after editing the data, run
``python -m gittrain.core.dialects.vocabulary``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import NamedTuple

from gittrain.core.dialects.patterns import Pattern, compile_pattern, keys_of
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "data")
DIALECTS_DIR = os.path.join(DATA_DIR, "dialects")
COMPILED = os.path.join(DATA_DIR, "vocabulary.json")

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


class Dialect(NamedTuple):
    name: str
    title: str
    version: str
    loader: str
    strong: tuple[tuple[str, ...], ...]
    weak: tuple[tuple[str, ...], ...]
    exclusive: tuple[tuple[str, ...], ...]
    ideas: Mapping[str, tuple[Source, ...]]
    table: tuple[TierEntry, ...]  # path patterns -> tier, first match wins
    literal: Mapping[str, tuple[str, str]]  # the literal entries of ``table``, by dotted path
    open: tuple[Pattern, ...]
    keys: frozenset[str]
    key_patterns: tuple[Pattern, ...]
    closed: bool  # unknown keys are warned even without a close match
    mounts: tuple[tuple[str, ...], ...]
    outer: Mapping[str, tuple[Source, ...]]
    sources: tuple[str, ...] = ()
    tiers: tuple[tuple[str, str], ...] = ()  # as written, without mounts (for the generic table)

    def classify(self, path: Sequence[object]) -> tuple[str, str] | None:
        """``(tier, label)`` for a changed path, or None when the dialect has no say."""
        keys = keys_of(path)
        dotted = ".".join(keys)
        hit = self.literal.get(dotted) or self.literal.get(dotted.replace("[]", ""))
        if hit is not None:
            return hit
        for entry in self.table:
            if entry.pattern.match(keys):
                return entry.tier, entry.label
        return None

    def known(self, keys: tuple[str, ...]) -> bool:
        dotted = ".".join(keys)
        if dotted in self.keys or dotted.replace("[]", "") in self.keys:
            return True
        return any(p.match(keys) for p in self.key_patterns)

    def is_open(self, keys: tuple[str, ...]) -> bool:
        return any(p.match(keys) for p in self.open)


class Vocabulary(NamedTuple):
    ideas: Mapping[str, Idea]
    dialects: Mapping[str, Dialect]  # gittrain first, generic last, frameworks between

    @property
    def frameworks(self) -> tuple[Dialect, ...]:
        return tuple(d for d in self.dialects.values() if d.name not in (GITTRAIN, GENERIC))

    def get(self, name: str) -> Dialect:
        return self.dialects[name]


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
            cases.append(Case(conds, item["value"]))
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
    return tuple(part for part in text.split(".") if part)


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


def read_dialect(doc: Document, ideas: Mapping[str, Idea], keys: Sequence[str]) -> Dialect:
    """One dialect from its data document and its key list."""
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
    table = _table(parsed, outer, tiers, ideas, mounts)
    literal: dict[str, tuple[str, str]] = {}
    globs: list[TierEntry] = []
    for entry in table:
        if all(s != "**" and "*" not in s and "?" not in s for s in entry.pattern.segments):
            literal.setdefault(".".join(entry.pattern.segments), (entry.tier, entry.label))
        else:
            globs.append(entry)
    literal_keys = {k.replace("[]", "") for k in keys if "*" not in k and "?" not in k}
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
        keys=frozenset(literal_keys),
        key_patterns=tuple(compile_pattern(k) for k in keys if "*" in k or "?" in k),
        closed=bool(data.get("closed", True)),
        mounts=mounts,
        outer=outer,
        sources=reader.strings(data.get("sources"), ("sources",)),
        tiers=tuple((str(k), str(v)) for k, v in tiers.items()),
    )


def _table(
    parsed: Mapping[str, tuple[Source, ...]],
    outer: Mapping[str, tuple[Source, ...]],
    tiers: Mapping[str, object],
    ideas: Mapping[str, Idea],
    mounts: tuple[tuple[str, ...], ...],
) -> tuple[TierEntry, ...]:
    entries: list[TierEntry] = []
    # Paths that hold an idea's value come first: a key that is only a clue to the
    # algorithm (TRL's ``num_generations``) is labelled by what it holds.
    for which in ("direct", "clues"):
        for idea, sources in parsed.items():
            for source in sources:
                for path in getattr(source, which):
                    for mount in mounts:
                        pattern = ".".join((*mount, *path))
                        info = ideas[idea]
                        entries.append(TierEntry(compile_pattern(pattern), info.tier, info.title))
    for idea, sources in outer.items():
        known = ideas.get(idea)
        for source in sources:
            for path in source.paths:
                tier, label = (known.tier, known.title) if known else ("important", str(idea))
                entries.append(TierEntry(compile_pattern(".".join(path)), tier, label))
    for key, level in tiers.items():
        for mount in mounts:
            pattern = ".".join((*mount, *_split(key)))
            entries.append(TierEntry(compile_pattern(pattern), str(level), _label(key)))
    return tuple(entries)


def _label(key: str) -> str:
    return key.replace("**.", "").replace(".**", "").replace("*", "").strip("._") or key


def generic(frameworks: Sequence[Dialect], ideas: Mapping[str, Idea]) -> Dialect:
    """The fallback for files in no known dialect: every dialect's plain spellings.

    Values are read from top-level keys that some framework spells the same way
    unconditionally; tiers match any path ending in a known spelling.  Nothing
    here is written twice: it is derived from the dialects.
    """
    sources: dict[str, list[Source]] = {}
    seen: set[tuple[str, ...]] = set()
    entries: list[TierEntry] = []
    for dialect in frameworks:
        for idea, specs in dialect.ideas.items():
            for spec in specs:
                plain = spec.read and not (spec.when or spec.cases or spec.infer or spec.mapping)
                for path in spec.read if plain else ():
                    if len(path) == 1 and path not in seen:
                        seen.add(path)
                        sources.setdefault(idea, []).append(Source(read=(path,)))
        for which in ("direct", "clues"):
            for idea, specs in (*dialect.ideas.items(), *dialect.outer.items()):
                info = ideas.get(idea)
                tier, label = (info.tier, info.title) if info else ("important", idea)
                for spec in specs:
                    for path in getattr(spec, which):
                        entries.append(TierEntry(_suffix(".".join(path)), tier, label))
        entries += [TierEntry(_suffix(key), tier, _label(key)) for key, tier in dialect.tiers]
    return Dialect(
        name=GENERIC,
        title="generic",
        version="",
        loader=GITTRAIN,
        strong=(),
        weak=(),
        exclusive=(),
        ideas={i: tuple(sources[i]) for i in ideas if i in sources},
        table=tuple(entries),
        literal={},
        open=(),
        keys=frozenset(),
        key_patterns=(),
        closed=False,
        mounts=((),),
        outer={},
    )


def _suffix(text: str) -> Pattern:
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
        dialect = read_dialect(doc, ideas, keys)  # validates, with file:line on mistakes
        if dialect.name != name:
            raise GittrainError(f"{rel}: name {dialect.name!r} does not match the file name")
        dialects[name] = {"spec": data, "keys": keys}
    return out


def write_compiled() -> None:
    text = json.dumps(source_documents(), indent=None, ensure_ascii=False, sort_keys=False)
    with open(COMPILED, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def build(data: Mapping[str, object]) -> Vocabulary:
    ideas = read_ideas(Document("gittrain/data/ideas.yaml", data["ideas"]))
    raw = data["dialects"]
    assert isinstance(raw, dict)
    dialects: dict[str, Dialect] = {}
    order = [GITTRAIN, *sorted(n for n in raw if n != GITTRAIN)]
    for name in order:
        entry = raw.get(name)
        if entry is None:
            continue
        doc = Document(f"gittrain/data/dialects/{name}.yaml", entry["spec"])
        dialects[name] = read_dialect(doc, ideas, entry["keys"])
    dialects[GENERIC] = generic(list(dialects.values()), ideas)
    return Vocabulary(ideas, dialects)


@cache
def shipped() -> Vocabulary:
    """The shipped vocabulary (read once per process, from the compiled JSON)."""
    with open(COMPILED, "rb") as handle:
        return build(json.loads(handle.read()))


if __name__ == "__main__":  # pragma: no cover - the maintainer's regeneration step
    write_compiled()
