"""Exact sample counts and column types per dataset format."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gittrain.errors import GittrainError

# 1 MiB blocks, not 16: each read releases the GIL, and `data add` hashes on another
# thread that needs the GIL between its reads and hashlib updates.  With 16 MiB blocks the
# counting thread held the GIL for ~12 ms at a time and the hashing thread waited out the
# 5 ms switch interval at every step (2 GiB JSONL: 2.9-3.5 s, now ~1.7 s; see BENCHMARKS.md).
# A 1 MiB block also stays in cache between the newline count and the line check.
CHUNK = 1 << 20
# Records fully parsed at the start of a JSONL file, for columns and an early
# check; later lines get a structural check at memory speed (see _count_jsonl).
HEAD_RECORDS = 1000
# The longest record held in memory.  A JSONL line past it is checked for its shape
# (``{`` ... ``}``) as it streams by, not parsed; a JSON array's record past it is refused.
MAX_RECORD = 16 << 20
# List elements whose types a column's type names (array<string>, array<message>).
ELEMENTS = 64
# A newline not between "}" (or "}\r") and "{": a blank line, or a line that is not
# shaped like a JSON object.  The literal "\n" first lets re skip with memchr.
_NOT_OBJECT_BOUNDARY = re.compile(rb"\n(?:(?<!\}\n)(?<!\}\r\n)|(?!\{))")


class Stream(Protocol):
    """What the streaming counters read from: a raw file or a remote object's body."""

    def readinto(self, buffer: bytearray, /) -> int | None: ...

    def read(self, size: int = -1, /) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Counted:
    num_samples: int | None
    columns: Mapping[str, str] = field(default_factory=dict)


def count(path: Path, fmt: str, display: str) -> Counted:
    """Samples and columns of one file in ``fmt`` (jsonl, parquet, csv, json)."""
    if fmt == "jsonl":
        return _count_jsonl(path, display)
    if fmt == "json":
        return _count_json(path, display)
    from gittrain.adapters import arrow

    if fmt == "parquet":
        rows, columns = arrow.parquet_stats(path, display)
        return Counted(rows, columns)
    if fmt == "csv":
        try:
            stats = arrow.csv_stats(path, display, _csv_records(path))
        except GittrainError:
            # A quote that never closes often surfaces as a column-count error at EOF.
            if _quote_bytes(path) % 2:
                raise GittrainError(
                    f"{display}:{_unterminated_line(path)}: unterminated quoted field"
                ) from None
            raise
        if stats.quotes % 2:
            # pyarrow reads an unterminated quote to the end of the file without
            # complaint; an odd number of quote bytes gives it away (escapes come in pairs).
            line = _unterminated_line(path)
            raise GittrainError(f"{display}:{line}: unterminated quoted field")
        return Counted(stats.rows, stats.columns)
    raise GittrainError(f"{display}: unknown format {fmt!r}")


def count_stream(handle: Stream, fmt: str, display: str) -> Counted:
    """Samples and columns of JSONL, CSV or JSON read once, front to back, from ``handle``
    (a remote object's stream: hashed on the way, never stored).  Parquet is counted
    from its footer instead (``arrow.parquet_stats``)."""
    if fmt == "jsonl":
        return _count_jsonl_from(handle, display)
    if fmt == "json":
        return _count_json_from(lambda size: handle.read(size) or b"", display)
    if fmt == "csv":
        from gittrain.adapters import arrow

        stats = arrow.csv_stats_from(handle, display)
        if stats.quotes % 2:
            raise GittrainError(f"{display}: unterminated quoted field")
        return Counted(stats.rows, stats.columns)
    raise GittrainError(f"{display}: cannot count {fmt!r} from a stream")


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def column_type(value: object) -> str:
    """``json_type``, except that a non-empty list also names its elements' types:
    ``array<string>``, ``array<integer|null>``; a ``{role, content}`` object is a
    ``message``, so chat data reads ``array<message>``.  An empty list is ``array``.
    Only the first ``ELEMENTS`` elements are looked at: an embedding of 4,096 floats per
    record would otherwise cost more than parsing it."""
    if not isinstance(value, list) or not value:
        return json_type(value)
    elements = {"message" if is_message(item) else json_type(item) for item in value[:ELEMENTS]}
    return f"array<{'|'.join(sorted(elements))}>"


def is_message(value: object) -> bool:
    """A chat message: an object with a text ``role`` and a ``content`` (text, parts or null)."""
    return isinstance(value, dict) and isinstance(value.get("role"), str) and "content" in value


def columns_of(records: list[object]) -> dict[str, str]:
    """Union of keys over ``records``; a key seen with several types gets ``a|b``.

    An empty list beside non-empty ones adds nothing: ``[]`` fits any ``array<...>``.
    """
    types: dict[str, set[str]] = {}
    for record in records:
        if isinstance(record, dict):
            for key, value in record.items():
                types.setdefault(key, set()).add(column_type(value))
    out = {}
    for key, found in sorted(types.items()):
        if "array" in found and any(t.startswith("array<") for t in found):
            found.discard("array")
        out[key] = "|".join(sorted(found))
    return out


def _count_jsonl(path: Path, display: str) -> Counted:
    """Non-empty lines, read in big chunks.  Past the first records each chunk gets one
    ``bytes.count`` and one regex scan (both hop between newlines in C): when every line
    starts with ``{`` and ends with ``}``, the chunk holds exactly that many object
    records.  Other chunks (blank lines, non-object records, broken lines) go line by
    line, and anything not shaped like an object is parsed, so a broken line is reported
    with its number."""
    with open(path, "rb", buffering=0) as handle:
        return _count_jsonl_from(handle, display)


def _count_jsonl_from(handle: Stream, display: str) -> Counted:
    """``_count_jsonl`` over any reader with ``readinto`` (a file, a remote stream)."""
    state = _JsonlState(display)
    # One buffer filled with readinto: a fresh 16 MiB bytes object per read costs page
    # faults, ~20 % of the time of the count itself.  Nothing keeps a view of it: every
    # piece kept across reads (carry, the last record) is a copy.
    buffer = bytearray(CHUNK)
    # A bytearray: a line longer than many blocks grows in place, not by a copy per block.
    carry = bytearray()
    # A line longer than MAX_RECORD is not held: only its ends are kept as it goes by.
    long: _LongLine | None = None
    while size := handle.readinto(buffer):
        chunk = buffer if size == CHUNK else buffer[:size]
        end = chunk.rfind(b"\n") + 1
        if end == 0:
            if long is None:
                carry += chunk
                if len(carry) > MAX_RECORD:
                    long, carry = _LongLine(carry), bytearray()
            else:
                long.feed(chunk)
            continue
        start = 0
        if long is not None or carry:
            start = chunk.find(b"\n") + 1
            if long is not None:
                long.feed(chunk[:start])
                state.long_line(long)
                long = None
            else:
                carry += chunk[:start]
                state.slow(bytes(carry))
        state.chunk(chunk, start, end)
        carry = bytearray(chunk[end:])
    if long is not None:
        state.long_line(long)
    elif carry:
        state.slow(bytes(carry))
    if state.last_record is not None:
        state.parse(state.last_record, state.last_line)
    return Counted(state.records, columns_of(state.head))


class _LongLine:
    """The first and last non-blank bytes and the size of a line too long to hold."""

    def __init__(self, start: bytes | bytearray) -> None:
        self.first = self.last = b""
        self.size = 0
        self.feed(start)

    def feed(self, piece: bytes | bytearray) -> None:
        self.size += len(piece)
        text = piece.strip()
        if text:
            self.first = self.first or bytes(text[:1])
            self.last = bytes(text[-1:])


class _JsonlState:
    def __init__(self, display: str) -> None:
        self.display = display
        self.line = 0  # lines consumed so far
        self.records = 0
        self.head: list[object] = []
        self.last_record: bytes | None = None
        self.last_line = 0

    def chunk(self, data: bytes | bytearray, start: int, end: int) -> None:
        """Lines ``data[start:end]``, which ends with a newline."""
        if start >= end:
            return
        lines = _object_lines(data, start, end) if len(self.head) >= HEAD_RECORDS else None
        if lines is not None:
            self.line += lines
            self.records += lines
            last = data.rfind(b"\n", start, end - 1) + 1
            self.last_record, self.last_line = bytes(data[max(last, start) : end]), self.line
            return
        self.slow(bytes(data[start:end]))

    def slow(self, data: bytes) -> None:
        for raw in data.removesuffix(b"\n").split(b"\n"):
            self.line += 1
            text = raw.strip()
            if not text:
                continue
            self.records += 1
            if len(self.head) < HEAD_RECORDS:
                self.head.append(self.parse(text, self.line))
            elif not (text.endswith(b"}") and text.startswith(b"{")):
                self.parse(text, self.line)
            self.last_record, self.last_line = text, self.line

    def long_line(self, long: _LongLine) -> None:
        """A line longer than MAX_RECORD: counted when shaped like an object, never parsed
        (its columns are not read), refused otherwise since it cannot be parsed in bounded
        memory."""
        self.line += 1
        if not long.first:
            return
        if long.first + long.last != b"{}":
            raise GittrainError(
                f"{self.display}:{self.line}: malformed JSON record: a line of {long.size:,} "
                f"bytes that is not a JSON object ({{...}}); records longer than "
                f"{MAX_RECORD >> 20} MiB are checked for that shape, not parsed"
            )
        self.records += 1
        self.last_record = None

    def parse(self, text: bytes, line: int) -> object:
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid JSON"
            raise GittrainError(f"{self.display}:{line}: malformed JSON record: {reason}") from None


def _object_lines(data: bytes | bytearray, start: int, end: int) -> int | None:
    """The number of lines in ``data[start:end]`` (ending in a newline) when every one is
    ``{...}``, else None."""
    if data[start] != 0x7B:  # "{"
        return None
    tail = data[end - 3 : end - 1] if end - start >= 3 else b""
    if not (tail.endswith(b"}") or tail == b"}\r"):
        return None
    from gittrain.adapters import bytescan

    lines = bytescan.object_line_count(data, start, end)
    if lines is None and _NOT_OBJECT_BOUNDARY.search(data, start, end - 1) is None:
        lines = data.count(b"\n", start, end)  # CRLF line ends: the regex allows "}\r\n{"
    return lines


def _count_json(path: Path, display: str) -> Counted:
    with open(path, "rb", buffering=0) as handle:
        return _count_json_from(handle.read, display)


def _count_json_from(read: Callable[[int], bytes], display: str) -> Counted:
    from gittrain.core.data.jsonarray import count_array

    array = count_array(read, display, HEAD_RECORDS, CHUNK, MAX_RECORD)
    return Counted(array.length, columns_of(array.head))


def _csv_records(path: Path) -> int | None:
    """Records of a CSV file (the header included) counted with numpy in 1 MiB blocks, or
    None when only pyarrow can tell (a quote inside an unquoted field, bare CR line ends,
    a record with the wrong number of fields, an unclosed quote: pyarrow also words the
    error).  One core at ~1 GB/s with the reads (~0.7 ms of numpy per MiB when every row
    holds quotes, ~0.4 without) and a few MB, against pyarrow's two threads and ~50 MB of
    parse buffers."""
    from gittrain.adapters import bytescan

    scan = bytescan.CsvRecords()
    buffer = bytearray(CHUNK)
    with open(path, "rb", buffering=0) as handle:
        while scan.verifiable and (size := handle.readinto(buffer)):
            scan.feed(buffer, size)
    return scan.finish()


def _quote_bytes(path: Path) -> int:
    quotes = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            quotes += chunk.count(b'"')
    return quotes


def _unterminated_line(path: Path) -> int:
    """The line where the last quoted field that never closes opens (error path only):
    quote to quote with ``find``, newlines counted in between, so a long line costs
    what a scan of it costs."""
    line, opened_at, inside = 1, 1, False
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            pos = 0
            while (quote := chunk.find(b'"', pos)) >= 0:
                line += chunk.count(b"\n", pos, quote)
                inside = not inside
                if inside:
                    opened_at = line
                pos = quote + 1
            line += chunk.count(b"\n", pos)
    return opened_at
