"""Reading a framework's config the way the framework reads it.

PyYAML's ``safe_load`` follows YAML 1.1 (``2e-5`` is a string, ``yes`` is
true, ``500_000`` is 500000); OmegaConf (verl, LLaMA-Factory, torchtune) uses
the same rules with a float pattern that also takes ``1e-5``.  Anchors,
aliases and ``<<`` merges are read, as those loaders read them, within bounds.
Whether a string that looks like a number becomes one later (argparse,
pydantic) is the view's business: see ``view.as_number``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gittrain.adapters import yamlio

# OmegaConf's own float resolver (omegaconf/_utils.py get_yaml_loader, 2.3.1 and 2.4:
# digit separators only between digits).  OmegaConf tries PyYAML's resolvers first; where
# both match they agree, so this adds only what YAML 1.1 leaves a string (``2e-5``).
_OMEGACONF_FLOAT = (
    r"[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?\Z"
    r"|[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)\Z"
    r"|\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?\Z"
)


def read_pyyaml(text: str) -> object:
    from gittrain.core import yaml11  # its YAML 1.1 patterns compile only when used

    return _finite(yaml11.read_yaml11(text), text)


def read_omegaconf(text: str) -> object:
    if re.match(_OMEGACONF_FLOAT, text):  # re caches the compiled pattern
        return _finite(float(text.replace("_", "")), text)
    return read_pyyaml(text)


def _finite(value: object, text: str) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


@cache
def reading(loader: str) -> yamlio.Reading:
    """The :class:`yamlio.Reading` for a dialect's ``loader``."""
    from gittrain.adapters import yamlio

    if loader == "gittrain":
        return yamlio.STRICT
    if loader == "omegaconf":
        return yamlio.Reading(_remembered(read_omegaconf), aliases=True)
    return yamlio.Reading(_remembered(read_pyyaml), aliases=True)


_REMEMBERED = 20_000


def _remembered(resolve: Callable[[str], object]) -> Callable[[str], object]:
    """``resolve``, answering a text it has read before from memory.

    Configs repeat the same scalars (``true``, ``1``, ``bf16``) file after file; the
    values are immutable (None, bool, int, float, str) and a ValueError is not kept.
    """
    known: dict[str, object] = {}

    def remembered(text: str) -> object:
        try:
            return known[text]
        except KeyError:
            pass
        value = resolve(text)
        if len(known) < _REMEMBERED:
            known[text] = value
        return value

    return remembered
