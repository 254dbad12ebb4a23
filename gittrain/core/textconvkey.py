"""The fingerprint of everything a textconv conversion depends on (git's cache is keyed by it).

git keeps a textconv cache (``refs/notes/textconv/DRIVER``) valid for as long as
the driver's command string stays the same.  `git train install --diff` puts this
fingerprint into that command, so new rules mean a new command and a fresh cache.
The driver imports this module on every run: standard library only.
"""

from __future__ import annotations

import json
import os
import zlib

from gittrain import __version__

# The parts of .gittrain.yaml that change a conversion (rules, identity keys, dialects).
SECTIONS = ("diff", "dialects", "spellings")
# The compiled vocabulary: spellings, tiers and known keys of every dialect.
DATA_FILES = ("vocabulary.json", "dialect-keys.json")
_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def sections(settings_data: object) -> object:
    """What of a parsed ``.gittrain.yaml`` the conversion reads; None without one."""
    if not isinstance(settings_data, dict):
        return None
    found = {key: settings_data[key] for key in SECTIONS if key in settings_data}
    return found or None  # a settings file without them converts as no settings file does


def fingerprint(settings_data: object) -> str:
    """12 hex digits naming gittrain's version, its shipped rules and the repository's.

    zlib's checksums, not hashlib: this tells versions of the rules apart (nobody
    forges them to collide), and importing hashlib would add ~3 ms to every
    driver run.
    """
    parts: list[object] = [__version__]
    for name in DATA_FILES:
        try:
            with open(os.path.join(_DATA_DIR, name), "rb") as handle:
                data = handle.read()
            parts.append([len(data), zlib.crc32(data), zlib.adler32(data)])
        except OSError:  # a broken install converts nothing: any stable word will do
            parts.append(None)
    # Key order is kept: the first matching dialect glob wins, so order is part of the rules.
    parts.append(sections(settings_data))
    blob = json.dumps(parts, default=repr, ensure_ascii=False).encode("utf-8")
    return f"{zlib.crc32(blob):08x}{zlib.adler32(blob) & 0xFFFF:04x}"
