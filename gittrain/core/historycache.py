"""The parsed-document cache for history mining, keyed by blob id in the git directory.

A blob's content never changes, so entries never need invalidating (the walk's
checkpoint beside them is checked against the repository before use); a cache
that is unreadable, corrupt or written by another format version is ignored
and rebuilt, and it is replaced atomically so Ctrl-C never leaves half a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gittrain import __version__
from gittrain.core.atomic import atomic_write

FORMAT = 1
FILE = "history-cache.json"


class BlobCache:
    """``blob id -> JSON-able entry``; ``save`` writes only when something was added."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}
        self.checkpoint: object = None  # the mining walk's state at the last mined HEAD
        self.dirty = False
        self.rebuilt = False  # an existing cache was unusable

    @classmethod
    def load(cls, git_dir: Path | None) -> BlobCache:
        cache = cls(git_dir / "gittrain" / FILE if git_dir is not None else None)
        if cache.path is None:
            return cache
        try:
            raw = cache.path.read_bytes()
        except OSError:
            return cache  # no cache yet
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than json allows
            data = None
        if (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and data.get("gittrain") == __version__
            and isinstance(data.get("blobs"), dict)
        ):
            cache.entries = data["blobs"]
            cache.checkpoint = data.get("checkpoint")
        else:
            cache.rebuilt = True
            cache.dirty = True
        return cache

    def get(self, blob: str) -> Any:
        return self.entries.get(blob)

    def put(self, blob: str, entry: Any) -> None:
        self.entries[blob] = entry
        self.dirty = True

    def save(self) -> None:
        """Write the cache; a failure to write it only costs speed next time."""
        if not self.dirty or self.path is None:
            return
        payload = {
            "format": FORMAT,
            "gittrain": __version__,
            "checkpoint": self.checkpoint,
            "blobs": self.entries,
        }
        # ASCII: a path git gave us that is not UTF-8 holds surrogates, which JSON escapes
        # (and reads back) but UTF-8 cannot encode.
        text = json.dumps(payload, separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, text.encode("utf-8"))
        except OSError:
            return
        self.dirty = False
