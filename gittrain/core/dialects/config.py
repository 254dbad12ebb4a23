"""One config file read in its dialect: the document, why that dialect, and the canonical view."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from gittrain.adapters import yamlio
from gittrain.core.dialects import view as view_mod
from gittrain.core.dialects.detect import Detection, detect, named
from gittrain.core.dialects.effective import Effective
from gittrain.core.dialects.reading import reading
from gittrain.core.dialects.vocabulary import GENERIC
from gittrain.document import DocPath, Document

# Only where OmegaConf and PyYAML disagree (``1e-5``) is a second parse worth it.
_EXPONENT = re.compile(rb"[0-9][eE][-+]?[0-9]")


class ConfigRead(NamedTuple):
    doc: Document
    detection: Detection
    view: view_mod.View
    base: DocPath = ()


def read_native(
    raw: bytes, rel: str, eff: Effective, *, source: str | None = None, expect_mapping: bool = True
) -> ConfigRead:
    """Parse and read a config that is not one of gittrain's own files.

    A dialect named in ``.gittrain.yaml`` decides the reading; otherwise the file
    is parsed as YAML 1.1 tools read it, the dialect is detected from its keys,
    and it is parsed again only where its framework reads values differently.
    A file in no known dialect is read strictly, as gittrain reads its own files.
    """
    vocabulary = eff.vocabulary
    name = source or rel
    chosen = named(vocabulary, rel, eff.paths, ".gittrain.yaml")
    if chosen is not None:
        doc = yamlio.load_bytes(
            raw, name, expect_mapping=expect_mapping, reading=reading(chosen.dialect.loader)
        )
    else:
        doc = yamlio.load_bytes(raw, name, expect_mapping=expect_mapping, reading=reading("pyyaml"))
        chosen = detect(vocabulary, doc)
        loader = chosen.dialect.loader
        if chosen.dialect.name == GENERIC and chosen.conflict is None:
            doc = yamlio.load_bytes(raw, name, expect_mapping=expect_mapping)
        elif loader == "omegaconf" and _EXPONENT.search(raw):
            doc = yamlio.load_bytes(
                raw, name, expect_mapping=expect_mapping, reading=reading(loader)
            )
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
    dialect = eff.vocabulary.get("gittrain")
    view = view_mod.read(eff.vocabulary, dialect, config, base=base, root=doc.data, outside=outside)
    return ConfigRead(doc, Detection(dialect, why), view, base)
