"""A fast yes/no check of gittrain's own JSON Schemas, owned by the schemas adapter.

Importing jsonschema costs ~100 ms, more than validating a repository's worth of
configs, and a pre-commit hook pays it on every commit.  The schemas in
``schemas/`` use a small set of draft 2020-12 keywords; this module compiles
them into plain predicates with jsonschema's semantics (its draft 2020-12 type
checker and its equality, where ``true`` is not ``1`` but ``1`` is ``1.0``).
It only answers "valid or not": ``schemas.check`` still asks jsonschema for the
error records of an invalid document, so messages and paths cannot drift.
A schema using anything else raises :class:`Unsupported` at compile time and is
checked by jsonschema alone.  tests/test_fastschema.py holds the two to agreement.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping

Check = Callable[[object], bool]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Keywords that never fail a document (``then``/``else`` are read by ``if``).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"}
    | {"then", "else"}
)


class Unsupported(Exception):
    """The schema uses something this module does not implement: use jsonschema."""


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


# jsonschema's draft 2020-12 type checker (integer includes 1.0, as draft 6+ say).
_TYPES: Mapping[str, Check] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _equal(expected: object, value: object) -> bool:
    """jsonschema's ``equal`` for a scalar ``expected``: bools equal only bools."""
    if expected is value:
        return True
    if isinstance(expected, str) or isinstance(value, str):
        return expected == value
    if isinstance(expected, bool) or isinstance(value, bool):
        return False
    return expected == value


class Compiler:
    """Compiles schemas that reference each other by ``$id`` (``documents``)."""

    def __init__(self, documents: Mapping[str, object]) -> None:
        self.documents = documents
        self.compiled: dict[tuple[str, str], Check] = {}

    def root(self, uri: str) -> Check:
        document = self.documents.get(uri)
        if not isinstance(document, dict) or document.get("$schema") != DRAFT:
            raise Unsupported(f"{uri}: not a draft 2020-12 schema")
        return self._at(uri, "")

    def _at(self, uri: str, pointer: str) -> Check:
        key = (uri, pointer)
        known = self.compiled.get(key)
        if known is not None:
            return known
        target: list[Check] = []  # filled below; a recursive $ref calls through it

        def forward(value: object) -> bool:
            return target[0](value)

        self.compiled[key] = forward
        check = self.subschema(_resolve(self.documents[uri], pointer), uri, top=not pointer)
        target.append(check)
        self.compiled[key] = check
        return check

    def _ref(self, ref: object, uri: str) -> Check:
        if not isinstance(ref, str):
            raise Unsupported("$ref is not a string")
        name, _, pointer = ref.partition("#")
        if name:
            if any(c in name for c in ":/?\\%") or name.startswith("."):
                raise Unsupported(f"$ref {ref!r}")
            uri = uri.rsplit("/", 1)[0] + "/" + name
        if uri not in self.documents or (pointer and not pointer.startswith("/")):
            raise Unsupported(f"$ref {ref!r}")
        return self._at(uri, pointer)

    def subschema(self, schema: object, uri: str, *, top: bool = False) -> Check:
        if schema is True or schema is False:
            result = bool(schema)
            return lambda value: result
        if not isinstance(schema, dict):
            raise Unsupported("a schema must be an object or a boolean")
        if "$id" in schema and not top:
            raise Unsupported("$id below the top of a schema")
        checks: list[Check] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            make = _KEYWORDS.get(keyword)
            if make is None:
                raise Unsupported(f"keyword {keyword!r}")
            checks.append(make(self, argument, schema, uri))
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(check(value) for check in checks)


def _resolve(document: object, pointer: str) -> object:
    """The value at a JSON pointer (``/$defs/config``); no escapes in our schemas."""
    if "~" in pointer or "%" in pointer:
        raise Unsupported(f"pointer {pointer!r}")
    node = document
    for part in pointer.split("/")[1:]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise Unsupported(f"pointer {pointer!r} leads nowhere")
    return node


Maker = Callable[[Compiler, object, dict[str, object], str], Check]


def _number(argument: object) -> float:
    if not _is_number(argument):
        raise Unsupported("a numeric bound that is not a number")
    return argument  # type: ignore[return-value]


def _count(argument: object) -> int:
    if not isinstance(argument, int) or isinstance(argument, bool) or argument < 0:
        raise Unsupported("a count that is not a non-negative integer")
    return argument


def _strings(argument: object) -> list[str]:
    if not isinstance(argument, list) or not all(isinstance(a, str) for a in argument):
        raise Unsupported("expected a list of strings")
    return argument


def _type(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    names = [argument] if isinstance(argument, str) else _strings(argument)
    if not all(name in _TYPES for name in names):
        raise Unsupported(f"type {argument!r}")
    tests = [_TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _scalars(values: list[object]) -> list[object]:
    if not all(v is None or isinstance(v, (str, int, float)) for v in values):
        raise Unsupported("enum/const with a structured value")
    return values


def _enum(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    if not isinstance(argument, list):
        raise Unsupported("enum is not a list")
    options = _scalars(argument)
    return lambda value: any(_equal(option, value) for option in options)


def _const(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    (expected,) = _scalars([argument])
    return lambda value: _equal(expected, value)


def _pattern(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    if not isinstance(argument, str):
        raise Unsupported("pattern is not a string")
    search = re.compile(argument).search  # jsonschema uses re.search too
    return lambda value: not isinstance(value, str) or search(value) is not None


def _min_length(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    least = _count(argument)
    return lambda value: not isinstance(value, str) or len(value) >= least


def _minimum(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    bound = _number(argument)
    return lambda value: not _is_number(value) or not value < bound  # type: ignore[operator]


def _maximum(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    bound = _number(argument)
    return lambda value: not _is_number(value) or not value > bound  # type: ignore[operator]


def _exclusive_minimum(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    bound = _number(argument)
    return lambda value: not _is_number(value) or not value <= bound  # type: ignore[operator]


def _required(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    keys = _strings(argument)
    return lambda value: not isinstance(value, dict) or all(key in value for key in keys)


def _properties(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    if not isinstance(argument, dict):
        raise Unsupported("properties is not an object")
    subs = [(key, c.subschema(sub, uri)) for key, sub in argument.items()]
    return lambda value: (
        not isinstance(value, dict) or all(check(value[key]) for key, check in subs if key in value)
    )


def _additional(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    declared = schema.get("properties", {})
    if not isinstance(declared, dict):
        raise Unsupported("properties is not an object")
    known = frozenset(declared)
    sub = c.subschema(argument, uri)
    return lambda value: (
        not isinstance(value, dict)
        or all(sub(item) for key, item in value.items() if key not in known)
    )


def _property_names(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    sub = c.subschema(argument, uri)
    return lambda value: not isinstance(value, dict) or all(sub(key) for key in value)


def _items(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    sub = c.subschema(argument, uri)
    return lambda value: not isinstance(value, list) or all(sub(item) for item in value)


def _min_items(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    least = _count(argument)
    return lambda value: not isinstance(value, list) or len(value) >= least


def _min_properties(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    least = _count(argument)
    return lambda value: not isinstance(value, dict) or len(value) >= least


def _one_of(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    if not isinstance(argument, list) or not argument:
        raise Unsupported("oneOf is not a non-empty list")
    subs = [c.subschema(sub, uri) for sub in argument]

    def one_of(value: object) -> bool:
        matched = 0
        for sub in subs:
            if sub(value):
                matched += 1
                if matched > 1:
                    return False
        return matched == 1

    return one_of


def _not(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    sub = c.subschema(argument, uri)
    return lambda value: not sub(value)


def _if(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    condition = c.subschema(argument, uri)
    then = c.subschema(schema["then"], uri) if "then" in schema else None
    otherwise = c.subschema(schema["else"], uri) if "else" in schema else None

    def if_then_else(value: object) -> bool:
        branch = then if condition(value) else otherwise
        return branch is None or branch(value)

    return if_then_else


def _any_of(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    if not isinstance(argument, list) or not argument:
        raise Unsupported("anyOf is not a non-empty list")
    subs = [c.subschema(sub, uri) for sub in argument]
    return lambda value: any(sub(value) for sub in subs)


def _all_of(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    if not isinstance(argument, list) or not argument:
        raise Unsupported("allOf is not a non-empty list")
    subs = [c.subschema(sub, uri) for sub in argument]
    return lambda value: all(sub(value) for sub in subs)


def _dollar_ref(c: Compiler, argument: object, schema: dict[str, object], uri: str) -> Check:
    return c._ref(argument, uri)


_KEYWORDS: Mapping[str, Maker] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _min_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "minItems": _min_items,
    "minProperties": _min_properties,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "allOf": _all_of,
    "not": _not,
    "if": _if,
    "$ref": _dollar_ref,
}
