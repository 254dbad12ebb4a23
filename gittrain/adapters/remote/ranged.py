"""Seekable readers over byte-range fetches and over one-pass streams (standard library only).

A provider module gives a ``fetch(start, end) -> bytes`` for one byte range, or a
``stream() -> BinaryIO`` that reads the object from the start; these classes turn
that into the seekable binary file pyarrow reads a Parquet footer from, without ever
holding more than a bounded buffer in memory.
"""

from __future__ import annotations

import io
from abc import abstractmethod
from collections.abc import Callable
from typing import BinaryIO

from gittrain.errors import GittrainError

Fetch = Callable[[int, int], bytes]  # [start, end) -> exactly those bytes
Stream = Callable[[], BinaryIO]  # a new sequential reader from byte 0
# Bytes a random reader asks for at least: a Parquet footer read (pyarrow reads the
# last 64 KiB first) is one request, and a column chunk is not read in tiny pieces.
RANDOM_BLOCK = 256 << 10
# Bytes one request of a sequential read asks for: large enough that the per-request
# cost vanishes, small enough to keep memory flat while hashing a large object.
SEQUENTIAL_BLOCK = 8 << 20
# What a tail reader keeps of an object it can only stream: a Parquet footer is
# rarely above a few hundred KiB (its length is the last 8 bytes but one).
TAIL_KEEP = 8 << 20


class RawReader(io.RawIOBase):
    """The seek/tell bookkeeping both readers share; ``read_at`` does the fetching."""

    def __init__(self, display: str, size: int, on_close: Callable[[], None] | None) -> None:
        super().__init__()
        self.display = display
        self.size = size
        self._pos = 0
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError(f"{self.display}: seek before the start of the object")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self.size - self._pos)
        if want <= 0:
            return 0
        data = self.read_at(self._pos, want)
        if len(data) != want:
            raise GittrainError(
                f"{self.display}: the server sent {len(data)} bytes where {want} were asked "
                f"for at offset {self._pos}; the object changed or is shorter than its "
                f"stated size ({self.size} bytes)"
            )
        memoryview(buffer)[:want] = data
        self._pos += want
        return want

    def readall(self) -> bytes:
        # io.RawIOBase reads 8 KiB at a time, which here would be a request each.
        parts: list[bytes] = []
        while self._pos < self.size:
            parts.append(self.read(min(self.size - self._pos, SEQUENTIAL_BLOCK)))
        return b"".join(parts)

    @abstractmethod
    def read_at(self, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` (within the object)."""

    def close(self) -> None:
        if not self.closed:
            try:
                if self._on_close is not None:
                    self._on_close()
            finally:
                super().close()


class RangeReader(RawReader):
    """One ranged request per read; wrap it in ``io.BufferedReader`` (see ``random``)."""

    def __init__(
        self, display: str, size: int, fetch: Fetch, on_close: Callable[[], None] | None = None
    ) -> None:
        super().__init__(display, size, on_close)
        self._fetch = fetch

    def read_at(self, start: int, length: int) -> bytes:
        return self._fetch(start, start + length)


class TailReader(RawReader):
    """Random reads over an object that can only be streamed from its start.

    The first read in the last ``keep`` bytes streams the whole object once and keeps
    those bytes (that is where a Parquet footer is); a read before them streams again
    from the start up to the bytes asked for.  Memory stays within ``keep`` bytes plus
    one read, whatever the object's size; the network carries the whole object.
    """

    def __init__(
        self,
        display: str,
        size: int,
        stream: Stream,
        keep: int = TAIL_KEEP,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(display, size, on_close)
        self._stream = stream
        self._tail_start = max(size - keep, 0)
        self._tail: bytes | None = None

    def read_at(self, start: int, length: int) -> bytes:
        if start >= self._tail_start:
            if self._tail is None:
                self._tail = self._pass(self._tail_start, self.size)
            offset = start - self._tail_start
            return self._tail[offset : offset + length]
        return self._pass(start, start + length)

    def _pass(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``, read by streaming from byte 0 and skipping to ``start``."""
        with self._stream() as reader:
            skip = start
            while skip > 0:
                got = len(reader.read(min(skip, SEQUENTIAL_BLOCK)))
                if got == 0:
                    return b""
                skip -= got
            parts: list[bytes] = []
            left = end - start
            while left > 0:
                data = reader.read(min(left, SEQUENTIAL_BLOCK))
                if not data:
                    break
                parts.append(data)
                left -= len(data)
            return b"".join(parts)


class Reader(io.BufferedReader):
    """A buffered reader whose ``note`` says how it had to read, e.g. that the server
    ignored byte ranges and the whole object was streamed (None when nothing to say)."""

    @property
    def note(self) -> str | None:
        note: str | None = getattr(self.raw, "note", None)
        return note


def buffered(raw: RawReader, block: int) -> Reader:
    """``raw`` behind a read buffer of ``block`` bytes: each refill is one fetch."""
    return Reader(raw, buffer_size=block)
