"""In-place YAML edits: values replaced, keys inserted, comments and key order kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gittrain.adapters import yamlio
from gittrain.core.edits import Assignment
from gittrain.core.yamledit import edit, remove
from gittrain.errors import GittrainError

JOB = """\
# a hand-written job
name: a   # the name
config:
  learning_rate: 1.0e-6   # tuned by hand
  rollout_n: 8
result:
  status: running  # set by the launcher
  metrics:
    loss: 1.5  # at step 100
tail: 1
"""


def test_spans_cover_values_and_block_collections() -> None:
    doc, spans = yamlio.load_spans(JOB, "j.yaml")
    assert JOB[spans[("name",)].start : spans[("name",)].end] == "a"
    lr = spans[("config", "learning_rate")]
    assert JOB[lr.start : lr.end] == "1.0e-6"
    config = spans[("config",)]
    assert config.collection and not config.flow
    assert (
        JOB[config.start : config.end] == "learning_rate: 1.0e-6   # tuned by hand\n  rollout_n: 8"
    )
    flow = yamlio.load_spans("a: {b: [1, 2]}\n", "f")[1]
    assert flow[("a",)].flow and flow[("a", "b", 1)].flow
    assert doc.data == yamlio.load_text(JOB, "j.yaml").data


def test_replace_and_insert_keep_comments_and_order() -> None:
    out = edit(
        JOB,
        "j.yaml",
        [
            Assignment(("result", "status"), "completed"),
            Assignment(("result", "metrics", "loss"), 0.9),
            Assignment(("result", "metrics", "acc"), 0.71),
            Assignment(("result", "finished_at"), "2026-11-01T18:00:00Z"),
        ],
    )
    assert out == (
        "# a hand-written job\n"
        "name: a   # the name\n"
        "config:\n"
        "  learning_rate: 1.0e-6   # tuned by hand\n"
        "  rollout_n: 8\n"
        "result:\n"
        "  status: completed  # set by the launcher\n"
        "  metrics:\n"
        "    loss: 0.9  # at step 100\n"
        "    acc: 0.71\n"
        "  finished_at: '2026-11-01T18:00:00Z'\n"
        "tail: 1\n"
    )


def test_missing_parents_are_created_as_one_block() -> None:
    out = edit("name: a\n", "j", [Assignment(("result", "metrics", "acc"), 1)])
    assert out == "name: a\nresult:\n  metrics:\n    acc: 1\n"
    assert edit("name: a", "j", [Assignment(("b",), True)]) == "name: a\nb: true\n"


def test_flow_value_is_rewritten_as_one_value() -> None:
    text = "name: a\nresult: {status: pending}  # flow\nz: 1\n"
    out = edit(
        text,
        "j",
        [Assignment(("result", "status"), "failed"), Assignment(("result", "notes"), "oom")],
    )
    assert out == "name: a\nresult: {status: failed, notes: oom}  # flow\nz: 1\n"


def test_block_scalar_replaced_keeps_the_next_line() -> None:
    text = "notes: |\n  one\n  two\n# end\nx: 1\n"
    out = edit(text, "j", [Assignment(("notes",), "short")])
    assert out == "notes: short\n# end\nx: 1\n"


def test_crlf_files_stay_crlf() -> None:
    text = "a: 1\r\nb:\r\n  c: 2\r\n"
    out = edit(text, "j", [Assignment(("b", "d"), 3)])
    assert out == "a: 1\r\nb:\r\n  c: 2\r\n  d: 3\r\n"


def test_remove_key_and_flow_item() -> None:
    text = "config:\n  a: 1  # keep?\n  b: 2\n  c: {x: 1, y: 2}\n"
    out = remove(remove(text, "j", ("config", "a")), "j", ("config", "c", "x"))
    assert out == "config:\n  b: 2\n  c: {y: 2}\n"
    with pytest.raises(GittrainError, match="no such key"):
        remove(text, "j", ("config", "zz"))


def test_parent_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(GittrainError, match="is not a mapping"):
        edit("a: 1\n", "j.yaml", [Assignment(("a", "b"), 2)])


def test_strings_that_look_like_other_types_stay_strings() -> None:
    out = edit("a: x\n", "j", [Assignment(("a",), "yes"), Assignment(("b",), "1e-5")])
    assert yamlio.load_text(out, "j").data == {"a": "yes", "b": "1e-5"}


_keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
_scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars, lambda inner: st.dictionaries(_keys, inner, max_size=3), max_leaves=6
)


@given(st.dictionaries(_keys, _values, min_size=1, max_size=5), _keys, _keys, _scalars)
def test_edit_reads_back_as_intended(
    data: dict[str, object], key: str, sub: str, value: object
) -> None:
    text = "# comment\n" + yamlio.dump(data)
    target = data.get(key)
    path = (key, sub) if isinstance(target, dict) else (key,)
    out = edit(text, "j", [Assignment(path, value)])
    expected = dict(data)
    if len(path) == 2:
        assert isinstance(target, dict)
        expected[key] = {**target, sub: value}
    else:
        expected[key] = value
    assert yamlio.load_text(out, "j").data == expected
    assert out.startswith("# comment\n")


def test_insertion_follows_the_files_own_indentation() -> None:
    text = "config:\n    a: 1\n    nested:\n        x: 1\nz: 0\n"
    out = edit(
        text,
        "j",
        [Assignment(("config", "b"), 2), Assignment(("config", "nested", "y"), [1, 2])],
    )
    assert (
        out
        == "config:\n    a: 1\n    nested:\n        x: 1\n        y:\n        - 1\n        - 2\n    b: 2\nz: 0\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: a\nresult:\nz: 1\n", "name: a\nresult:\n  status: failed\nz: 1\n"),
        (
            "name: a\nresult:  # later\nz: 1\n",
            "name: a\nresult:  # later\n  status: failed\nz: 1\n",
        ),
        ("name: a\nresult: ~\n", "name: a\nresult:\n  status: failed\n"),
    ],
)
def test_an_empty_value_becomes_the_mapping(text: str, expected: str) -> None:
    assert edit(text, "j", [Assignment(("result", "status"), "failed")]) == expected
