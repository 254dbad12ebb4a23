"""JSON Schema validation: the only module that imports ``jsonschema``.

Schemas are the packaged ``schemas/*.schema.json`` files (draft 2020-12); they
may ``$ref`` each other by file name.  Errors come back as plain records with
tuple paths so the caller can attach file:line marks.  A valid document is
recognised by :mod:`gittrain.adapters.fastschema` without importing jsonschema
(~100 ms); only an invalid one (or a schema that module cannot compile) loads
jsonschema, which then produces every error record.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from gittrain.adapters import fastschema
from gittrain.core.resources import data_dir
from gittrain.document import DocPath

if TYPE_CHECKING:
    import referencing
    from jsonschema.exceptions import ValidationError

# YAML 1.1 spellings people use for booleans; gittrain keeps them as strings.
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO"}


class SchemaError(NamedTuple):  # not a dataclass: see gittrain/document.py
    """One schema violation at ``path`` (the offending value or key)."""

    path: DocPath
    message: str


def schema_names() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in _schema_files())


def schema_text(name: str) -> str:
    return (data_dir("schemas") / f"{name}.schema.json").read_text(encoding="utf-8")


def _schema_files() -> list[Any]:
    return sorted(data_dir("schemas").glob("*.schema.json"))


@cache
def _documents() -> dict[str, Any]:
    """Every packaged schema by its ``$id``."""
    contents = [json.loads(path.read_text(encoding="utf-8")) for path in _schema_files()]
    return {schema["$id"]: schema for schema in contents}


@cache
def _registry() -> referencing.Registry[Any]:
    import referencing
    import referencing.jsonschema

    resources = [
        (uri, referencing.jsonschema.DRAFT202012.create_resource(contents))
        for uri, contents in _documents().items()
    ]
    return referencing.Registry().with_resources(resources)


@cache
def _validator(name: str) -> Any:
    import jsonschema

    schema = json.loads(schema_text(name))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=_registry())


@cache
def _fast(name: str) -> fastschema.Check | None:
    """The compiled yes/no check of schema ``name``; None when jsonschema must do it."""
    uri = json.loads(schema_text(name)).get("$id")
    try:
        return fastschema.Compiler(_documents()).root(uri)
    except fastschema.Unsupported:
        return None


def check(name: str, data: object) -> list[SchemaError]:
    """Every violation of schema ``name`` (e.g. ``job``) by ``data``, in document order."""
    fast = _fast(name)
    if fast is not None and fast(data):
        return []
    return reference_check(name, data)


def reference_check(name: str, data: object) -> list[SchemaError]:
    """:func:`check` by jsonschema alone (the reference the fast path is tested against)."""
    errors: dict[SchemaError, None] = {}  # ordered and de-duplicated
    for error in _validator(name).iter_errors(data):
        errors.update(dict.fromkeys(_describe(error)))
    return list(errors)


def _unknown_key(key: str, allowed: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]}?"
    hint = f"; known keys: {', '.join(sorted(allowed))}" if len(allowed) <= 16 else ""
    return f"unknown key {key!r}{hint}"


def _describe(error: ValidationError) -> list[SchemaError]:
    path: DocPath = tuple(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        if extra and error.schema.get("additionalProperties") is False:
            return [SchemaError((*path, k), _unknown_key(k, allowed)) for k in extra]
    if keyword == "required" and isinstance(instance, dict):
        missing = [k for k in error.validator_value if k not in instance]
        return [SchemaError(path, f"missing required key {k!r}") for k in missing]
    if keyword in ("oneOf", "anyOf") and error.context:
        # Prefer the branch whose type fits the value: its errors say what to fix.
        from jsonschema.exceptions import best_match

        fitting = [e for e in error.context if e.validator != "type"] or error.context
        return _describe(best_match(fitting))
    if keyword == "type":
        wanted = error.validator_value
        wanted_text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        message = f"expected {wanted_text}, got {_json_type(instance)} {_short(instance)}"
        if wanted == "boolean" and isinstance(instance, str) and instance in _YAML11_BOOLS:
            message += " (write true or false; gittrain reads yes/no/on/off as strings)"
        return [SchemaError(path, message)]
    if keyword == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return [SchemaError(path, f"{_short(instance)} is not one of: {options}")]
    if keyword == "pattern":
        return [SchemaError(path, f"{_short(instance)} does not match {error.validator_value}")]
    return [SchemaError(path, error.message)]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
