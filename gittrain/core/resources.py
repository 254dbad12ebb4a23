"""Where the built-in recipes and JSON Schemas are, installed or in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


@cache
def data_dir(name: str) -> Path:
    """``recipes`` or ``schemas``: inside the wheel they sit in the package,
    in a source checkout (or an editable install) at the project's top level."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"gittrain's packaged {name}/ directory is missing")  # pragma: no cover
