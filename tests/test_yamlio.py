"""The strict YAML loader: every YAML 1.1 trap, bounds, marks, and the dumper's round trip."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gittrain.adapters.scalars import resolve_plain
from gittrain.adapters.yamlio import dump, load_bytes, load_text
from gittrain.document import Mark
from gittrain.errors import GittrainError


def load(text: str | bytes) -> object:
    raw = text.encode() if isinstance(text, str) else text
    return load_bytes(raw, "jobs/a.yaml").data


def error(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(GittrainError) as info:
        load_bytes(raw, "jobs/a.yaml")
    message = info.value.message
    assert "\n" not in message
    assert info.value.code == 1
    return message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2e-5", 2e-5),
        ("5E-7", 5e-7),
        ("1e6", 1e6),
        ("1.0e-06", 1e-6),
        ("-3.5", -3.5),
        ("0.00002", 2e-5),
        ("42", 42),
        ("-7", -7),
        ("0", 0),
        ("0x1f", 31),
        ("0o17", 15),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
    ],
)
def test_plain_scalars_follow_gittrain_rules(text: str, value: object) -> None:
    got = load(f"v: {text}\n")
    assert got == {"v": value}
    assert type(got["v"]) is type(value)  # type: ignore[index]


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"])
def test_yaml11_booleans_stay_strings(text: str) -> None:
    assert load(f"v: {text}\n") == {"v": text}


@pytest.mark.parametrize(
    "text", ["0012345", "012", "12:30", "1:30:00", "2024-01-01", "1_000", "0x", ".5.5", "1e"]
)
def test_yaml11_traps_are_kept_as_strings(text: str) -> None:
    assert load(f"v: {text}\n") == {"v": text}


def test_quoted_numbers_are_strings() -> None:
    assert load("a: '2e-5'\nb: \"1\"\n") == {"a": "2e-5", "b": "1"}


def test_keys_are_text_not_booleans() -> None:
    assert load("on: push\nyes: 1\n1: x\n") == {"on": "push", "yes": 1, "1": "x"}


def test_duplicate_keys_name_both_lines() -> None:
    message = error("a: 1\nb: 2\na: 3\n")
    assert message == "jobs/a.yaml:3:1: duplicate key 'a' (first defined at line 1)"


def test_nested_duplicate_keys() -> None:
    message = error("config:\n  lr: 1\n  x: 2\n  lr: 3\n")
    assert message.startswith("jobs/a.yaml:4:3: duplicate key 'lr' (first defined at line 2)")


def test_alias_is_rejected_where_it_is_used() -> None:
    assert error("a: &x [1]\nb: *x\n").startswith("jobs/a.yaml:2:4: YAML aliases (*x)")


def test_self_referencing_alias_is_rejected() -> None:
    assert "YAML aliases (*a)" in error("a: &a [*a]\n")


def test_alias_bomb_is_rejected_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 500
    start = time.perf_counter()
    assert "YAML aliases" in error(bomb)
    assert time.perf_counter() - start < 1.0


def test_anchor_without_alias_is_harmless() -> None:
    assert load("a: &x 1\n") == {"a": 1}


def test_merge_keys_are_rejected() -> None:
    assert "merge keys (<<)" in error("base: {x: 1}\nc:\n  <<: {y: 2}\n")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!python/object/apply:os.system ['true']\n", "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: !!binary aGk=\n", "!!binary"),
        ("a: !!set {x: null}\n", "!!set"),
        ("a: !custom 1\n", "!custom"),
        ("a: !!timestamp 2024-01-01\n", "!!timestamp"),
    ],
)
def test_non_json_tags_are_rejected(text: str, tag: str) -> None:
    assert f"tag {tag} is not allowed" in error(text)


def test_json_tags_are_honoured() -> None:
    assert load("a: !!float 1\nb: !!str 2e-5\nc: !!int 7\n") == {"a": 1.0, "b": "2e-5", "c": 7}
    assert "not a valid !!int" in error("a: !!int 1.5\n")


@pytest.mark.parametrize("text", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", "1e999"])
def test_non_finite_numbers_are_rejected(text: str) -> None:
    message = error(f"lr: {text}\n")
    assert message.startswith("jobs/a.yaml:1:5: ")


def test_empty_file() -> None:
    assert error("") == "jobs/a.yaml: file is empty; expected a YAML mapping"
    assert error("# only a comment\n") == "jobs/a.yaml: file is empty; expected a YAML mapping"


def test_top_level_must_be_a_mapping() -> None:
    assert error("- 1\n- 2\n") == "jobs/a.yaml:1:1: the top level must be a mapping, not a list"
    assert "not a str scalar" in error("hello\n")
    assert "not empty (null)" in error("~\n")


def test_any_top_level_when_asked() -> None:
    assert load_text("- 1\n", "x", expect_mapping=False).data == [1]


def test_two_documents() -> None:
    assert error("a: 1\n---\nb: 2\n") == (
        "jobs/a.yaml:2:1: a second YAML document starts here; expected exactly one"
    )


def test_tab_indentation() -> None:
    assert error("a:\n\tb: 1\n") == "jobs/a.yaml:2:1: tab characters cannot indent YAML; use spaces"


def test_non_utf8_reported_by_line() -> None:
    assert error(b"a: 1\nb: caf\xe9\n") == "jobs/a.yaml:2:7: not valid UTF-8 (byte 0xe9)"


def test_utf8_bom_is_accepted() -> None:
    assert load(b"\xef\xbb\xbfa: 1\n") == {"a": 1}


def test_binary_content() -> None:
    assert "is this a binary file?" in error(b"a: 1\nb: \x00\x01\x02\n")


def test_size_limit() -> None:
    with pytest.raises(GittrainError, match="the limit is 100"):
        load_bytes(b"a: " + b"x" * 200 + b"\n", "big.yaml", max_bytes=100)


def test_depth_limit() -> None:
    deep = "a: " + "[" * 65 + "]" * 65 + "\n"
    assert "nested deeper than the limit of 64" in error(deep)


def test_very_deep_nesting_does_not_crash() -> None:
    start = time.perf_counter()
    deep = "a: " + "[" * 200_000 + "]" * 200_000 + "\n"
    assert error(deep).startswith("jobs/a.yaml:1:")
    assert time.perf_counter() - start < 2.0


def test_complex_keys_are_rejected() -> None:
    assert "mapping keys must be plain strings" in error("? [a, b]\n: 1\n")


def test_syntax_error_has_line_and_column() -> None:
    assert error("a: [1, 2\nb: 3\n").startswith("jobs/a.yaml:")


def test_marks_for_every_value() -> None:
    doc = load_bytes(b"name: x\nconfig:\n  lr: 2e-5\n  list:\n    - a\n    - b: 1\n", "j.yaml")
    assert doc.marks[("name",)] == Mark(1, 1)
    assert doc.marks[("config", "lr")] == Mark(3, 3)
    assert doc.marks[("config", "list", 1)] == Mark(6, 7)
    assert doc.marks[("config", "list", 1, "b")] == Mark(6, 7)
    assert doc.where(("config", "lr")) == "j.yaml:3:3"
    assert doc.where(("config", "missing", "deeper")) == "j.yaml:2:1"


def test_resolve_plain_rejects_nan() -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        resolve_plain(".nan")


def test_dump_quotes_strings_that_would_change_type() -> None:
    text = dump({"s": "2e-5", "y": "yes", "o": "0012", "t": "12:30", "n": "null", "e": ""})
    assert load(text) == {"s": "2e-5", "y": "yes", "o": "0012", "t": "12:30", "n": "null", "e": ""}
    assert 's: "2e-5"' in text


def test_dump_writes_floats_yaml11_tools_read_as_floats() -> None:
    assert dump({"lr": 1e-6}) == "lr: 1.0e-06\n"
    import yaml

    assert yaml.safe_load(dump({"lr": 1e-6, "x": 2e-5})) == {"lr": 1e-6, "x": 2e-5}


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**18), max_value=10**18)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_dump_then_load_round_trips(data: dict[str, object]) -> None:
    loaded = load_text(dump(data), "x.yaml").data
    assert _same(loaded, data)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isclose(a, b) and a == b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_syntax_error_at_end_of_input() -> None:
    # libyaml marks the position past the last line; this used to crash.
    assert error("lr: [1") == "jobs/a.yaml:2:1: did not find expected ',' or ']'"
    assert load_text("[1, 2]", "x", expect_mapping=False).data == [1, 2]
