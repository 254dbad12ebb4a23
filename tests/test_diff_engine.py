"""The diff engine: typed changes, identity matching, and the algebra it must obey."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gittrain.core.diff import (
    MISSING,
    Change,
    ChangeKind,
    ItemKey,
    apply,
    diff,
    format_path,
    leaf_changes,
    render,
    same,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["a", "b", "lr", ""]),
)
keys = st.sampled_from(["name", "id", "path", "lr", "x", "y"])
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        # Lists of mappings that carry identities, so identity matching is exercised.
        st.lists(
            st.fixed_dictionaries({"name": st.sampled_from("abcde")}, optional={"x": inner}),
            max_size=4,
            unique_by=lambda d: d["name"],
        ),
    ),
    max_leaves=12,
)


@given(values)
def test_diff_of_a_value_with_itself_is_empty(a: object) -> None:
    assert diff(a, a) == ()


@given(values, values)
def test_swapping_sides_swaps_old_and_new(a: object, b: object) -> None:
    forward = {(c.path, c.kind): c for c in leaf_changes(diff(a, b))}
    backward = {(c.path, c.kind): c for c in leaf_changes(diff(b, a))}
    flip = {ChangeKind.ADDED: ChangeKind.REMOVED, ChangeKind.REMOVED: ChangeKind.ADDED}
    for (path, kind), change in forward.items():
        if kind is ChangeKind.REORDERED or any(isinstance(p, ItemKey) for p in path):
            continue  # item indexes are side-relative; compared below by identity
        other = backward[(path, flip.get(kind, kind))]
        assert same_or_missing(other.old, change.new) and same_or_missing(other.new, change.old)
    assert len(forward) == len(backward)


@settings(max_examples=300)
@given(values, values)
def test_applying_the_diff_gives_the_other_side(a: object, b: object) -> None:
    assert same(apply(a, diff(a, b)), b)


def same_or_missing(x: object, y: object) -> bool:
    return x is y if MISSING in (x, y) else same(x, y)


def test_missing_is_not_null_and_true_is_not_one() -> None:
    assert diff({"a": 1}, {"a": 1, "b": None}) == (Change(ChangeKind.ADDED, ("b",), MISSING, None),)
    assert diff({"a": True}, {"a": 1}) == (Change(ChangeKind.MODIFIED, ("a",), True, 1),)
    assert diff({"a": 0}, {"a": False})[0].kind is ChangeKind.MODIFIED


def test_numbers_compare_by_value() -> None:
    assert diff({"lr": 2e-5}, {"lr": 0.00002}) == ()
    assert diff({"n": 2}, {"n": 2.0}) == ()


def test_dotted_key_is_not_a_nested_key() -> None:
    changes = diff({"a.b": 1}, {"a": {"b": 1}})
    assert [c.kind for c in changes] == [ChangeKind.REMOVED, ChangeKind.ADDED]


def test_numeric_change_carries_ratio_and_percent() -> None:
    (change,) = diff({"lr": 1e-6}, {"lr": 5e-7})
    assert change.ratio == 0.5
    assert change.percent == -50.0
    (flag,) = diff({"f": True}, {"f": False})
    assert flag.ratio is None


def test_identity_keyed_list_reports_only_the_inserted_entry() -> None:
    old = {"datasets": [{"name": "a", "w": 1}, {"name": "b", "w": 2}]}
    new = {"datasets": [{"name": "z", "w": 9}, {"name": "a", "w": 1}, {"name": "b", "w": 3}]}
    changes = diff(old, new)
    assert [(c.kind, format_path(c.path)) for c in changes] == [
        (ChangeKind.ADDED, "datasets[name=z]"),
        (ChangeKind.MODIFIED, "datasets[name=b].w"),
    ]


def test_reorder_is_one_change() -> None:
    old = {"d": [{"id": 1}, {"id": 2}]}
    new = {"d": [{"id": 2}, {"id": 1}]}
    (change,) = diff(old, new)
    assert change.kind is ChangeKind.REORDERED
    assert render(change.new) == "[2, 1]"


def test_extra_identity_key() -> None:
    old = [{"role": "train", "n": 1}, {"role": "eval", "n": 2}]
    new = [{"role": "eval", "n": 2}, {"role": "train", "n": 5}]
    by_position = diff(old, new)
    by_role = diff(old, new, identity_keys=("role",))
    assert len(by_position) == 4
    assert [format_path(c.path) for c in by_role] == ["[role=train].n", "(root)"]


def test_lists_of_scalars_compare_by_position() -> None:
    assert [format_path(c.path) for c in diff([1, 2, 3], [1, 5])] == ["[1]", "[2]"]


def test_added_block_is_spelled_out_leaf_by_leaf() -> None:
    changes = list(leaf_changes(diff({}, {"lora": {"rank": 64, "alpha": 128}})))
    assert [format_path(c.path) for c in changes] == ["lora.rank", "lora.alpha"]


def test_render_bounds_big_and_deep_values() -> None:
    big = {f"k{i}": list(range(50)) for i in range(100)}
    text = render(big, limit=60)
    assert len(text) < 80 and text.endswith("(100 keys)")
    assert render({"a": {"b": {"c": {"d": 1}}}}) == "{a: {b: {…1 key}}}"
    assert render(MISSING) == "(absent)"
    assert render(1e-06) == "1e-06"


def test_unchanged_on_request() -> None:
    changes = diff({"a": 1, "b": [1]}, {"a": 1.0, "b": [2]}, include_unchanged=True)
    assert [(c.kind, c.path) for c in changes] == [
        (ChangeKind.UNCHANGED, ("a",)),
        (ChangeKind.MODIFIED, ("b", 0)),
    ]
    assert apply({"a": 1, "b": [1]}, changes) == {"a": 1, "b": [2]}
