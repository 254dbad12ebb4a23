"""The parsed settings file, kept in the git directory so that commands which need only the
settings (the pre-commit hook's fast path, a commit summary that only names files) read no
YAML: importing PyYAML was about a fifth of their time.

A cache, so untrusted.  Its entry repeats the settings file's whole text and is used only
for that exact text, this format version and this gittrain version, with marks and data of
the right shapes; anything else (absent, corrupt, truncated, another version, another text)
is ignored and written again once the file has been parsed.  It holds nothing the settings
file does not, and a cache that cannot be written only makes the next run parse again.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from gittrain import __version__
from gittrain.core.atomic import atomic_write
from gittrain.document import DocPath, Document, Mark

FORMAT = 1


def cache_file(git_dir: Path) -> Path:
    return git_dir / "gittrain" / "settings.json"


def read(git_dir: Path, text: str, source: str) -> Document | None:
    """The document cached for exactly ``text``, or None."""
    try:
        entry = json.loads(cache_file(git_dir).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None  # absent, damaged or absurdly nested: it is only a cache
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    if entry.get("gittrain") != __version__ or entry.get("text") != text:
        return None
    data, listed = entry.get("data"), entry.get("marks")
    if not isinstance(data, dict) or not isinstance(listed, list):
        return None
    marks: dict[DocPath, Mark] = {}
    for item in listed:
        if not isinstance(item, list) or len(item) != 3:
            return None
        path, line, column = item
        if not isinstance(path, list) or not all(type(key) in (str, int) for key in path):
            return None
        if type(line) is not int or type(column) is not int:
            return None
        marks[tuple(path)] = Mark(line, column)
    return Document(source, data, marks)


def write(git_dir: Path, text: str, doc: Document) -> None:
    """Keep ``doc``, the parse of ``text``; errors are ignored (the next run parses again)."""
    entry = {
        "format": FORMAT,
        "gittrain": __version__,
        "text": text,
        "data": doc.data,
        "marks": [[list(path), mark.line, mark.column] for path, mark in doc.marks.items()],
    }
    with contextlib.suppress(OSError, ValueError, TypeError):
        payload = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        file = cache_file(git_dir)
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(file, payload)
