"""The stat cache in the git directory: verify unchanged files without reading them."""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from gittrain.core.atomic import atomic_write, exclusive_lock
from gittrain.core.data.hashing import FileStat

CACHE_VERSION = 1
# A file whose mtime falls this close to the moment we hashed it may be
# rewritten later within the same timestamp tick and look unchanged (git's
# "racy" entries).  2 s covers the coarsest common file systems (FAT).
RACY_NS = 2_000_000_000
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(slots=True)
class StatCache:
    """``path -> (size, mtime_ns, inode, ctime_ns, sha256, hashed_at_ns)``, saved as JSON."""

    file: Path | None
    entries: dict[str, list[object]] = field(default_factory=dict)
    dirty: dict[str, list[object]] = field(default_factory=dict)

    @classmethod
    def load(cls, git_dir: Path | None) -> StatCache:
        if git_dir is None:
            return cls(None)
        file = git_dir / "gittrain" / "statcache.json"
        return cls(file, _read(file))

    def lookup(self, rel: str, st: FileStat) -> str | None:
        """The cached sha256 of ``rel`` if its stat still matches and the entry is not racy."""
        entry = self.dirty.get(rel) or self.entries.get(rel)
        if entry is None or entry[:4] != [st.size, st.mtime_ns, st.inode, st.ctime_ns]:
            return None
        sha, hashed_at = entry[4], entry[5]
        # The cache is untrusted: only a well-formed sha256 may reach the lockfile.
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha) or type(hashed_at) is not int:
            return None
        if st.mtime_ns >= hashed_at - RACY_NS:
            return None
        return sha

    def store(self, rel: str, st: FileStat, sha: str, hashed_at_ns: int) -> None:
        self.dirty[rel] = [st.size, st.mtime_ns, st.inode, st.ctime_ns, sha, hashed_at_ns]

    def save(self) -> None:
        """Merge new entries into the file under a lock; a cache that cannot be written is
        only a slower next run, so write errors are ignored."""
        if self.file is None or not self.dirty:
            return
        with contextlib.suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
            with exclusive_lock(self.file.with_suffix(".lock")):
                merged = _read(self.file)
                merged.update(self.dirty)
                payload = {"version": CACHE_VERSION, "entries": merged}
                atomic_write(self.file, json.dumps(payload, separators=(",", ":")).encode())
            self.entries = merged
            self.dirty = {}


def now_ns() -> int:
    return time.time_ns()


def _read(file: Path) -> dict[str, list[object]]:
    try:
        data = json.loads(file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}  # absent, damaged or absurdly nested: start over, it is only a cache
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {
        k: v
        for k, v in entries.items()
        if type(v) is list and len(v) == 6 and all(type(x) is int for x in v[:4])
    }
