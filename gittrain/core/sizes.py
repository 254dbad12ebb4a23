"""Model sizes: parsing `135M`, `0.5B`, `7B`, `8x7B`, `405B` into parameter counts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gittrain.errors import GittrainError

_SIZE = re.compile(r"(?:([1-9][0-9]*)x)?([0-9]+(?:\.[0-9]+)?)([MBT])\Z", re.IGNORECASE)
_SCALE = {"M": 1e6, "B": 1e9, "T": 1e12}


@dataclass(frozen=True, slots=True, order=True)
class ModelSize:
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
