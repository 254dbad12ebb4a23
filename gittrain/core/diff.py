"""The semantic diff engine: typed changes between two JSON-like values (standard library only).

Leaves are compared by type class and value: ``true`` is never ``1``, ``2e-5``
equals ``0.00002``, and a key that is absent (``MISSING``) differs from one that
is ``null``.  Added and removed values are reported leaf by leaf, so a rule
for ``lora.rank`` still sees a whole ``lora:`` block appear.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

DEFAULT_IDENTITY_KEYS = ("name", "id", "path", "key")


class _Missing(enum.Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


# The marker for "no value here", distinct from None (YAML null).
MISSING: Literal[_Missing.MISSING] = _Missing.MISSING
Missing = Literal[_Missing.MISSING]


class ChangeKind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    UNCHANGED = "unchanged"
    # The same identity-matched items now come in a different order.
    REORDERED = "reordered"


class ItemKey:
    """A list item found by its identity (``datasets[name=gsm8k]``), not its position.

    ``index`` is the item's position on the side it exists on (the new side when
    both do), which is what :func:`apply` needs to put insertions back in place.
    A frozen record written out by hand rather than a NamedTuple: paths holding it
    are rendered as JSON, where a tuple would silently turn into a list.
    """

    __slots__ = ("field", "index", "value")
    field: str
    value: str | int
    index: int

    def __init__(self, field: str, value: str | int, index: int) -> None:
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ItemKey is immutable; cannot set {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ItemKey):
            return NotImplemented
        return (self.field, self.value, self.index) == (other.field, other.value, other.index)

    def __hash__(self) -> int:
        return hash((self.field, self.value, self.index))

    def __repr__(self) -> str:
        return f"ItemKey(field={self.field!r}, value={self.value!r}, index={self.index!r})"

    def __reduce__(self) -> tuple[type[ItemKey], tuple[str, str | int, int]]:
        # copy and pickle rebuild through __init__; setting the slots would raise.
        return ItemKey, (self.field, self.value, self.index)


PathPart = str | int | ItemKey
Path = tuple[PathPart, ...]


class Change(NamedTuple):
    """One difference at ``path``; ``old``/``new`` are ``MISSING`` when a side has no value."""

    kind: ChangeKind
    path: Path
    old: object
    new: object

    @property
    def ratio(self) -> float | None:
        """new / old for a numeric change, None otherwise (or when old is zero)."""
        if self.kind is ChangeKind.MODIFIED and is_number(self.old) and is_number(self.new):
            old = float(self.old)  # type: ignore[arg-type]
            if old != 0:
                return float(self.new) / old  # type: ignore[arg-type]
        return None

    @property
    def percent(self) -> float | None:
        """The relative change in percent (-50.0 for a halving), None when not numeric."""
        ratio = self.ratio
        return None if ratio is None else (ratio - 1.0) * 100.0


def is_number(value: object) -> bool:
    """int or float, but never bool: ``true`` is not ``1`` here."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same(a: object, b: object) -> bool:
    """Deep equality where numbers compare by value and bools, null and MISSING stand alone."""
    if is_number(a) and is_number(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def diff(
    old: object,
    new: object,
    *,
    identity_keys: Sequence[str] = DEFAULT_IDENTITY_KEYS,
    include_unchanged: bool = False,
) -> tuple[Change, ...]:
    """Every change that turns ``old`` into ``new`` (either may be ``MISSING``)."""
    return tuple(_walk((), old, new, tuple(identity_keys), include_unchanged))


def _walk(
    path: Path, old: object, new: object, keys: tuple[str, ...], unchanged: bool
) -> Iterator[Change]:
    if old is MISSING and new is MISSING:
        return
    if old is MISSING:
        yield Change(ChangeKind.ADDED, path, MISSING, new)
    elif new is MISSING:
        yield Change(ChangeKind.REMOVED, path, old, MISSING)
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from _walk(
                (*path, key), old.get(key, MISSING), new.get(key, MISSING), keys, unchanged
            )
    elif isinstance(old, list) and isinstance(new, list):
        field = identity_field(old, new, keys)
        if field is None:
            yield from _by_position(path, old, new, keys, unchanged)
        else:
            yield from _by_identity(path, old, new, field, keys=keys, unchanged=unchanged)
    elif not same(old, new):
        yield Change(ChangeKind.MODIFIED, path, old, new)
    elif unchanged:
        yield Change(ChangeKind.UNCHANGED, path, old, new)


def _by_position(
    path: Path, old: list[object], new: list[object], keys: tuple[str, ...], unchanged: bool
) -> Iterator[Change]:
    for index in range(max(len(old), len(new))):
        a = old[index] if index < len(old) else MISSING
        b = new[index] if index < len(new) else MISSING
        yield from _walk((*path, index), a, b, keys, unchanged)


def _by_identity(
    path: Path,
    old: list[object],
    new: list[object],
    field: str,
    *,
    keys: tuple[str, ...],
    unchanged: bool,
) -> Iterator[Change]:
    old_ids = [_identity(item, field) for item in old]
    new_ids = [_identity(item, field) for item in new]
    old_at = {ident: i for i, ident in enumerate(old_ids)}
    new_at = {ident: i for i, ident in enumerate(new_ids)}
    for i, ident in enumerate(old_ids):
        if ident not in new_at:
            yield from _walk((*path, ItemKey(field, ident, i)), old[i], MISSING, keys, unchanged)
    for j, ident in enumerate(new_ids):
        at = old_at.get(ident)
        a = MISSING if at is None else old[at]
        yield from _walk((*path, ItemKey(field, ident, j)), a, new[j], keys, unchanged)
    kept_old = [ident for ident in old_ids if ident in new_at]
    kept_new = [ident for ident in new_ids if ident in old_at]
    if kept_old != kept_new:
        yield Change(
            ChangeKind.REORDERED,
            path,
            tuple(ItemKey(field, ident, i) for i, ident in enumerate(old_ids)),
            tuple(ItemKey(field, ident, j) for j, ident in enumerate(new_ids)),
        )


def _identity(item: object, field: str) -> str | int:
    assert isinstance(item, dict)
    value = item[field]
    assert isinstance(value, (str, int))
    return value


def identity_field(old: list[object], new: list[object], keys: Sequence[str]) -> str | None:
    """The first key that names every mapping in both lists uniquely, if any."""
    items = [*old, *new]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for field in keys:
        if all(_usable_id(item, field) for item in items) and all(
            len({json.dumps(item[field]) for item in side}) == len(side)  # type: ignore[index]
            for side in (old, new)
        ):
            return field
    return None


def _usable_id(item: object, field: str) -> bool:
    value = item.get(field, MISSING) if isinstance(item, dict) else MISSING
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def leaves(value: object, path: Path = ()) -> Iterator[tuple[Path, object]]:
    """Every scalar (and empty container) under ``value`` with its path, in document order."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def leaf_changes(changes: Sequence[Change]) -> Iterator[Change]:
    """``changes`` with each added or removed subtree spelled out leaf by leaf.

    This is the form people read and rules match: a new ``lora: {rank: 64}``
    block becomes ``lora.rank`` added.
    """
    for change in changes:
        if change.kind is ChangeKind.ADDED:
            for path, value in leaves(change.new, change.path):
                yield Change(ChangeKind.ADDED, path, MISSING, value)
        elif change.kind is ChangeKind.REMOVED:
            for path, value in leaves(change.old, change.path):
                yield Change(ChangeKind.REMOVED, path, value, MISSING)
        else:
            yield change


def apply(value: object, changes: Sequence[Change]) -> object:
    """``value`` with ``changes`` (as :func:`diff` returns them) applied.

    ``apply(a, diff(a, b))`` equals ``b``; the property tests hold it to that.
    """
    root: list[object] = [] if value is MISSING else [_copy(value)]
    for change in sorted(changes, key=_apply_order):
        path: tuple[PathPart, ...] = (0, *change.path)
        parent: object = root
        for part in path[:-1]:
            parent = _child(parent, part)
        _apply_one(parent, path[-1], change)
    return root[0] if root else MISSING


def _apply_order(change: Change) -> tuple[int, tuple[int, ...]]:
    # Removals first, from the highest index down, so earlier indexes stay
    # valid; then additions and edits in ascending order (so insertions land
    # where the new side has them); reorders last, once every item is present.
    indexes = tuple(
        p.index if isinstance(p, ItemKey) else p if isinstance(p, int) else -1 for p in change.path
    )
    if change.kind is ChangeKind.REMOVED:
        return (0, tuple(-i for i in indexes))
    if change.kind is ChangeKind.REORDERED:
        return (2, ())
    return (1, indexes)


def _child(parent: object, part: PathPart) -> object:
    if isinstance(part, ItemKey):
        assert isinstance(parent, list)
        return parent[_find(parent, part)]
    if isinstance(parent, dict):
        return parent[part]
    assert isinstance(parent, list) and isinstance(part, int)
    return parent[part]


def _find(items: list[object], key: ItemKey) -> int:
    for index, item in enumerate(items):
        if isinstance(item, dict) and same(item.get(key.field, MISSING), key.value):
            return index
    return -1


def _apply_one(parent: object, part: PathPart, change: Change) -> None:
    kind = change.kind
    if kind is ChangeKind.UNCHANGED:
        return
    if kind is ChangeKind.REORDERED:
        items = _child(parent, part)
        assert isinstance(items, list) and isinstance(change.new, tuple)
        items[:] = [items[_find(items, key)] for key in change.new]
        return
    if isinstance(parent, dict):
        assert isinstance(part, str)
        if kind is ChangeKind.REMOVED:
            del parent[part]
        else:
            parent[part] = _copy(change.new)
        return
    assert isinstance(parent, list)
    if isinstance(part, ItemKey):
        index = _find(parent, part)
        if kind is ChangeKind.REMOVED:
            del parent[index]
        elif kind is ChangeKind.ADDED:
            parent.insert(part.index, _copy(change.new))
        else:
            parent[index] = _copy(change.new)
    else:
        assert isinstance(part, int)
        if kind is ChangeKind.REMOVED:
            del parent[part]
        elif kind is ChangeKind.ADDED:
            parent.insert(part, _copy(change.new))
        else:
            parent[part] = _copy(change.new)


def _copy(value: object) -> object:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def format_path(path: Path) -> str:
    """``config.datasets[name=gsm8k].path``: the dotted form people read."""
    out: list[str] = []
    for part in path:
        if isinstance(part, ItemKey):
            out.append(f"[{part.field}={part.value}]")
        elif isinstance(part, int):
            out.append(f"[{part}]")
        else:
            plain = part and all(ch.isalnum() or ch in "_-/" for ch in part)
            text = part if plain else json.dumps(part, ensure_ascii=False)
            out.append(("." if out else "") + text)
    return "".join(out) or "(root)"


def render(value: object, *, limit: int = 80, depth: int = 2) -> str:
    """A one-line, bounded rendering: big or deep values are summarised, not expanded."""
    if value is MISSING:
        return "(absent)"
    text = _render(value, depth)
    if len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
        if isinstance(value, (dict, list)):
            text += f" ({_count(value)})"
    return text


def _render(value: object, depth: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        if depth <= 0:
            return "{…" + _count(value) + "}"
        inner = ", ".join(f"{_key(k)}: {_render(v, depth - 1)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if depth <= 0:
            return "[…" + _count(list(value)) + "]"
        return "[" + ", ".join(_render(v, depth - 1) for v in value) + "]"
    if isinstance(value, ItemKey):
        return _render(value.value, depth)
    return repr(value)


def _key(key: object) -> str:
    return key if isinstance(key, str) and key.isidentifier() else json.dumps(key)


def _count(value: dict[str, object] | list[object]) -> str:
    n = len(value)
    noun = "key" if isinstance(value, dict) else "item"
    return f"{n} {noun}{'' if n == 1 else 's'}"
