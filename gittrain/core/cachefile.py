"""Reading gittrain's JSON caches under the git directory (``parsed.json``, ``docs.json``).

A cache file is untrusted: anything unreadable, too large, not ASCII, damaged, absurdly nested,
holding NaN or Infinity, or from another format, version or gittrain reads as no entries.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gittrain import __version__

if TYPE_CHECKING:
    from pathlib import Path


def refuse_constant(constant: str) -> object:
    """NaN and Infinity: strict YAML never yields them, so their presence means corruption."""
    raise ValueError(constant)


# One decoder for every file and entry: `json.loads` with an argument builds one per call.
DECODER = json.JSONDecoder(parse_constant=refuse_constant)


def read_entries(path: Path, *, fmt: str, version: int, max_bytes: int) -> dict[str, object]:
    """The ``entries`` of the cache file at ``path`` if it is whole and of this format,
    ``version`` and gittrain; empty for anything else."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            return {}
        doc = DECODER.decode(raw.decode("ascii"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return {}
    if (
        not isinstance(doc, dict)
        or doc.get("format") != fmt
        or type(doc.get("version")) is not int
        or doc.get("version") != version
        or doc.get("gittrain") != __version__
        or not isinstance(doc.get("entries"), dict)
    ):
        return {}
    entries: dict[str, object] = doc["entries"]
    return entries
