"""One config file read in its dialect: the document, why that dialect, and the canonical view."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from gittrain.adapters import yamlio
from gittrain.adapters.scalars import resolve_plain
from gittrain.core.dialects.detect import Detection, detect, named
from gittrain.core.dialects.reading import reading
from gittrain.core.dialects.vocabulary import GENERIC, Effective, Vocabulary
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError

if TYPE_CHECKING:  # imported where a view is built: textconv needs only the dialect
    from gittrain.core.dialects import view as view_mod

# Text where YAML 1.1 (PyYAML, OmegaConf) and gittrain's strict reading may disagree:
# exponents, digit separators, base 60, leading zeros, binary, YAML 1.1 booleans.
_RISKY = (
    rb"[0-9][eE_:]|\b0[0-9bx]|\.(?:inf|Inf|INF|nan|NaN|NAN)\b"
    rb"|\b(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)\b"
)


class ConfigRead(NamedTuple):
    doc: Document
    detection: Detection
    view: view_mod.View
    base: DocPath = ()


def read_native(
    raw: bytes,
    rel: str,
    eff: Effective,
    *,
    source: str | None = None,
    expect_mapping: bool = True,
    with_view: bool = True,
) -> ConfigRead:
    """Parse and read a config that is not one of gittrain's own files.

    A dialect named in ``.gittrain.yaml`` decides the reading; otherwise the file
    is parsed as YAML 1.1 tools read it, the dialect is detected from its keys,
    and it is parsed again only where its framework reads values differently.
    A file in no known dialect is read strictly, as gittrain reads its own files.
    """
    doc, chosen = read_detected(raw, rel, eff, source=source, expect_mapping=expect_mapping)
    return _done(doc, chosen, eff.vocabulary, with_view)


def read_detected(
    raw: bytes,
    rel: str,
    eff: Effective,
    *,
    source: str | None = None,
    expect_mapping: bool = True,
) -> tuple[Document, Detection]:
    """:func:`read_native` without the view: the document and its dialect (for textconv)."""
    vocabulary = eff.vocabulary
    name = source or rel
    chosen = named(vocabulary, rel, eff.paths, ".gittrain.yaml")
    if chosen is not None:
        doc = yamlio.load_bytes(
            raw, name, expect_mapping=expect_mapping, reading=reading(chosen.dialect.loader)
        )
        return doc, chosen
    # Most files read the same either way: parse strictly, and again only if needed.
    strict_error: GittrainError | None = None
    plain: dict[str, object] = {}  # each plain scalar's text -> its strict value
    try:
        doc = yamlio.load_bytes(raw, name, expect_mapping=expect_mapping, reading=_noting(plain))
    except GittrainError as exc:  # aliases, merges, `.inf`: frameworks may accept them
        strict_error = exc
        doc = yamlio.load_bytes(raw, name, expect_mapping=expect_mapping, reading=reading("pyyaml"))
    chosen = detect(vocabulary, doc)
    loader = chosen.dialect.loader
    if chosen.dialect.name == GENERIC and chosen.conflict is None:
        if strict_error is not None:
            raise strict_error  # no framework to read it as: gittrain's own rules apply
    elif loader != "gittrain":
        # Parse again where the framework types a value differently and the text looks
        # risky; asking the cheap question first skips compiling _RISKY (~1 ms) for most.
        framework = reading(loader)
        if strict_error is not None or (
            not _reads_alike(plain, framework, raw) and re.search(_RISKY, raw)
        ):
            doc = yamlio.load_bytes(raw, name, expect_mapping=expect_mapping, reading=framework)
    return doc, chosen


def _noting(plain: dict[str, object]) -> yamlio.Reading:
    """The strict reading, noting every plain scalar it types (a strict parse fails on
    aliases and merges, so a document it reads differs from a framework's reading of
    the same text only in how those scalars are typed)."""

    def resolve(text: str) -> object:
        value = resolve_plain(text)
        plain[text] = value
        return value

    return yamlio.Reading(resolve)


_PLAIN_TYPES = (str, int, float, bool, type(None))


def _reads_alike(plain: Mapping[str, object], framework: yamlio.Reading, raw: bytes) -> bool:
    """Would parsing again with ``framework`` give the same document?

    Yes when it types every plain scalar as the strict parse did (same type, same
    repr: ``0.0`` is not ``-0.0``, ``1`` is not ``1.0`` or ``True``) and no key is a
    quoted ``<<``, which a framework's reading takes as a merge.  When unsure, no.
    """
    if b"<<" in raw:
        return False
    resolve = framework.resolve
    for text, value in plain.items():  # document order: the first failure is the same
        try:
            again = resolve(text)
        except ValueError:
            return False  # the parse again reports it, as before
        if type(again) is not type(value) or type(value) not in _PLAIN_TYPES:
            return False
        if repr(again) != repr(value):
            return False
    return True


def _done(doc: Document, chosen: Detection, vocabulary: Vocabulary, with_view: bool) -> ConfigRead:
    from gittrain.core.dialects import view as view_mod

    if not with_view:  # textconv only needs the dialect
        return ConfigRead(doc, chosen, view_mod.View(chosen.dialect, {}))
    return ConfigRead(doc, chosen, view_mod.read(vocabulary, chosen.dialect, doc.data))


def read_own(
    doc: Document,
    eff: Effective,
    config: object,
    base: DocPath,
    why: str,
    *,
    outside: Mapping[str, view_mod.Value] | None = None,
) -> ConfigRead:
    """A gittrain job's or recipe's config mapping (at ``base``) in the gittrain dialect."""
    from gittrain.core.dialects import view as view_mod

    dialect = eff.vocabulary.get("gittrain")
    view = view_mod.read(eff.vocabulary, dialect, config, base=base, root=doc.data, outside=outside)
    return ConfigRead(doc, Detection(dialect, why), view, base)
