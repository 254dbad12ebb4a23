"""gittrain: git-native training-config management for LLM fine-tuning."""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: every start-up (git-train-textconv too) pays
# for what this module imports, and mypy treats any constant of this name the same way.
TYPE_CHECKING = False

__version__ = "0.1.0"

if TYPE_CHECKING:
    from gittrain.api import record_result, snapshot_dataset, verify_dataset

__all__ = ["__version__", "record_result", "snapshot_dataset", "verify_dataset"]

# The API loads on first use so `import gittrain` (and every CLI start) stays light.
_LAZY = {
    "record_result": "gittrain.api",
    "snapshot_dataset": "gittrain.api",
    "verify_dataset": "gittrain.api",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gittrain' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
