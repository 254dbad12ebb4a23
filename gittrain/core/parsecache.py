"""Strictly parsed YAML mappings kept under the git directory, keyed by their exact bytes.

`data status` reads the lockfile and every job on each run; when those bytes are what
an earlier run parsed, it takes the parsed data from here and skips PyYAML's import
(about 20 ms, a third of the command's fixed cost).  Only documents that parsed and
narrowed without a single message are stored, so the caller's ``from_doc`` run on the
cached data returns what it returned then.  The file is untrusted: one that is
unreadable, corrupt, truncated, too large or from another version is ignored (and
rewritten), and an entry is used only when the bytes read now are the bytes it holds
(compared whole: no hash, so a warm `data status` still never loads OpenSSL).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from gittrain import __version__
from gittrain.core.cachefile import read_entries
from gittrain.document import identical

FORMAT = "gittrain-parsecache"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024


class ParseCache:
    """Parsed mappings by name (``lock:gittrain.lock``, ``job:jobs/a.yaml``)."""

    __slots__ = ("dirty", "entries", "path", "used")

    def __init__(self, path: Path | None, entries: dict[str, object]) -> None:
        self.path = path
        self.entries = entries
        self.used: dict[str, list[object]] = {}
        self.dirty = False

    @classmethod
    def load(cls, git_dir: Path | None) -> ParseCache:
        if git_dir is None:
            return cls(None, {})
        path = git_dir / "gittrain" / "parsed.json"
        return cls(path, read_entries(path, fmt=FORMAT, version=VERSION, max_bytes=MAX_BYTES))

    def get(self, name: str, raw: bytes) -> dict[str, object] | None:
        """The data stored for ``name`` if it was parsed from exactly ``raw``."""
        entry = self.entries.get(name)
        if not isinstance(entry, list) or len(entry) != 2:
            return None
        text, data = entry
        if not isinstance(data, dict) or text != _text(raw):
            return None
        self.used[name] = entry
        return data

    def put(self, name: str, raw: bytes, data: object) -> None:
        """Remember ``data``, parsed from ``raw``, if JSON gives it back exactly."""
        try:
            again = json.loads(json.dumps(data))
        except (TypeError, ValueError, RecursionError):
            return
        if identical(data, again):
            self.used[name] = [_text(raw), again]
            self.dirty = True

    def save(self) -> None:
        """Write the entries used in this run (others are dropped); errors are ignored: a
        cache that cannot be written is only a slower next run."""
        if self.path is None or not (self.dirty or self.used.keys() != self.entries.keys()):
            return
        from gittrain.core.atomic import atomic_write

        doc = {"format": FORMAT, "version": VERSION, "gittrain": __version__}
        doc["entries"] = dict(sorted(self.used.items()))
        with contextlib.suppress(OSError, ValueError, RecursionError):
            text = json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, text.encode("ascii"))
        self.entries = dict(self.used)
        self.dirty = False


def _text(raw: bytes) -> str:
    """``raw`` as a JSON-safe string, one character per byte."""
    return raw.decode("latin-1")
