"""One config file read in its dialect: the document, why that dialect, and the canonical view."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from gittrain.adapters.scalars import resolve_plain
from gittrain.core.dialects.detect import Detection, detect, named
from gittrain.core.dialects.reading import reading
from gittrain.core.dialects.vocabulary import GENERIC, Effective, Vocabulary
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError

if TYPE_CHECKING:  # imported where a view is built: textconv needs only the dialect
    from gittrain.adapters import yamlio
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
    from gittrain.adapters import yamlio  # a job's own file never needs it: see doccache

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
    from gittrain.adapters import yamlio

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


# The trainer files config_file jobs name, parsed once per content: mining meets the same
# file at every status change of its job.  Bounded; cleared when the vocabulary differs.
_FILES: dict[tuple[bytes, str, object], tuple[Document, Detection]] = {}
_FILES_MAX = 512
_VIEWS: dict[tuple[bytes, str, object, str], view_mod.View] = {}


def read_file(
    raw: bytes, file: str, eff: Effective, framework: object = None
) -> tuple[Document, Detection]:
    """A trainer's file, in the dialect ``framework`` names, else the one detected."""
    key = (raw, file, framework)
    found = _FILES.get(key)
    if found is not None and found[1].dialect is eff.vocabulary.get(found[1].dialect.name):
        return found
    if framework in eff.vocabulary.framework_names:
        from gittrain.adapters import yamlio

        dialect = eff.vocabulary.get(str(framework))
        native = yamlio.load_bytes(raw, file, reading=reading(dialect.loader))
        read = (native, Detection(dialect, f"framework: {framework} (config_file {file})"))
    else:
        read = read_detected(raw, file, eff)
    if len(_FILES) >= _FILES_MAX:
        _FILES.clear()
    _FILES[key] = read
    return read


def read_job(
    doc: Document,
    eff: Effective,
    *,
    outside: Mapping[str, view_mod.Value] | None = None,
    load: Callable[[str], bytes] | None = None,
) -> ConfigRead:
    """A job's config, in whichever form the job gives it.

    * ``config:`` in gittrain's keys (the default);
    * ``framework: F`` with ``config:`` in that trainer's keys, read in F's dialect;
    * ``config_file: PATH``, the trainer's own file, read by ``load`` (the work tree or
      the job's commit) in its dialect (``framework`` names it, else detection):
      findings then point into that file.

    The job's own fields (``model``, ``num_gpus``, ``datasets``) and ``outside`` (a
    recipe's algorithm) fill what the config does not state.  A ``config_file`` that
    cannot be read is a :class:`GittrainError` naming the job's line.
    """
    from gittrain.core.dialects import view as view_mod

    vocabulary = eff.vocabulary
    data = doc.data if isinstance(doc.data, dict) else {}
    framework = data.get("framework")
    file = data.get("config_file")
    if not isinstance(file, str) and framework not in vocabulary.framework_names:
        return read_own(doc, eff, data.get("config"), ("config",), "job", outside=outside)
    own = vocabulary.get("gittrain")
    known = view_mod.read(vocabulary, own, {}, base=("config",), root=data).values
    fallback = {**(outside or {}), **known}  # the job's own fields are stated facts
    if isinstance(file, str):
        mark = doc.mark_of(("config_file",))
        if load is None:
            raise GittrainError("cannot be read here", source=doc.source, mark=mark)
        try:
            raw = load(file)
        except GittrainError as exc:
            raise GittrainError(exc.message, source=doc.source, mark=mark) from None
        native, chosen = read_file(raw, file, eff, framework)
        key = (raw, file, framework, repr(sorted(fallback.items())))
        view = _VIEWS.get(key)
        if view is None or view.dialect is not chosen.dialect:
            view = view_mod.read(vocabulary, chosen.dialect, native.data, outside=fallback)
            if len(_VIEWS) >= _FILES_MAX:
                _VIEWS.clear()
            _VIEWS[key] = view
        return ConfigRead(native, chosen, view, ())
    dialect = vocabulary.get(str(framework))
    view = view_mod.read(
        vocabulary, dialect, data.get("config"), base=("config",), outside=fallback
    )
    return ConfigRead(doc, Detection(dialect, f"framework: {framework}"), view, ("config",))
