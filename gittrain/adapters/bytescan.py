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
_SLICE = 128 << 10


class CsvRecords:
    """Counts the records of a CSV file fed block by block, as pyarrow's reader would
    (``newlines_in_values``, ``"`` quotes doubled to escape, empty lines skipped), and
    checks each has as many fields as the header.

    Quote parity decides which newlines and commas are inside quoted fields.  That is
    pyarrow's reading only when every quote that opens a field is at the field's start
    and no line ends in a bare CR; ``verifiable`` turns False otherwise (and on a record
    with the wrong number of fields, or a quote that never closes), and the caller asks
    pyarrow instead, which also words the error.

    Each block is reduced, in one ``nonzero`` pass, to its events: the positions of its
    newlines, commas, quotes (when it has any) and CRs (when it has any), in order.  A
    running sum over the events gives each one's quote parity, and the newlines' indices
    among the unquoted events give each record's field count, so the work past that one
    pass is in proportion to the events, not to the bytes (~5 % of them in a quote-heavy
    file): no search of the quote positions per newline and per comma.
    """

    def __init__(self) -> None:
        self.verifiable = True
        self.records = 0  # non-empty records, the header included
        self._parity = 0  # quotes seen so far, mod 2
        self._last = _NEWLINE  # the byte before the block (the file starts a line)
        self._fields: int | None = None  # the header's
        self._commas = 0  # unquoted commas in the record still open
        self._length = 0  # bytes of the record still open, its line end excluded
        # Arrays reused from block to block (see _reserve).
        self._mask = self._scratch = self._quote = self._inside = np.empty(0, bool)
        self._kinds = self._kept_kinds = np.empty(0, np.uint8)
        self._ints = self._kept = self._events = np.empty(0, np.intp)

    def feed(self, data: bytes | bytearray, size: int) -> None:
        if not self.verifiable or size == 0:
            return
        has_quotes = data.find(b'"', 0, size) >= 0  # memchr: most blocks of most files have none
        if self._parity and not has_quotes:
            # The whole block lies inside one quoted field.
            self._length += size
            self._last = data[size - 1]
            return
        block = np.frombuffer(data, np.uint8, size)
        has_cr = self._last == _CR or data.find(b"\r", 0, size) >= 0
        self._reserve(size)
        events = self._where(self._structure(block, has_quotes, has_cr), self._events)
        count = events.size
        # mode="wrap": the indices are in range, and it writes straight to `out` ("raise",
        # the default, goes through a buffer).
        kinds = np.take(block, events, out=self._kinds[:count], mode="wrap")
        quotes = 0
        outside = None  # events outside quoted fields, quotes excluded: all of them
        if has_quotes:
            outside, quotes = self._outside_quotes(events, kinds, has_cr)
            if outside is None:
                self.verifiable = False
                return
        if has_cr:
            is_cr = kinds == _CR
            if self._bare_cr(block, events[is_cr if outside is None else is_cr & outside]):
                self.verifiable = False
                return
            outside = ~is_cr if outside is None else outside & ~is_cr
        if outside is not None:
            kept = self._where(outside, self._ints)
            events = np.take(events, kept, out=self._kept[: kept.size], mode="wrap")
            kinds = np.take(kinds, kept, out=self._kept_kinds[: kept.size], mode="wrap")
        # Only unquoted newlines and commas are left.
        is_newline = np.equal(kinds, _NEWLINE, out=self._mask[: kinds.size])
        newlines = self._where(is_newline, self._ints)
        if newlines.size:
            self._records(block, events, newlines, has_cr)
        else:
            self._commas += int(kinds.size)
            self._length += size
        self._parity = (self._parity + quotes) % 2
        self._last = int(block[-1])

    def _outside_quotes(
        self, events: np.ndarray, kinds: np.ndarray, has_cr: bool
    ) -> tuple[np.ndarray | None, int]:
        """Which events are outside quoted fields (quotes excluded), and the block's quote
        count; None when a quote that opens a field is not at its start."""
        count = events.size
        is_quote = np.equal(kinds, _QUOTE, out=self._quote[:count])
        parity = np.cumsum(is_quote, out=self._ints[:count])
        quotes = int(parity[-1])
        # The parity after each event: 1 inside a quoted field and at a quote that opens
        # one, 0 outside and at a quote that closes one.
        np.bitwise_and(parity, 1, out=parity)
        inside = np.not_equal(parity, self._parity, out=self._inside[:count])
        if not self._quotes_open_fields(events, kinds, is_quote, inside, has_cr):
            return None, quotes
        return np.logical_not(np.logical_or(inside, is_quote, out=inside), out=inside), quotes

    def _reserve(self, size: int) -> None:
        """Arrays for a block of ``size`` bytes and its events, kept from block to block.
        Fresh block-sized temporaries in every block made glibc map fresh pages each time
        (~580 faults a MiB of a quote-heavy CSV), which cost more than the scan.  Only the
        pages the events use are touched."""
        if self._mask.size >= size:
            return
        self._mask, self._scratch, self._quote, self._inside = np.empty((4, size), bool)
        self._kinds, self._kept_kinds = np.empty((2, size), np.uint8)
        self._ints, self._kept, self._events = np.empty((3, size), np.intp)

    def _where(self, mask: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The indices of ``mask``'s True values, written to the start of ``out``.
        ``nonzero`` allocates its answer: taken in slices, each answer (~60 KB in a
        quote-heavy CSV) stays under glibc's threshold for mapping fresh pages (128 KiB),
        so it comes from the heap and is reused block after block."""
        count = 0
        for start in range(0, mask.size, _SLICE):
            found = mask[start : start + _SLICE].nonzero()[0]
            np.add(found, start, out=out[count : count + found.size])
            count += found.size
        return out[:count]

    def _structure(self, block: np.ndarray, quotes: bool, returns: bool) -> np.ndarray:
        """A mask of the block's newlines and commas, and quotes and CRs when asked."""
        mask, scratch = self._mask[: block.size], self._scratch[: block.size]
        np.equal(block, _NEWLINE, out=mask)
        for byte, wanted in ((_COMMA, True), (_QUOTE, quotes), (_CR, returns)):
            if wanted:
                np.equal(block, byte, out=scratch)
                mask |= scratch
        return mask

    def _quotes_open_fields(
        self,
        events: np.ndarray,
        kinds: np.ndarray,
        is_quote: np.ndarray,
        inside: np.ndarray,
        has_cr: bool,
    ) -> bool:
        """Whether each quote that opens a field (one with an even count before it)
        follows a comma, a line end or the closing quote of an escaped pair (``""``):
        the event before it is one byte before, and not a CR."""
        count = events.size
        opening = np.logical_and(is_quote, inside, out=self._mask[:count])
        if opening[0] and not (events[0] == 0 and self._last in _OPENER_BYTES):
            return False
        # The parity sums in self._ints are spent: their buffer takes the gaps.
        gaps = np.subtract(events[1:], events[:-1], out=self._ints[: count - 1])
        follows = np.equal(gaps, 1, out=self._scratch[: count - 1])
        if has_cr:
            follows &= kinds[:-1] != _CR
        stray = np.greater(opening[1:], follows, out=follows)  # opening and not following
        return not stray.any()

    def _bare_cr(self, block: np.ndarray, returns: np.ndarray) -> bool:
        """Whether a CR outside quotes (``returns``) is not followed by a newline (an old
        Mac line end, which pyarrow reads as one).  A CR at the block's end is judged with
        the next."""
        if self._last == _CR and block[0] != _NEWLINE and not self._parity:
            return True
        if returns.size and returns[-1] == block.size - 1:
            returns = returns[:-1]
        return bool(returns.size) and not (block[returns + 1] == _NEWLINE).all()

    def _records(
        self, block: np.ndarray, events: np.ndarray, newlines: np.ndarray, has_cr: bool
    ) -> None:
        """Close the records that end at the unquoted newlines ``events[newlines]``
        (``events`` holds the block's unquoted newlines and commas)."""
        # Commas between one newline and the next, plus one.
        fields = np.empty_like(newlines)
        fields[0] = newlines[0] + 1 + self._commas
        np.subtract(newlines[1:], newlines[:-1], out=fields[1:])
        if self._fields is not None and self._fields > 1 and (fields == self._fields).all():
            # Each record has a comma, so none is an empty line: no lengths to look at.
            self.records += int(fields.size)
        else:
            self._count_lines(block, events[newlines], fields, has_cr)
        self._commas = int(events.size - newlines[-1] - 1)
        self._length = block.size - int(events[newlines[-1]]) - 1

    def _count_lines(
        self, block: np.ndarray, ends: np.ndarray, fields: np.ndarray, has_cr: bool
    ) -> None:
        """Count the records that end at ``ends`` with ``fields`` fields each, skipping
        empty lines; turn unverifiable at one whose fields are not the header's."""
        # Bytes between one line end and the next, the first record's start excluded.
        lengths = np.diff(ends, prepend=-1) - 1
        if has_cr:
            # A CR before the newline is the line end, not content.
            cr = np.zeros(ends.size, dtype=bool)
            inside = ends > 0
            cr[inside] = block[ends[inside] - 1] == _CR
            if ends[0] == 0:
                cr[0] = self._last == _CR
            lengths -= cr
        lengths[0] += self._length
        counts = fields if (lengths > 0).all() else fields[lengths > 0]
        if counts.size:
            if self._fields is None:
                self._fields = int(counts[0])
            if not (counts == self._fields).all():
                self.verifiable = False
                return
            self.records += int(counts.size)

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
