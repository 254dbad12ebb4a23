"""The strict loader without marks (mining's lean read): the same data and the same errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gittrain.adapters.yamlio import MAX_DEPTH, dump, load_bytes
from gittrain.errors import GittrainError

# Each document either reads the same both ways or fails the same way; several make the
# lean reader hand over to the general one (a tag, an anchor, an alias, a duplicate or
# merge key, a complex key, the depth limit, a scalar that does not resolve, a scalar root).
DOCUMENTS = [
    "a: 1\n",
    "a: 1\nb: [1, 2.5, '3', true, null, ~, yes, 0012, 0x1f, 0o17, 1e6, 2e-5, 12:30]\n",
    "a: {b: {c: [1, {d: e}]}, f: []}\ng: {}\n",
    "- 1\n- 2\n",
    "just a scalar\n",
    "'quoted root'\n",
    "",
    "# only a comment\n",
    "a: !!int 7\nb: !!str 8\nc: !!float 1\n",
    "a: !!python/object x\n",
    "a: !!set {x}\n",
    "a: &x 1\nb: 2\n",
    "a: &x [1]\nb: *x\n",
    "a: &x {b: 1}\n<<: *x\n",
    "a: 1\n<<: 2\n",
    "a: 1\n'<<': 2\n",
    "a: 1\nb: 2\na: 3\n",
    "a:\n  b: 1\n  b: 2\n",
    "? [a]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "a: .nan\n",
    "a: [1, -.inf]\n",
    "a: 1e999\n",
    "a: |\n  text\n  more\nb: >\n  folded\n",
    'a: "1"\nb: "true"\nc: ""\nd:\ne: \'\'\n',
    "a: [1\n",
    "a: b: c\n",
    "a:\n\t- 1\n",
    "a: 1\n---\nb: 2\n",
    "--- \na: 1\n...\n",
    "a: \x07\n",
    "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 2)),
    "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH - 3)),
    "a: !!null ''\nb: !!bool maybe\n",
    "a: ! 12\n",
    "[1, 2]\n",
    "{a: 1, a: 2}\n",
    "a: [b, {c: d, c: e}]\n",
    "1: one\ntrue: two\nnull: three\n",
]


def outcome(raw: bytes, **kwargs: object) -> tuple[str, object]:
    try:
        doc = load_bytes(raw, "jobs/a.yaml", **kwargs)  # type: ignore[arg-type]
    except GittrainError as exc:
        return "error", (exc.message, exc.code, exc.mark, exc.detail)
    return "data", (repr(doc.data), doc.data)


@pytest.mark.parametrize("text", DOCUMENTS)
@pytest.mark.parametrize("expect_mapping", [True, False])
def test_lean_reads_what_the_strict_reader_reads(text: str, expect_mapping: bool) -> None:
    raw = text.encode()
    full = outcome(raw, expect_mapping=expect_mapping)
    lean = outcome(raw, expect_mapping=expect_mapping, marks=False)
    assert lean == full
    # repr tells 1, 1.0 and True apart, which == does not
    if full[0] == "data":
        assert load_bytes(raw, "x", expect_mapping=expect_mapping, marks=False).marks == {}


def test_lean_read_has_no_marks_but_the_same_values() -> None:
    raw = b"a: 1\nb: {c: [x, 2.0]}\n"
    marked = load_bytes(raw, "x")
    lean = load_bytes(raw, "x", marks=False)
    assert lean.data == marked.data
    assert marked.mark_of(("b", "c", 1)) is not None
    assert lean.mark_of(("b", "c", 1)) is None


def test_remembered_values_are_not_shared_across_types() -> None:
    # The lean reader remembers what each plain text resolves to; quoting still wins.
    first = load_bytes(b"a: 1\nb: '1'\nc: 1.0\nd: true\n", "x", marks=False).data
    again = load_bytes(b"a: '1'\nb: 1\nc: '1.0'\nd: 'true'\n", "x", marks=False).data
    assert repr(first) == "{'a': 1, 'b': '1', 'c': 1.0, 'd': True}"
    assert repr(again) == "{'a': '1', 'b': 1, 'c': '1.0', 'd': 'true'}"


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=6)
scalars |= st.floats(allow_nan=False, allow_infinity=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), values, max_size=5))
def test_lean_matches_strict_on_dumped_documents(data: dict[str, object]) -> None:
    raw = dump(data).encode()
    assert outcome(raw, marks=False) == outcome(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab:-[]{}, '\"!&*<>|#\n\t.01e?", max_size=30))
def test_lean_matches_strict_on_any_text(text: str) -> None:
    raw = text.encode()
    for expect_mapping in (True, False):
        full = outcome(raw, expect_mapping=expect_mapping)
        assert outcome(raw, expect_mapping=expect_mapping, marks=False) == full
