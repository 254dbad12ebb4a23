"""The lockfile as it stood in any commit, read through one `cat-file --batch` process."""

from __future__ import annotations

import time

from gittrain.adapters.gitrepo import CatFile
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import Lockfile


class LockReader:
    """Parses the lockfile at a revision, once per distinct content."""

    def __init__(self, cat: CatFile, rel: str) -> None:
        self._cat = cat
        self._rel = rel
        self._parsed: dict[bytes, Lockfile] = {}

    def at(self, rev: str) -> Lockfile | None:
        """The lockfile at ``rev``; None when that commit has none.  Raises
        ``GittrainError`` (naming ``rev:path``) when it does not parse."""
        raw = self._cat.read(f"{rev}:{self._rel}")
        if raw is None:
            return None
        lock = self._parsed.get(raw)
        if lock is None:
            lock = lockstore.parse_bytes(raw, f"{rev[:12]}:{self._rel}")
            self._parsed[raw] = lock
        return lock


def iso_time(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
