"""The vocabulary as a repository's ``.gittrain.yaml`` extends it: ``dialects``, ``spellings``."""

from __future__ import annotations

from collections.abc import Mapping

from gittrain.core.dialects.vocabulary import (
    GENERIC,
    Dialect,
    Effective,
    Source,
    Vocabulary,
    shipped,
)
from gittrain.core.settings import SETTINGS_FILE, Settings
from gittrain.document import Document
from gittrain.errors import EXIT_USAGE, at

_LAST: list[tuple[Settings, Effective]] = []  # one repository per process in practice


def effective(settings: Settings) -> Effective:
    """The shipped vocabulary plus the repository's spellings; settings mistakes name the line."""
    if _LAST and _LAST[0][0] is settings:
        return _LAST[0][1]
    result = _build(settings)
    _LAST[:] = [(settings, result)]
    return result


def _build(settings: Settings) -> Effective:
    base = shipped()
    doc = settings.document or Document(SETTINGS_FILE, {})
    names = sorted(base.names)
    for glob, name in settings.dialects.items():
        if name not in base.names:
            raise at(
                doc,
                ("dialects", glob),
                f"dialects: unknown framework {name!r}{_choices(name, names)}",
                EXIT_USAGE,
            )
    if not settings.spellings:
        return Effective(base, dict(settings.dialects))
    changed: dict[str, Dialect] = {}
    for name, extra in settings.spellings.items():
        if name not in base.names or name == GENERIC:
            raise at(
                doc,
                ("spellings", name),
                f"spellings: unknown framework {name!r}"
                f"{_choices(name, [n for n in names if n != GENERIC])}",
                EXIT_USAGE,
            )
        changed[name] = _extend(base.get(name), extra, base, doc, name)
    return Effective(base.replace(changed), dict(settings.dialects))


def _extend(
    dialect: Dialect, extra: Mapping[str, str], base: Vocabulary, doc: Document, name: str
) -> Dialect:
    ideas = {k: list(v) for k, v in dialect.ideas.items()}
    literal = dict(dialect.literal)
    added: list[str] = []
    for native, idea in extra.items():
        here = ("spellings", name, native)
        if idea not in base.ideas:
            raise at(
                doc,
                here,
                f"spellings.{name}.{native}: unknown idea {idea!r}"
                f"{_choices(idea, list(base.ideas))}",
            )
        path = tuple(p for p in native.split(".") if p)
        for other, sources in dialect.ideas.items():
            if other != idea and any(path in s.paths for s in sources):
                raise at(
                    doc,
                    here,
                    f"spellings.{name}.{native}: {dialect.title} already reads "
                    f"{native} as {other!r}, not {idea!r}",
                )
        ideas.setdefault(idea, []).insert(0, Source(read=(path,)))
        info = base.ideas[idea]
        for mount in dialect.mounts:
            literal[".".join((*mount, *path))] = (-1, info.tier, info.title)  # tried first
        added.append(".".join(path))
    ordered = {i: tuple(ideas[i]) for i in base.ideas if i in ideas}
    return dialect._replace(ideas=ordered, literal=literal, keys=dialect.keys.plus(added))


def _choices(word: str, known: list[str]) -> str:
    """``; did you mean 'verl'?`` when one name is close, else the list of names."""
    import difflib

    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (known: {', '.join(known)})"
