"""Model sizes: parsing `135M`, `0.5B`, `7B`, `8x7B`, `405B` into parameter counts."""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from gittrain.errors import GittrainError

_SIZE = re.compile(r"(?:([1-9][0-9]*)x)?([0-9]+(?:\.[0-9]+)?)([MBT])\Z", re.IGNORECASE)
_SCALE = {"M": 1e6, "B": 1e9, "T": 1e12}


# Not dataclasses: validation in the pre-commit hook imports this module, and importing
# `dataclasses` costs ~6 ms (see gittrain/document.py).  Ordered as a tuple is: by params.
class ModelSize(NamedTuple):
    """A parameter count; ``experts`` > 1 for mixture-of-experts (``8x7B``)."""

    params: float
    text: str
    experts: int = 1

    @property
    def billions(self) -> float:
        return self.params / 1e9


def parse_size(text: str) -> ModelSize:
    """Parse a size such as ``7B``; MoE sizes count every expert (8x7B = 56B)."""
    match = _SIZE.match(text.strip())
    if not match:
        raise ValueError(
            f"model size {text!r} is not a size like 135M, 0.5B, 7B, 70B, 8x7B or 405B"
        )
    experts = int(match.group(1) or 1)
    params = float(match.group(2)) * _SCALE[match.group(3).upper()] * experts
    if params <= 0:
        raise ValueError(f"model size {text!r} must be greater than zero")
    normalised = f"{match.group(1) + 'x' if match.group(1) else ''}{match.group(2)}"
    return ModelSize(params, normalised + match.group(3).upper(), experts)


def parse_size_arg(text: str, what: str = "--model-size") -> ModelSize:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise GittrainError(f"{what}: {exc}", code=2) from None


_RANGE_HELP = "a size or range like 7B, 3B-14B, >=7B or <=3B"


class SizeRange:
    """Parameter counts from ``low`` to ``high`` (inclusive; None is unbounded).

    A slotted class, not a NamedTuple: ``size in range`` tests a size, not membership of
    the tuple's fields.
    """

    __slots__ = ("high", "low", "text")

    def __init__(self, low: float | None, high: float | None, text: str) -> None:
        self.low: Final = low
        self.high: Final = high
        self.text: Final = text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SizeRange):
            return NotImplemented
        return (self.low, self.high, self.text) == (other.low, other.high, other.text)

    def __hash__(self) -> int:
        return hash((self.low, self.high, self.text))

    def __repr__(self) -> str:
        return f"SizeRange(low={self.low!r}, high={self.high!r}, text={self.text!r})"

    def __contains__(self, size: ModelSize) -> bool:
        # A relative tolerance: 0.5B and 500M are one size, and 3.5B is within 2x of 7B.
        low = self.low * (1 - 1e-9) if self.low is not None else None
        high = self.high * (1 + 1e-9) if self.high is not None else None
        return (low is None or size.params >= low) and (high is None or size.params <= high)


def parse_range(text: str) -> SizeRange:
    """``7B`` (that size), ``3B-14B``, ``>=7B`` or ``<=3B``."""
    spec = text.strip()
    try:
        if spec.startswith(">="):
            low = parse_size(spec[2:])
            return SizeRange(low.params, None, f">={low.text}")
        if spec.startswith("<="):
            high = parse_size(spec[2:])
            return SizeRange(None, high.params, f"<={high.text}")
        if "-" in spec:
            first, _, second = spec.partition("-")
            a, b = parse_size(first), parse_size(second)
        else:
            a = b = parse_size(spec)
    except ValueError:
        raise ValueError(f"{text!r} is not {_RANGE_HELP}") from None
    if a.params > b.params:
        raise ValueError(f"{text!r} goes from a larger size to a smaller one")
    return SizeRange(a.params, b.params, a.text if a is b else f"{a.text}-{b.text}")


def parse_range_arg(text: str, what: str = "--model-size") -> SizeRange:
    try:
        return parse_range(text)
    except ValueError as exc:
        raise GittrainError(f"{what}: {exc}", code=2) from None


def around(size: ModelSize, factor: float) -> SizeRange:
    """Sizes within ``factor`` of ``size`` either way (2x of 7B: 3.5B..14B)."""
    return SizeRange(
        size.params / factor, size.params * factor, f"within {factor:g}x of {size.text}"
    )


def size_of(text: str | None) -> ModelSize | None:
    """A recorded ``model_size``, or None when there is none or it is not a size."""
    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError:
        return None


def show(params: float) -> str:
    """``3.5e9`` -> ``3.5B``; ``5e8`` -> ``500M``."""
    for suffix, scale in (("T", 1e12), ("B", 1e9)):
        if params >= scale:
            return f"{params / scale:.3g}{suffix}"
    return f"{params / 1e6:.3g}M"
