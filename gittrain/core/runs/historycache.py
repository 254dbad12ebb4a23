"""The parsed-document cache for history mining, keyed by blob id in the git directory.

Two files: ``history-head.json`` holds the walk's checkpoint at the last mined
HEAD with the entries its run records need, and ``history-cache.json`` every
other parsed version by blob id (each entry is in one file only).  Answering for
an unchanged HEAD, or walking on from it, reads only the first unless a new blob
must be looked up, so it costs what the runs hold, not what the history holds.

A blob's content never changes, so entries never need invalidating (the
checkpoint is checked against the repository before use); a file that is
unreadable, corrupt or written by another format version is ignored and
rebuilt, and each is replaced atomically so Ctrl-C never leaves half a file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from gittrain import __version__
from gittrain.core.atomic import atomic_write

FORMAT = 2  # of kept answers
# Of the two history files; 3: a version that is not a run keeps only its status;
# 4: an entry the checkpoint pins is kept beside it only.
HISTORY_FORMAT = 4
FILE = "history-cache.json"
HEAD_FILE = "history-head.json"
ANSWERS_DIR = "answers"
ANSWERS_KEPT = 16  # the most recent answers kept (one per question asked)


class BlobCache:
    """``blob id -> JSON-able entry``; ``save`` writes only what changed."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / FILE if directory is not None else None
        self.head_path = directory / HEAD_FILE if directory is not None else None
        self._entries: dict[str, Any] | None = None if directory is not None else {}
        self.pinned: dict[str, Any] = {}  # the checkpoint's entries, saved beside it
        # The JSON text of each entry put by this process, made as it is put: mining puts
        # while git is still walking, so ``save`` only joins them (~0.45 s less at the end
        # of a cold 50,000-version walk).  None: the entry cannot be written (kept out).
        self._texts: dict[str, str | None] = {}
        self.checkpoint: object = None  # the mining walk's state at the last mined HEAD
        self.dirty = False  # entries were added
        self._moved = False  # entries left the pinned set, or no usable entries file was read
        self.head_dirty = False  # the checkpoint changed
        self.rebuilt = False  # an existing cache file was unusable

    @classmethod
    def load(cls, git_dir: Path | None) -> BlobCache:
        """The checkpoint now; the entries on first use."""
        cache = cls(git_dir / "gittrain" if git_dir is not None else None)
        data = cache._read(cache.head_path)
        if data is not None and isinstance(data.get("pinned"), dict):
            cache.checkpoint = data.get("checkpoint")
            cache.pinned = data["pinned"]
        return cache

    def _read(self, path: Path | None) -> dict[str, Any] | None:
        """A cache file of this format and version, or None (missing or unusable)."""
        data, unusable = _read(path, HISTORY_FORMAT)
        self.rebuilt = self.rebuilt or unusable
        return data

    @property
    def entries(self) -> dict[str, Any]:
        if self._entries is None:
            data = self._read(self.path)
            blobs = data.get("blobs") if data is not None else None
            if isinstance(blobs, dict):
                self._entries = blobs
            else:
                self._entries = {}
                self.rebuilt = self.rebuilt or data is not None
                self.dirty = self.rebuilt
                self._moved = True  # no usable file holds the rest
        return self._entries

    def get(self, blob: str) -> Any:
        if blob in self.pinned:
            return self.pinned[blob]
        return self.entries.get(blob)

    def put(self, blob: str, entry: Any) -> None:
        self.pinned.pop(blob, None)
        self.entries[blob] = entry
        self._texts[blob] = _text(entry)
        self.dirty = True

    def set_checkpoint(self, checkpoint: object, blobs: Iterable[str]) -> None:
        """The walk's state and the entries answering from it needs."""
        pinned = {blob: entry for blob in blobs if (entry := self.get(blob)) is not None}
        unpinned = [blob for blob in self.pinned if blob not in pinned]
        if unpinned:  # kept in the other file from now on
            entries = self.entries
            for blob in unpinned:
                entries[blob] = self.pinned[blob]
            self.dirty = self._moved = True
        self.checkpoint = checkpoint
        self.pinned = pinned
        self.head_dirty = True

    def save(self) -> None:
        """Write what changed; a failure to write only costs speed next time."""
        header = {"format": HISTORY_FORMAT, "gittrain": __version__}
        if self.dirty and self.path is not None and self._entries is not None:
            pinned = self.pinned
            if not self._moved and all(blob in pinned for blob in self._texts):
                self.dirty = False  # only pinned entries were added: the file holds the rest
            else:
                rest = {b: e for b, e in self._entries.items() if b not in pinned}
                if _store(self.path, _with(header, [("blobs", self._object(rest))])):
                    self.dirty = self._moved = False
        if self.head_dirty and self.head_path is not None:
            checkpoint = _text(self.checkpoint)
            if checkpoint is not None:  # else the file before stays: it is checked on use
                fields = [("checkpoint", [checkpoint]), ("pinned", self._object(self.pinned))]
                if _store(self.head_path, _with(header, fields)):
                    self.head_dirty = False

    def _object(self, entries: Mapping[str, Any]) -> list[str]:
        """``entries`` as the pieces of a JSON object, from the texts made when they were put;
        the entries read from a file are written by one ``json.dumps`` (one call per entry
        cost ~6 us each, 0.3 s at 50,000).  An entry that cannot be written is left out (it
        is parsed again).  Pieces, so the file's text is copied once, by :func:`_with`."""
        texts = self._texts
        unwritten = {blob: entry for blob, entry in entries.items() if blob not in texts}
        bulk = _text(unwritten) if unwritten else "{}"
        if bulk is None:  # json cannot write one of them: write them one by one
            bulk = "{}"
            texts = {**texts, **{blob: _text(entry) for blob, entry in unwritten.items()}}
            unwritten = {}
        pieces = ["{", bulk[1:-1]] if unwritten else ["{"]
        for blob in entries:
            text = texts.get(blob) if blob not in unwritten else None
            if text is not None:
                if len(pieces) > 1:
                    pieces.append(",")
                pieces += (encode_basestring_ascii(blob), ":", text)
        pieces.append("}")
        return pieces

    @staticmethod
    def _write(path: Path, payload: dict[str, Any]) -> bool:
        text = _text(payload)
        return text is not None and _store(path, text)


def _text(value: object) -> str | None:
    """``value`` as compact JSON, or None when json cannot write it (nested too deep).

    ASCII: a path git gave us that is not UTF-8 holds surrogates, which JSON escapes
    (and reads back) but UTF-8 cannot encode.
    """
    try:
        return json.dumps(value, separators=(",", ":"))
    except (ValueError, RecursionError):
        return None


def _with(header: Mapping[str, object], fields: list[tuple[str, list[str]]]) -> str:
    """The JSON object of ``header`` followed by ``fields``, each already JSON text in pieces."""
    head = _text(dict(header))
    assert head is not None and head.endswith("}")
    pieces = [head[:-1]]
    for key, value in fields:
        pieces += (",", encode_basestring_ascii(key), ":", *value)
    pieces.append("}")
    return "".join(pieces)


def _store(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text``; False when it cannot be written (only speed is lost)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
    except OSError:
        return False
    return True


class AnswerCache:
    """Finished answers (JSON), one file each, named by the hash of everything the answer
    is a function of (``answers/KEY.json``).

    Answering the same question about the same HEAD again then costs reading one
    small file, not the history, however many other questions were kept.  The files
    are untrusted like the others: one that is not of this format and version is
    ignored (and replaced on the next save), and a value is checked by its reader.
    """

    def __init__(self, git_dir: Path | None) -> None:
        self.directory = git_dir / "gittrain" / ANSWERS_DIR if git_dir is not None else None

    def _path(self, key: str) -> Path | None:
        if self.directory is None or not _KEY.fullmatch(key):
            return None
        return self.directory / f"{key}.json"

    def get(self, key: str) -> Any:
        data, _ = _read(self._path(key))
        return data.get("answer") if data is not None else None

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` (and the newest others); a failure to write only costs speed."""
        path = self._path(key)
        if path is None:
            return
        payload = {"format": FORMAT, "gittrain": __version__, "answer": value}
        if BlobCache._write(path, payload) and self.directory is not None:
            try:
                kept = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
                for old in kept[:-ANSWERS_KEPT]:
                    old.unlink()
            except OSError:
                pass  # another process pruned it first, or the directory went away


_KEY = re.compile(r"[0-9a-f]{64}")


def _read(path: Path | None, form: int = FORMAT) -> tuple[dict[str, Any] | None, bool]:
    """A cache file of format ``form`` and this version (or None), and whether one was
    unusable."""
    if path is None:
        return None, False
    try:
        raw = path.read_bytes()
    except OSError:
        return None, False  # no cache yet
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than json allows
        data = None
    ours = isinstance(data, dict) and data.get("format") == form
    if ours and data.get("gittrain") == __version__:
        return data, False
    return None, True
