"""`git train data remove`: drop a dataset from the lockfile (the data stays)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.core import settings
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import DatasetEntry, Lockfile
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class RemoveResult:
    entry: DatasetEntry


def remove(root: Path, name: str) -> RemoveResult:
    conf = settings.load(root)
    removed: list[DatasetEntry] = []

    def change(current: Lockfile) -> Lockfile:
        entry = current.get(name)
        if entry is None:
            raise GittrainError(f"{conf.lockfile}: no dataset named {name!r}")
        removed.append(entry)
        return current.without(name)

    lockstore.modify(root, conf.lockfile, change)
    return RemoveResult(removed[0])
