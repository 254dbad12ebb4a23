"""Plain YAML values that YAML 1.1 tools (PyYAML, and the trainers built on it) misread.

PyYAML resolves plain scalars with the YAML 1.1 rules below (copied from its
``resolver.py``); gittrain's strict loader follows YAML 1.2.  A value whose
reading differs between the two is a trap: ``2e-5`` is a float to us and a
string to PyYAML (LLaMA-Factory issue 4014), ``yes`` is a string to us and
``True`` to PyYAML.  Each finding carries a fix both readings agree on.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import NamedTuple

from gittrain.adapters.scalars import resolve_plain

_BOOL = re.compile(
    r"(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z"
)
_TRUE_WORDS = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?\Z"
    r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?\Z"
    r"|(?P<sexf>[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)\Z"
)
_INT = re.compile(
    r"(?P<bin>[-+]?0b[0-1_]+)\Z"
    r"|(?P<oct>[-+]?0[0-7_]+)\Z"
    r"|(?P<dec>[-+]?(?:0|[1-9][0-9_]*))\Z"
    r"|(?P<hex>[-+]?0x[0-9a-fA-F_]+)\Z"
    r"|(?P<sex>[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\Z"
)
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")


class Trap(str, enum.Enum):
    FLOAT = "float"  # a number PyYAML reads as a string (2e-5)
    BOOLEAN = "boolean"  # yes/no/on/off
    OCTAL = "octal"  # 0755
    SEXAGESIMAL = "sexagesimal"  # 1:30
    NUMBER = "number"  # 1_000, 0b101, 0o17: the two readings disagree on a number


class Misread(NamedTuple):  # not a dataclass: textconv reads frameworks' YAML through here
    """How the two readings of one plain scalar differ, and what to write instead."""

    trap: Trap
    text: str
    yaml11: object
    yaml12: object
    fix: str


def read_yaml11(text: str) -> object:
    """The value PyYAML's implicit resolver gives an untagged plain scalar (no dates)."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if _BOOL.match(text):
        return text in _TRUE_WORDS
    if _SPECIAL_FLOAT.match(text):
        return float(text.replace(".", "", 1))
    if _INT.match(text):
        return _yaml11_int(text.replace("_", ""))
    match = _FLOAT.match(text)
    if match:
        clean = text.replace("_", "")
        if match.group("sexf"):
            return float(_base60(clean))
        return float(clean)
    return text


def _yaml11_int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body.startswith("0b"):
        return sign * int(body[2:], 2)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    if ":" in body:
        return sign * int(_base60(body))
    if body != "0" and body.startswith("0"):
        return sign * int(body, 8)
    return sign * int(body)


def _base60(text: str) -> float:
    sign = -1 if text.startswith("-") else 1
    value = 0.0
    for part in text.lstrip("+-").split(":"):
        value = value * 60 + float(part)
    return sign * value


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def check(text: str, read: Callable[[str], object] = read_yaml11) -> Misread | None:
    """The misreading of a plain scalar ``text``, or None when both readings agree.

    ``read`` is the other reader (PyYAML's YAML 1.1 rules unless a framework's are given).
    """
    try:
        ours = resolve_plain(text)
        theirs = read(text)
    except ValueError:
        return None  # .nan and friends: the strict loader reports those itself
    if _same(ours, theirs):
        return None
    if isinstance(theirs, bool):
        word = "true" if theirs else "false"
        return Misread(Trap.BOOLEAN, text, theirs, ours, f'{word} (a boolean) or "{text}" (a word)')
    if isinstance(theirs, str) and isinstance(ours, (int, float)):
        trap = Trap.FLOAT if isinstance(ours, float) else Trap.NUMBER
        return Misread(trap, text, theirs, ours, portable_number(ours, text))
    if isinstance(theirs, (int, float)) and isinstance(ours, str):
        body = text.lstrip("+-")
        if ":" in body:
            trap = Trap.SEXAGESIMAL
        elif re.fullmatch(r"0[0-7_]+", body):
            trap = Trap.OCTAL
        else:
            trap = Trap.NUMBER
        number = portable_number(theirs, text)
        if trap is Trap.NUMBER:
            return Misread(trap, text, theirs, ours, f'{number} (a number) or "{text}" (text)')
        return Misread(trap, text, theirs, ours, f'"{text}" (text) or {number} (a number)')
    return Misread(Trap.NUMBER, text, theirs, ours, f'"{text}"')


def portable_number(value: int | float, text: str = "") -> str:
    """Spell ``value`` so YAML 1.1 and 1.2 read the same number: ``2e-5`` -> ``2.0e-5``."""
    if isinstance(value, int):
        return str(value)
    candidate = _respell(text) if text else ""
    if (
        candidate
        and _same(read_yaml11(candidate), value)
        and _same(resolve_plain(candidate), value)
    ):
        return candidate
    spelled = repr(value)
    if "e" in spelled:
        mantissa, exponent = spelled.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        spelled = f"{mantissa}e{exponent if exponent[0] in '+-' else '+' + exponent}"
    return spelled


def _respell(text: str) -> str:
    """Keep the user's digits: add the ``.0`` and the exponent sign YAML 1.1 needs."""
    match = re.fullmatch(r"([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?)([0-9]+))?", text)
    if not match:
        return ""
    sign, whole, frac, exp_sign, exp = match.groups()
    out = f"{sign}{whole or '0'}.{frac or '0'}"
    if exp is not None:
        out += f"e{exp_sign or '+'}{exp}"
    return out


def describe(found: Misread, readers: str = "YAML 1.1 tools (PyYAML)") -> str:
    """One line saying who misreads the value, as what, and what to write instead."""
    if found.trap is Trap.BOOLEAN:
        what = f"the boolean {str(found.yaml11).lower()}"
    elif found.trap is Trap.OCTAL:
        what = f"the octal number {found.yaml11}"
    elif found.trap is Trap.SEXAGESIMAL:
        what = f"the base-60 number {found.yaml11}"
    elif isinstance(found.yaml11, str):
        what = f"the string {found.text!r}"
    else:
        what = f"the number {found.yaml11}"
    return f"{found.text} is read as {what} by {readers}; write {found.fix}"
