"""Vectorised scans over byte blocks: the only importer of numpy.

CPython's ``bytes.count`` walks a block byte by byte (~3 GB/s here) and a regex check of
every line boundary adds a second pass at ~120 ns a line, so the standard library counts
JSON Lines at ~1.3 GB/s.  numpy compares a whole block with one vector instruction per
16-32 bytes and releases the GIL while it does, so the hashing thread of ``data add``
runs beside it.  Imported only when a JSONL block is counted (never by the hooks).
"""

from __future__ import annotations

import numpy as np

_NEWLINE, _OPEN, _CLOSE = 0x0A, 0x7B, 0x7D


def object_line_count(data: bytes | bytearray, start: int, end: int) -> int | None:
    """The number of lines in ``data[start:end]`` (which ends with a newline) if every
    newline inside it sits between ``}`` and ``{``; None when one does not (a blank line,
    a line that is not shaped like an object, or CRLF endings), for a closer look."""
    block = np.frombuffer(data, np.uint8, end - start, start)
    newlines = block == _NEWLINE
    inner = newlines[1:-1]
    if inner.any():
        # `before`/`after` are False only where a newline has the wrong neighbour.
        before = block[:-2] == _CLOSE
        after = block[2:] == _OPEN
        if (inner & ~(before & after)).any():
            return None
    return int(np.count_nonzero(newlines))


_QUOTE, _COMMA, _CR = 0x22, 0x2C, 0x0D
_OPENER_BYTES = (_COMMA, _NEWLINE, _QUOTE)
_NONE = np.empty(0, np.intp)


class CsvRecords:
    """Counts the records of a CSV file fed block by block, as pyarrow's reader would
    (``newlines_in_values``, ``"`` quotes doubled to escape, empty lines skipped), and
    checks each has as many fields as the header.

    Quote parity decides which newlines and commas are inside quoted fields.  That is
    pyarrow's reading only when every quote that opens a field is at the field's start
    and no line ends in a bare CR; ``verifiable`` turns False otherwise (and on a record
    with the wrong number of fields, or a quote that never closes), and the caller asks
    pyarrow instead, which also words the error.
    """

    def __init__(self) -> None:
        self.verifiable = True
        self.records = 0  # non-empty records, the header included
        self._parity = 0  # quotes seen so far, mod 2
        self._last = _NEWLINE  # the byte before the block (the file starts a line)
        self._fields: int | None = None  # the header's
        self._commas = 0  # unquoted commas in the record still open
        self._length = 0  # bytes of the record still open, its line end excluded

    def feed(self, data: bytes | bytearray, size: int) -> None:
        if not self.verifiable or size == 0:
            return
        block = np.frombuffer(data, np.uint8, size)
        newlines = np.flatnonzero(block == _NEWLINE)
        commas = np.flatnonzero(block == _COMMA)
        has_quotes = data.find(b'"', 0, size) >= 0  # memchr: most blocks of most files have none
        quotes = np.flatnonzero(block == _QUOTE) if has_quotes else _NONE
        if has_quotes:
            # A quote with an even count before it opens a field: it must follow a comma,
            # a line end or the closing quote of an escaped pair ("").
            opening = quotes[self._parity :: 2]
            if opening.size and opening[0] == 0:
                if self._last not in _OPENER_BYTES:
                    self.verifiable = False
                    return
                opening = opening[1:]
            before = block[opening - 1]
            if not ((before == _COMMA) | (before == _NEWLINE) | (before == _QUOTE)).all():
                self.verifiable = False
                return
            newlines = newlines[(np.searchsorted(quotes, newlines) & 1) == self._parity]
            commas = commas[(np.searchsorted(quotes, commas) & 1) == self._parity]
        elif self._parity:
            newlines = newlines[:0]
            commas = commas[:0]
        if (self._last == _CR or data.find(b"\r", 0, size) >= 0) and self._bare_cr(block, quotes):
            self.verifiable = False
            return
        if newlines.size:
            self._records(block, newlines, commas)
        else:
            self._commas += int(commas.size)
            self._length += size
        self._parity = (self._parity + int(quotes.size)) % 2
        self._last = int(block[-1])

    def _bare_cr(self, block: np.ndarray, quotes: np.ndarray) -> bool:
        """Whether a CR outside quotes is not followed by a newline (an old Mac line end,
        which pyarrow reads as one).  A CR at the block's end is judged with the next."""
        if self._last == _CR and block[0] != _NEWLINE and not self._parity:
            return True
        returns = np.flatnonzero(block[:-1] == _CR)
        if quotes.size:
            returns = returns[(np.searchsorted(quotes, returns) & 1) == self._parity]
        elif self._parity:
            return False
        return bool(returns.size) and not (block[returns + 1] == _NEWLINE).all()

    def _records(self, block: np.ndarray, ends: np.ndarray, commas: np.ndarray) -> None:
        """Close the records that end at ``ends`` (unquoted newlines)."""
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lengths = ends - starts
        # A CR before the newline is the line end, not content.
        cr = np.zeros(ends.size, dtype=bool)
        inside = ends > 0
        cr[inside] = block[ends[inside] - 1] == _CR
        if ends[0] == 0:
            cr[0] = self._last == _CR
        lengths = lengths - cr
        fields = np.diff(np.searchsorted(commas, ends), prepend=0)
        lengths[0] += self._length
        fields[0] += self._commas
        present = lengths > 0
        counts = fields[present] + 1
        if counts.size:
            if self._fields is None:
                self._fields = int(counts[0])
            if not (counts == self._fields).all():
                self.verifiable = False
                return
            self.records += int(counts.size)
        tail = int(ends[-1]) + 1
        self._commas = int(commas.size - np.searchsorted(commas, ends[-1]))
        self._length = block.size - tail

    def finish(self) -> int | None:
        """Records, the header included, or None when pyarrow must read the file."""
        if not self.verifiable or self._parity:
            return None
        length = self._length - (self._last == _CR)
        if length > 0:
            if self._fields is not None and self._commas + 1 != self._fields:
                return None
            self.records += 1
        return self.records or None
