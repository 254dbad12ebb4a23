"""The fast schema check agrees with jsonschema on every document it is given."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gittrain.adapters import fastschema, schemas, yamlio
from gittrain.core.resources import data_dir

NAMES = ("job", "recipe", "lockfile", "settings")

JOB: dict[str, Any] = {
    "name": "grpo-math-7b",
    "recipe": {"id": "grpo_basic", "version": "1.0.0"},
    "model": "Qwen/Qwen2.5-7B-Instruct",
    "model_size": "7B",
    "num_gpus": 8,
    "datasets": {"train": "gsm8k_train", "eval": "data/gsm8k_test.parquet"},
    "config": {
        "algorithm": "grpo",
        "learning_rate": 1.0e-6,
        "global_batch_size": 1024,
        "warmup_ratio": 0.1,
        "lora_dropout": 0.05,
        "precision": "bf16",
        "gradient_checkpointing": True,
        "custom_key": [1, 2],
    },
    "cloned_from": {"job": "other", "commit": "abcdef12"},
    "tags": ["math"],
    "result": {"status": "completed", "metrics": {"acc": 0.71}, "notes": None},
}
ENTRY: dict[str, Any] = {
    "path": "data/gsm8k.jsonl",
    "format": "jsonl",
    "sha256": "a" * 64,
    "hash_algorithm": "sha256",
    "size": 10,
    "size_mb": 0.0,
    "num_samples": 3,
    "columns": {"question": "string"},
    "description": "",
    "tags": [],
    "created_at": "2026-11-01T10:00:00Z",
    "modified_at": "2026-11-01T10:00:00Z",
}
LOCKFILE: dict[str, Any] = {
    "version": 1,
    "datasets": {
        "gsm8k": ENTRY,
        "shards": {**ENTRY, "format": "dir", "hash_algorithm": "sha256-manifest", "files": 2},
    },
}
SETTINGS: dict[str, Any] = {
    "version": 1,
    "jobs_dir": "jobs",
    "config_dirs": ["configs"],
    "rules": {"lr-range": "off"},
    "diff": {"paths": ["jobs/**"], "rules": [{"match": "seed", "tier": "critical"}]},
}
RECIPES = [
    yamlio.load_file(path, path.name).data for path in sorted(data_dir("recipes").glob("*.yaml"))
]
SEEDS: list[tuple[str, Any]] = [
    ("job", JOB),
    ("job", {**JOB, "recipe": "grpo_basic@main"}),
    ("lockfile", LOCKFILE),
    (
        "lockfile",
        {
            "version": 1,
            "datasets": {
                "r": {
                    **{k: v for k, v in ENTRY.items() if k != "hash_algorithm"},
                    "path": "s3://bucket/eval.jsonl",
                    "sha256": None,
                    "provider": {"etag": "x", "size": 3},
                }
            },
        },
    ),
    ("settings", SETTINGS),
    *(("recipe", r) for r in RECIPES),
    ("recipe", {"name": "mine", "extends": "grpo_basic", "min_gpus": 2}),
]

# Values that sit on the edges of the keywords the schemas use.
EDGES = st.sampled_from(
    [None, True, False, 0, 1, -1, 1.0, 0.5, 2.5, 100001, 1e-6, "", "x", "yes", "7B", "8x7B",
     "1.0.0", "grpo", "sft", "dir", "s3://b/k", "hf://datasets/o/n", "hub-lfs", "jsonl", "sha256", "sha256-manifest", "off", "critical",
     "a" * 64, "abc", "/abs", "../up", "Bad Name", "grpo_basic", "2026-11-01T10:00:00Z", [],
     [""], ["x"], ["jsonl"], {}, {"x": 1}, {"id": "grpo_basic"}, {"min_size": "7B"}]
)  # fmt: skip
JSON = st.recursive(
    EDGES | st.text(max_size=4) | st.integers(-3, 3) | st.floats(allow_nan=False, width=32),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


def reference_valid(name: str, data: object) -> bool:
    return not list(schemas._validator(name).iter_errors(data))


def paths(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    """A seed document with a few values replaced, deleted or added."""
    name, seed = draw(st.sampled_from(SEEDS))
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        if not path:
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            keys = st.sampled_from(["format", "files", "extends", "id", "zzz", "rev", "beta"])
            parent[draw(keys)] = copy.deepcopy(draw(JSON))
        else:
            parent[path[-1]] = copy.deepcopy(draw(JSON))  # EDGES hands out shared objects
    return name, doc


def agree(name: str, data: object) -> None:
    fast = schemas._fast(name)
    assert fast is not None, f"{name}.schema.json no longer compiles to the fast check"
    assert fast(data) == reference_valid(name, data), (name, data)
    assert schemas.check(name, data) == schemas.reference_check(name, data)


@pytest.mark.parametrize(("name", "data"), SEEDS)
def test_seeds_are_valid_for_both(name: str, data: object) -> None:
    assert reference_valid(name, data)
    agree(name, data)


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_mutated_documents_agree(case: tuple[str, Any]) -> None:
    agree(*case)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), JSON)
def test_arbitrary_json_agrees(name: str, data: object) -> None:
    agree(name, data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("job", {**JOB, "num_gpus": 8.0}),  # draft 2020-12: 8.0 is an integer
        ("job", {**JOB, "num_gpus": True}),  # but true is not
        ("job", {**JOB, "num_gpus": 8.5}),
        ("job", {**JOB, "config": {"learning_rate": 0}}),  # exclusiveMinimum
        ("job", {**JOB, "config": {"warmup_ratio": 1}}),  # maximum, inclusive
        ("job", {**JOB, "datasets": {"bad key": "x"}}),  # propertyNames
        ("job", {**JOB, "recipe": {"id": "Bad"}}),  # oneOf, no branch fits
        ("job", {**JOB, "result": {"status": True}}),  # enum: true is not a string
        ("lockfile", {**LOCKFILE, "version": 1.0}),  # const 1 equals 1.0
        ("lockfile", {**LOCKFILE, "version": True}),  # but not true
        ("lockfile", {"version": 1, "datasets": {"d": {**ENTRY, "files": 1}}}),  # else: not
        ("lockfile", {"version": 1, "datasets": {"d": {**ENTRY, "format": "dir"}}}),  # then
        ("recipe", {"name": "x"}),  # if/else: the full list is required
        ("recipe", {**RECIPES[0], "adjustments": [{"when": {}, "set": {}, "reason": ""}]}),
        ("settings", {"diff": {"rules": [{"match": "", "tier": "off"}]}}),
        ("settings", {"config_dirs": []}),
    ],
)
def test_hand_written_edges_agree(name: str, data: object) -> None:
    agree(name, data)


def test_invalid_documents_get_jsonschema_s_records() -> None:
    errors = schemas.check("job", {**JOB, "num_gpus": 0, "zzz": 1})
    assert [(e.path, e.message) for e in errors] == [
        (("zzz",), errors[0].message),
        (("num_gpus",), "0 is less than the minimum of 1"),
    ]
    assert errors[0].message.startswith("unknown key 'zzz'")


@pytest.mark.parametrize(
    "schema",
    [
        {"uniqueItems": True},  # a keyword the fast check does not implement
        {"patternProperties": {"^x": {}}},
        {"properties": {"a": {"$id": "https://elsewhere/a.json"}}},
        {"$ref": "https://elsewhere/other.json"},
        {"$ref": "#/$defs/missing"},
        {"type": "float"},
    ],
)
def test_unsupported_schemas_are_refused_at_compile_time(schema: dict[str, Any]) -> None:
    uri = "https://gittrain.dev/schemas/t.schema.json"
    document = {"$schema": fastschema.DRAFT, "$id": uri, **schema}
    with pytest.raises(fastschema.Unsupported):
        fastschema.Compiler({uri: document}).root(uri)


def test_other_drafts_are_refused() -> None:
    uri = "https://gittrain.dev/schemas/t.schema.json"
    document = {"$schema": "http://json-schema.org/draft-07/schema#", "$id": uri}
    with pytest.raises(fastschema.Unsupported):
        fastschema.Compiler({uri: document}).root(uri)


def test_recursive_refs_compile_and_agree() -> None:
    uri = "https://gittrain.dev/schemas/tree.schema.json"
    document = {
        "$schema": fastschema.DRAFT,
        "$id": uri,
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#"}}},
        "additionalProperties": False,
    }
    check = fastschema.Compiler({uri: document}).root(uri)
    reference = jsonschema.Draft202012Validator(document)
    for data in [{}, {"children": [{}, {"children": [{}]}]}, {"children": [{"x": 1}]}]:
        assert check(data) == reference.is_valid(data)


def test_a_list_where_a_boolean_belongs_is_reported_not_a_crash() -> None:
    """Found by the agreement test: `[] in {"yes", ...}` raised TypeError (an exit 3)."""
    config = {**JOB["config"], "gradient_checkpointing": []}
    errors = schemas.check("job", {**JOB, "config": config})
    assert [(e.path, e.message) for e in errors] == [
        (("config", "gradient_checkpointing"), "expected boolean, got array []")
    ]
