"""Arrow, Parquet and CSV through pyarrow: the only module that imports ``pyarrow``.

pyarrow is imported inside each function, so only commands that touch Parquet
or CSV pay for it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from gittrain.errors import GittrainError

# Column types are inferred from the first block of this many bytes (a smaller block
# would infer from fewer rows and could name other types for the same file).
_CSV_BLOCK = 16 << 20
# Rows are counted in blocks of these sizes, the smallest first: the reader parses and
# keeps several blocks at once on its threads, so 16 MiB blocks peaked at 515-714 MB RSS
# and 1 MiB blocks at ~150 MB.  A record longer than a block makes pyarrow refuse it as
# "straddling", and the count starts again with the next size up.
_COUNT_BLOCKS = (1 << 20, 16 << 20)
# Blocks the CSV reader may read ahead of the rows counted, and the longest a read waits.
_WINDOW = 3
_WINDOW_MIN = 16 << 20
_WAIT = 0.05


def parquet_stats(source: Path | BinaryIO, display: str) -> tuple[int, dict[str, str]]:
    """Row count and column types from the Parquet footer, without reading any data.
    ``source`` is a path or a seekable reader (a remote object's ranged reader: pyarrow
    reads the 64 KiB tail, and the rest of the footer only when it is longer)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(source)
        rows = int(meta.metadata.num_rows)
        schema = meta.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise GittrainError(f"{display}: not a readable Parquet file: {_first_line(exc)}") from None
    return rows, {f.name: str(f.type) for f in schema}


@dataclass(frozen=True, slots=True)
class CsvStats:
    rows: int
    columns: dict[str, str]
    quotes: int  # '"' bytes in the file: odd means a quoted field never closes


class _QuoteCounter(io.RawIOBase):
    """Counts quote bytes as pyarrow reads, so the file is read once; the count runs
    while pyarrow's threads parse earlier blocks.

    With a ``window``, a read waits while that many bytes more have been read than the
    consumer has taken (``consumed``), so pyarrow's read-ahead cannot fill memory.  The
    wait is short and bounded: a block that yields no batch does not stall the read.
    """

    def __init__(self, raw: io.RawIOBase | BinaryIO, window: int = 0) -> None:
        super().__init__()
        self._raw = raw
        self.quotes = 0
        self._window = window
        self._read = self._taken = 0
        self._turn = threading.Condition()

    def readable(self) -> bool:
        return True

    def consumed(self, size: int) -> None:
        with self._turn:
            self._taken += size
            self._turn.notify_all()

    def read(self, size: int | None = -1) -> bytes:
        if self._window:
            with self._turn:
                self._turn.wait_for(lambda: self._read - self._taken < self._window, _WAIT)
        data = self._raw.read(-1 if size is None else size) or b""
        self.quotes += data.count(b'"')
        self._read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def csv_stats(path: Path, display: str, records: int | None = None) -> CsvStats:
    """Records (not lines: quoted newlines count once), header column types, quote count.
    ``records`` (the header included), when the caller has counted them, skips pyarrow's
    count; the quote count is then 0."""
    import pyarrow as pa
    import pyarrow.csv as pc

    parse = pc.ParseOptions(newlines_in_values=True)
    quotes = 0
    try:
        # Count first, with one column read as text, named by position: the header is a
        # record like the others, and a later block whose values do not fit the types of
        # the first block is still one record.  The count's memory is handed back before
        # the types are read, so the two peaks do not add up.
        convert = pc.ConvertOptions(column_types={"f0": pa.string()}, include_columns=["f0"])
        for block in _COUNT_BLOCKS if records is None else ():
            try:
                records, quotes = _count_csv_rows(path, block, parse, convert)
                break
            except pa.ArrowException as exc:
                if "straddl" not in str(exc):
                    raise
                if block == _COUNT_BLOCKS[-1]:
                    raise GittrainError(
                        f"{display}: a record longer than {_size(block)}; gittrain reads "
                        "CSV records up to that size"
                    ) from None
        pa.default_memory_pool().release_unused()
        # Types come from the first block only, but the reader starts reading and parsing
        # blocks ahead (366 MB RSS on a large file), so it gets the first block's bytes and
        # a little more: the first block ends at the last record that ends inside it, so it,
        # and so the types, are the same as from the whole file.  One thread: the parse of
        # a 16 MiB block is what peaks, and a second thread parsing ahead adds to it.
        with open(path, "rb") as handle:
            head = handle.read(_CSV_BLOCK + _COUNT_BLOCKS[0])
        read = pc.ReadOptions(block_size=_CSV_BLOCK, use_threads=False)
        with pc.open_csv(pa.BufferReader(head), read_options=read, parse_options=parse) as reader:
            columns = {f.name: str(f.type) for f in reader.schema}
    except (pa.ArrowException, OSError) as exc:
        raise GittrainError(f"{display}: not a readable CSV file: {_first_line(exc)}") from None
    return CsvStats(max((records or 0) - 1, 0), columns, quotes)


def csv_stats_from(handle: Any, display: str) -> CsvStats:
    """``csv_stats`` of a stream read once, front to back (a remote object's body).

    The types come from the first two blocks, as for a file; the count runs on one
    thread in the largest block size, since a stream cannot be read again to retry
    with a larger block when a record straddles one.
    """
    import pyarrow as pa
    import pyarrow.csv as pc

    parse = pc.ParseOptions(newlines_in_values=True)
    counter = _QuoteCounter(_Chain(b"", handle))
    try:
        head = _read_up_to(handle, 2 * _CSV_BLOCK)
        read = pc.ReadOptions(block_size=_CSV_BLOCK)
        with pc.open_csv(pa.BufferReader(head), read_options=read, parse_options=parse) as reader:
            schema = reader.schema
        columns = {f.name: str(f.type) for f in schema}
        convert = pc.ConvertOptions(
            column_types={name: pa.string() for name in schema.names},
            include_columns=schema.names[:1],
        )
        block = _COUNT_BLOCKS[-1]
        counter = _QuoteCounter(_Chain(head, handle), window=_WINDOW * block)
        del head
        read = pc.ReadOptions(block_size=block, use_threads=False)
        rows = 0
        with pc.open_csv(
            counter, read_options=read, parse_options=parse, convert_options=convert
        ) as reader:
            for batch in reader:
                rows += batch.num_rows
                counter.consumed(block)
    except (pa.ArrowException, OSError) as exc:
        if counter.quotes % 2:
            raise GittrainError(f"{display}: unterminated quoted field") from None
        raise GittrainError(f"{display}: not a readable CSV file: {_first_line(exc)}") from None
    return CsvStats(rows, columns, counter.quotes)


def _read_up_to(handle: io.RawIOBase | BinaryIO, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        chunk = handle.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


class _Chain(io.RawIOBase):
    """``head`` (bytes already read) and then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: io.RawIOBase | BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._tail.read(len(buffer)) or b""
        buffer[: len(data)] = data
        return len(data)


def _count_csv_rows(path: Path, block: int, parse: Any, convert: Any) -> tuple[int, int]:
    """Records and quote bytes of ``path``, read in ``block``-byte blocks."""
    import pyarrow.csv as pc

    rows = 0
    with open(path, "rb", buffering=0) as raw:
        # Whatever the threads, the reader reads ahead as fast as the file gives: 16 MiB
        # blocks peaked at 400-700 MB.  The counter holds them to a few blocks ahead (1 MiB
        # blocks stay near 115 MB without it, and a window there halves the speed).
        small = block == _COUNT_BLOCKS[0]
        counter = _QuoteCounter(raw, window=max(_WINDOW * block, _WINDOW_MIN))
        read = pc.ReadOptions(block_size=block, use_threads=small, autogenerate_column_names=True)
        with pc.open_csv(
            counter, read_options=read, parse_options=parse, convert_options=convert
        ) as reader:
            for batch in reader:
                rows += batch.num_rows
                counter.consumed(block)
    return rows, counter.quotes


def _size(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size} bytes"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def write_parquet(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    """Write ``rows`` (records with the same keys) as a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(list(rows)), path)


def write_csv(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    """Write ``rows`` as CSV with a header; fields with newlines are quoted."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    pcsv.write_csv(pa.Table.from_pylist(list(rows)), path)
