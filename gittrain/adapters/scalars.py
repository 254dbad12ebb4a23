"""gittrain's typing of YAML scalars: which plain text is a number, a boolean, null or a string.

Pure Python (no PyYAML): the rules the strict loader in ``yamlio`` applies to
every plain scalar and explicit JSON tag, and that the YAML 1.1 lint compares
against.  See ``yamlio`` for the list of traps they avoid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NONFINITE = re.compile(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)\Z")
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_LEADING_ZERO_INT = re.compile(r"[-+]?0[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")

TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset({TAG + t for t in ("str", "int", "float", "bool", "null")} | {"!"})
COLLECTION_TAGS = frozenset({TAG + "map", TAG + "seq", "!"})


def resolve_plain(text: str) -> object:
    """The value of an untagged plain scalar under gittrain's rules.

    Raises ``ValueError`` for values JSON cannot hold (NaN, infinities).
    """
    if text in _NULLS:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if not (first.isdigit() or first in "+-."):
        return text
    if _INT.match(text):
        return int(text)
    if _LEADING_ZERO_INT.match(text):
        return text  # YAML 1.1 octal; kept verbatim rather than guessed
    if _HEX.match(text):
        return int(text[2:], 16)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _FLOAT.match(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"number {text} is out of range")
        return value
    if _NONFINITE.match(text):
        raise ValueError(f"{text} is not a finite number (JSON has no NaN or infinity)")
    return text


def tagged(tag: str, text: str) -> object:
    """The value of a scalar with an explicit JSON tag (``!!int 7``); ValueError if not one."""
    kind = tag[len(TAG) :] if tag.startswith(TAG) else "str"
    if kind == "str":
        return text
    value = resolve_plain(text)
    wanted: dict[str, Callable[[object], bool]] = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if not wanted[kind](value):
        raise ValueError(f"{text!r} is not a valid !!{kind}")
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    return value
