"""Count the records of a JSON dataset (a top-level array) in bounded memory.

``json.loads`` of the whole file holds the text, its decoded copy and every record at
once: several times the file's size.  Here the array is read in blocks and each element
is decoded on its own with ``JSONDecoder.raw_decode`` and dropped (only the first
``head`` are kept, for column types), so memory is a few blocks plus the largest record.
Errors keep ``json.loads``'s line and column.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from gittrain.errors import GittrainError

# JSON's whitespace (RFC 8259), not Python's.
_SPACE = re.compile(r"[ \t\n\r]*")
# Values that end with a character of their own (object, array, string).
_CLOSED = frozenset('{["')
_SCALAR = re.compile(r"[-+.0-9A-Za-z]*")
# An error this far from the end of what is read is not caused by the cut: the longest
# token that could be cut short and be misread is shorter (numbers excepted, which are
# read whole first).
_SLACK = 64
_TYPES = {"{": "object", '"': "string", "t": "boolean", "f": "boolean", "n": "null"}


class _TooLong(Exception):
    """A value longer than the limit (made a GittrainError by ``count_array``)."""


@dataclass(frozen=True, slots=True)
class Array:
    length: int
    head: list[object]


class _Text:
    """Decoded text read on demand: ``text[pos:]`` is what is not consumed yet."""

    def __init__(self, read: Callable[[int], bytes], block: int, limit: int) -> None:
        self.read, self.block, self.limit = read, block, limit
        first = read(max(block, 4))  # json.detect_encoding looks at 4 bytes
        encoding = json.detect_encoding(first) if first else "utf-8"
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.text = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # the line of text[0]
        self.column = 1  # the column of text[0] on that line
        self.base = 0  # characters dropped before text[0]
        self._append(first)

    def _append(self, raw: bytes) -> None:
        if not raw:
            self.eof = True
        try:
            self.text += self.decoder.decode(raw, final=self.eof)
        except UnicodeDecodeError as exc:
            raise ValueError(f"not valid {exc.encoding}") from None

    def more(self, display: str) -> bool:
        """Read another block, dropping what was consumed; False at the end."""
        if self.eof:
            return False
        held = len(self.text) - self.pos
        if held >= self.limit:
            raise _TooLong(
                f"{display}:{self.where(self.pos)}: a record of more than "
                f"{self.limit >> 20} MiB; gittrain reads JSON records up to that size "
                "(JSON Lines has no such limit)"
            )
        done = self.text[: self.pos]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.column = self.pos - done.rfind("\n")
        else:
            self.column += self.pos
        self.base += self.pos
        self.text, self.pos = self.text[self.pos :], 0
        # At least as much again as is held: a long record is re-decoded a bounded
        # number of times, not once per block.
        self._append(self.read(max(self.block, min(held, self.limit - held))))
        return True

    def skip_space(self, display: str) -> str:
        """The next character that is not whitespace, or "" at the end."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more(display):
                return self.text[self.pos : self.pos + 1]

    def where(self, pos: int) -> str:
        before = self.text[:pos]
        newlines = before.count("\n")
        if newlines:
            return f"{self.line + newlines}:{pos - before.rfind(chr(10))}"
        return f"{self.line}:{self.column + pos}"


def count_array(
    read: Callable[[int], bytes], display: str, head: int, block: int, limit: int
) -> Array:
    """The length of the top-level array ``read`` yields, and its first ``head`` records."""
    try:
        return _count(_Text(read, block, limit), display, head)
    except ValueError as exc:  # the text is not in its encoding
        raise GittrainError(f"{display}: malformed JSON: {exc}") from None
    except _TooLong as exc:
        raise GittrainError(str(exc)) from None


def _count(text: _Text, display: str, head: int) -> Array:
    decoder = json.JSONDecoder()
    first = text.skip_space(display)
    if first != "[":
        return _not_an_array(text, display, first)
    text.pos += 1
    length, records = 0, list[object]()
    if text.skip_space(display) == "]":
        text.pos += 1
        return _end(text, display, Array(0, []))
    while True:
        value = _value(text, decoder, display)
        length += 1
        if len(records) < head:
            records.append(value)
        separator = text.skip_space(display)
        if separator != ",":
            if separator != "]":
                raise _malformed(text, display, text.pos, "Expecting ',' delimiter")
            text.pos += 1
            return _end(text, display, Array(length, records))
        text.pos += 1
        text.skip_space(display)


def _value(text: _Text, decoder: json.JSONDecoder, display: str) -> object:
    """Decode the value at ``text.pos``.  A value that reaches the end of what is read may
    go on in the next block (a number, or a record cut in two): read more and decode
    again.  An error well before the end of what is read is the file's own."""
    while True:
        # A number or literal has no closing character: it may go on in the next block.
        if _open_ended(text) and text.more(display):
            continue
        try:
            value, end = decoder.raw_decode(text.text, text.pos)
        except json.JSONDecodeError as exc:
            # A string's end is unknown until its closing quote: "unterminated" is said of
            # its start, however much of it has been read.
            cut = exc.msg.startswith("Unterminated") or len(text.text) - exc.pos < _SLACK
            if cut and text.more(display):
                continue
            raise _malformed(text, display, exc.pos, exc.msg) from None
        except RecursionError:
            raise _malformed(text, display, text.pos, "nested too deeply") from None
        text.pos = end
        return value


def _open_ended(text: _Text) -> bool:
    """Whether the value at ``text.pos`` is a number or literal that runs to the end."""
    if text.text[text.pos : text.pos + 1] in _CLOSED:
        return False
    scalar = _SCALAR.match(text.text, text.pos)
    return scalar is not None and scalar.end() == len(text.text)


def _end(text: _Text, display: str, array: Array) -> Array:
    if text.skip_space(display):
        raise _malformed(text, display, text.pos, "Extra data")
    return array


def _not_an_array(text: _Text, display: str, first: str) -> Array:
    """Refuse a document that is not an array: as malformed if it is, else by its type
    (named from its first character when it is too long to read whole)."""
    if first:
        with contextlib.suppress(_TooLong):  # too long to read whole: named by its start
            _end(text, display, Array(0, [_value(text, json.JSONDecoder(), display)]))
        if first in _TYPES or first in "-0123456789":
            kind = _TYPES.get(first, "number")
            raise GittrainError(
                f"{display}: a JSON dataset must be a top-level array of records, not {kind}"
            )
    raise _malformed(text, display, text.pos, "Expecting value")


def _malformed(text: _Text, display: str, pos: int, message: str) -> GittrainError:
    return GittrainError(f"{display}:{text.where(pos)}: malformed JSON: {message}")
