"""Which plain YAML values a framework will misread: `lint-yaml`'s judgement per dialect.

A value is misread when the framework ends up with something other than what
the text says to a YAML 1.2 reader (gittrain's own).  What the framework ends
up with depends on its loader:

* ``omegaconf`` (verl, LLaMA-Factory, torchtune): OmegaConf's YAML 1.1 rules,
  whose float pattern also takes ``2e-5`` and ``1e6``;
* ``pyyaml-argparse`` (TRL): PyYAML, then argparse converts a string default
  with the field's type, so ``2e-5`` under a known top-level key becomes a float
  (a string field keeps the string it expects); nested values are not converted;
* ``pyyaml-pydantic`` (axolotl): PyYAML, then pydantic converts a numeric string
  wherever the schema declares the field (not inside free-form mappings).

Digit separators (``500_000``) are read as the number they spell by all of them:
no finding.  YAML 1.1 booleans, octal and base-60 numbers stay findings.  A
file in no known dialect, or in gittrain's own, gets every YAML 1.1 trap.
"""

from __future__ import annotations

from gittrain.adapters.scalars import resolve_plain
from gittrain.core import yaml11
from gittrain.core.dialects.patterns import keys_of
from gittrain.core.dialects.reading import read_omegaconf, read_pyyaml
from gittrain.core.dialects.view import as_number
from gittrain.core.dialects.vocabulary import GENERIC, Dialect
from gittrain.document import DocPath

STRICT_READERS = "YAML 1.1 tools (PyYAML)"


def strict(dialect: Dialect) -> bool:
    """No framework reading to judge by: every YAML 1.1 trap is reported."""
    return dialect.name == GENERIC or dialect.loader not in _LOADERS


def readers(dialect: Dialect) -> str:
    """Who reads the file, as a finding names them: ``OmegaConf (verl)``."""
    if strict(dialect):
        return STRICT_READERS
    return f"{_LOADERS[dialect.loader]} ({dialect.title})"


def check(text: str, dialect: Dialect, path: DocPath) -> yaml11.Misread | None:
    """How ``dialect``'s framework misreads the plain scalar ``text`` at ``path``, if it does."""
    if strict(dialect):
        return yaml11.check(text)
    read = read_omegaconf if dialect.loader == "omegaconf" else read_pyyaml
    found = yaml11.check(text, read)
    if found is None:
        return None
    theirs = found.yaml11
    if _separated(text, theirs):
        return None
    if isinstance(theirs, str) and _converted(dialect, path) and as_number(theirs) != theirs:
        return None
    return found


def _separated(text: str, theirs: object) -> bool:
    """``500_000``: the framework reads the number the digits spell."""
    if "_" not in text or isinstance(theirs, bool) or not isinstance(theirs, (int, float)):
        return False
    try:
        ours = resolve_plain(text.replace("_", ""))
    except ValueError:
        return False
    return type(ours) is type(theirs) and ours == theirs


def _converted(dialect: Dialect, path: DocPath) -> bool:
    """Does the framework convert a string at ``path`` to its field's type?"""
    if dialect.loader == "pyyaml-argparse":
        return len(path) == 1 and isinstance(path[0], str) and dialect.known((path[0],))
    if dialect.loader == "pyyaml-pydantic":
        keys = keys_of(path)
        if any(dialect.is_open(keys[:n]) for n in range(1, len(keys) + 1)):
            return False
        return bool(keys) and dialect.known(keys)
    return False


_LOADERS = {
    "omegaconf": "OmegaConf",
    "pyyaml": "PyYAML",
    "pyyaml-argparse": "PyYAML",
    "pyyaml-pydantic": "PyYAML",
}
