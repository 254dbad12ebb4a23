"""Strict parses of gittrain's own YAML files, kept between commit hooks under the git directory.

Every `git commit` runs pre-commit and then prepare-commit-msg, and a commit that was
blocked is tried again with the same staged files: each run parsed the same job files,
built-in recipes and lockfile again, and importing PyYAML to do it was a sixth of a hook.
While a hook runs (:func:`session`), :func:`load_bytes` and :func:`load_text` take the
document (data and marks) from ``.git/gittrain/docs.json`` when the exact text was parsed
before, and parse it with :mod:`gittrain.adapters.yamlio` otherwise.  Outside a session
they are that module's functions.

The file is untrusted.  It is keyed by the whole text of each document, so an entry is
used only for exactly the text it was parsed from (compared whole, as a staged blob's id
would be proved: never by a name or a hash alone); a file that is unreadable, corrupt,
truncated, too large or from another format or gittrain version is ignored and rewritten,
and an entry whose shape is wrong is a miss.  Only documents that parsed strictly, whose
data JSON gives back exactly, are stored; failures are never cached, so every message
about a broken file comes from the parser itself.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING

from gittrain import __version__
from gittrain.document import DocPath, Document, Mark

if TYPE_CHECKING:
    from pathlib import Path

FORMAT = "gittrain-doccache"
VERSION = 2
FILE = "docs.json"
MAX_FILE_BYTES = 16 * 1024 * 1024
# Only small documents are kept (job files, recipes, a lockfile): a big one is parsed.
MAX_TEXT = 256 * 1024
# Entries older than this run are kept up to this many characters of text and JSON.
MAX_KEPT = 1024 * 1024

# The sessions open in this process, innermost last (a hook opens one).
_SESSIONS: list[DocCache] = []


class DocCache:
    """Parsed documents by their exact text: ``{text: JSON of [data, paths, places]}``.

    The file is read on the first lookup: a hook that parses nothing never reads it.
    """

    __slots__ = ("_entries", "dirty", "path", "used")

    def __init__(self, path: Path | None, entries: dict[str, object] | None = None) -> None:
        self.path = path
        self._entries = entries
        self.used: dict[str, str] = {}  # entries read or added in this run
        self.dirty = False

    @classmethod
    def load(cls, git_dir: Path | None) -> DocCache:
        return cls(None if git_dir is None else git_dir / "gittrain" / FILE)

    @property
    def entries(self) -> dict[str, object]:
        if self._entries is None:
            self._entries = {} if self.path is None else _read(self.path)
        return self._entries

    def get(self, text: str, source: str) -> Document | None:
        """The document parsed from exactly ``text`` (named ``source``), or None."""
        entry = self.entries.get(text)
        if not isinstance(entry, str):
            return None
        try:  # each entry is its own JSON text, so every hit gets fresh objects
            found = _DECODER.decode(entry)
        except (ValueError, RecursionError):
            return None
        if not isinstance(found, list) or len(found) != 3:
            return None
        data, paths, places = found
        marks = _marks(paths, places)
        if not isinstance(data, dict) or marks is None:
            return None
        self.used[text] = entry
        return Document(source, data, marks)

    def put(self, text: str, doc: Document) -> None:
        """Keep ``doc``, parsed from ``text``, when it is a small mapping.

        A strict parse yields only dicts with str keys, lists, str, int, float (finite),
        bool and None, which JSON gives back exactly (floats by their shortest repr), so
        the entry reads back as the very document; anything else fails to encode here.
        """
        if len(text) > MAX_TEXT or not isinstance(doc.data, dict):
            return
        paths = list(doc.marks)
        places = [number for path in paths for number in doc.marks[path]]
        try:
            entry = json.dumps([doc.data, paths, places], allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError):
            return
        self.used[text] = entry
        self.dirty = True

    def save(self) -> None:
        """Write this run's entries, then older ones up to :data:`MAX_KEPT` characters, when
        this run added any.  A cache that cannot be written is only a slower next run."""
        if self.path is None or not self.dirty:
            return
        from gittrain.core.atomic import replace_file

        kept: dict[str, object] = dict(self.used)
        if sum(len(text) + len(entry) for text, entry in self.used.items()) > MAX_FILE_BYTES:
            return  # a commit of thousands of configs: the file would be refused when read
        size = 0
        for text, entry in self.entries.items():
            if text in kept or not isinstance(entry, str):
                continue
            size += len(text) + len(entry)
            if size > MAX_KEPT:
                break
            kept[text] = entry
        doc = {"format": FORMAT, "version": VERSION, "gittrain": __version__, "entries": kept}
        with contextlib.suppress(OSError, ValueError, RecursionError):
            data = json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
            if len(data) <= MAX_FILE_BYTES:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                replace_file(self.path, data.encode("ascii"))
        self._entries = kept
        self.used = {}
        self.dirty = False


@contextlib.contextmanager
def session(git_dir: Path | None) -> Iterator[DocCache]:
    """Serve strict parses from the cache under ``git_dir`` until the block ends, then save."""
    cache = DocCache.load(git_dir)
    _SESSIONS.append(cache)
    try:
        yield cache
    finally:
        _SESSIONS.remove(cache)
        cache.save()


def load_bytes(raw: bytes, source: str, *, expect_mapping: bool = True) -> Document:
    """:func:`gittrain.adapters.yamlio.load_bytes` (strict reading), served from the
    session's cache when there is one and it holds exactly this text."""
    if _SESSIONS and len(raw) <= MAX_TEXT:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass  # the parser says where
        else:
            return load_text(text, source, expect_mapping=expect_mapping)
    from gittrain.adapters import yamlio

    return yamlio.load_bytes(raw, source, expect_mapping=expect_mapping)


def load_text(text: str, source: str, *, expect_mapping: bool = True) -> Document:
    """:func:`gittrain.adapters.yamlio.load_text`, served from the session's cache."""
    cache = _SESSIONS[-1] if _SESSIONS else None
    if cache is not None:
        found = cache.get(text, source)
        if found is not None:  # a mapping: what ``expect_mapping`` asks either way
            return found
    from gittrain.adapters import yamlio

    doc = yamlio.load_text(text, source, expect_mapping=expect_mapping)
    if cache is not None:
        cache.put(text, doc)
    return doc


def load_file(path: Path, source: str) -> Document:
    """:func:`gittrain.adapters.yamlio.load_file`, served from the session's cache."""
    if _SESSIONS:
        try:
            raw = path.read_bytes() if path.stat().st_size <= MAX_TEXT else None
        except OSError:
            raw = None  # the parser's own reading says what is wrong
        if raw is not None:
            return load_bytes(raw, source)
    from gittrain.adapters import yamlio

    return yamlio.load_file(path, source)


def _marks(paths: object, places: object) -> dict[DocPath, Mark] | None:
    """The marks of ``[path, ...]`` and ``[line, column, ...]``; None when malformed.

    Checked by the types found (``map(type, ...)`` runs in C): every hit pays this.
    """
    if type(paths) is not list or type(places) is not list or len(places) != 2 * len(paths):
        return None
    if not set(map(type, places)) <= _INT or not set(map(type, paths)) <= _LIST:
        return None
    if not set(map(type, chain.from_iterable(paths))) <= _PART:
        return None
    numbers = iter(places)
    return dict(zip(map(tuple, paths), map(Mark, numbers, numbers), strict=True))


_INT = frozenset({int})
_LIST = frozenset({list})
_PART = frozenset({str, int})


def _read(path: Path) -> dict[str, object]:
    """The entries of a cache file of this format and version; empty for anything else."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            return {}
        doc = _DECODER.decode(raw.decode("ascii"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return {}
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT
        or type(doc.get("version")) is not int
        or doc.get("version") != VERSION
        or doc.get("gittrain") != __version__
        or not isinstance(doc.get("entries"), dict)
    ):
        return {}
    entries: dict[str, object] = doc["entries"]
    return entries


def _refuse(constant: str) -> object:
    """NaN and Infinity: strict YAML never yields them, so their presence means corruption."""
    raise ValueError(constant)


# One decoder for every entry: `json.loads` with an argument builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse)
