"""Exact sample counts and columns for each format, and every bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gittrain.core.data import counting, formats
from gittrain.errors import GittrainError
from tests.datahelp import write_jsonl


def count(path: Path) -> counting.Counted:
    fmt = formats.detect_format(path.name)
    assert fmt is not None
    return counting.count(path, fmt, path.name)


def test_jsonl_counts_non_empty_lines_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1, "b": "x"}\n\n  \n{"a": 2, "c": null}\r\n{"a": 3.5}')
    got = count(path)
    assert got.num_samples == 3
    assert dict(got.columns) == {"a": "integer|number", "b": "string", "c": "null"}


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_jsonl_fast_path_matches_a_line_by_line_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(counting, "CHUNK", chunk)
    monkeypatch.setattr(counting, "HEAD_RECORDS", 5)
    path = write_jsonl(tmp_path / "big.jsonl", 3000)
    with open(path, "a") as f:
        f.write("\n\n[1, 2]\n" + json.dumps({"prompt": "tail"}))
    expected = sum(1 for line in path.read_text().splitlines() if line.strip())
    assert count(path).num_samples == expected == 3002


def test_jsonl_record_longer_than_many_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "CHUNK", 16)
    monkeypatch.setattr(counting, "HEAD_RECORDS", 1)
    path = tmp_path / "long.jsonl"
    long = json.dumps({"text": "x" * 5000})
    path.write_text(f'{{"a": 1}}\n{long}\n{long}\n{{"a": 2}}\n{long}')
    got = count(path)
    assert got.num_samples == 5
    assert dict(got.columns) == {"a": "integer"}
    path.write_text(f'{{"a": 1}}\n{long}\n{long[:-1]}\n{long}\n')
    with pytest.raises(GittrainError, match=r"^long.jsonl:3: malformed JSON record"):
        count(path)


def test_jsonl_malformed_line_reports_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n')
    with pytest.raises(GittrainError, match=r"^bad.jsonl:2: malformed JSON record"):
        count(path)


def test_jsonl_malformed_line_far_past_the_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "CHUNK", 4096)
    path = write_jsonl(tmp_path / "bad.jsonl", 5000)
    lines = path.read_text().splitlines()
    lines[4321] = "not json at all"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(GittrainError, match=r"^bad.jsonl:4322: malformed JSON record"):
        count(path)


def test_jsonl_truncated_last_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "HEAD_RECORDS", 2)
    path = write_jsonl(tmp_path / "t.jsonl", 50)
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(GittrainError, match=r"^t.jsonl:50: malformed JSON record"):
        count(path)


def test_parquet_counts_from_the_footer(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    table = pa.table({"prompt": ["a", "b", "c"], "score": [1.0, 2.0, 3.0]})
    pq.write_table(table, path, row_group_size=2)
    got = count(path)
    assert got.num_samples == 3
    assert dict(got.columns) == {"prompt": "string", "score": "double"}


def test_truncated_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"x": list(range(1000))}), path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(GittrainError, match=r"^p.parquet: not a readable Parquet file"):
        count(path)


def test_csv_counts_records_not_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    table = pa.table({"id": [1, 2, 3], "text": ["one\nline two", 'say "hi"', "plain"]})
    pacsv.write_csv(table, path)
    assert path.read_text().count("\n") == 5
    got = count(path)
    assert got.num_samples == 3
    assert dict(got.columns) == {"id": "int64", "text": "string"}


def test_csv_type_change_after_the_first_block_still_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.adapters import arrow

    monkeypatch.setattr(arrow, "_CSV_BLOCK", 1024)
    monkeypatch.setattr(arrow, "_COUNT_BLOCKS", (1024,))
    path = tmp_path / "c.csv"
    path.write_text("n\n" + "1\n" * 2000 + "abc\n")
    assert count(path).num_samples == 2001


@pytest.mark.parametrize("block", [256, 300, 1000])
def test_csv_columns_are_those_of_the_whole_files_first_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Types are read from the first two blocks' bytes only, which may end inside a
    record; they must be the types the reader infers from the whole file."""
    from gittrain.adapters import arrow

    monkeypatch.setattr(arrow, "_CSV_BLOCK", block)
    monkeypatch.setattr(arrow, "_COUNT_BLOCKS", (64, 4096))
    path = tmp_path / "c.csv"
    rows = [f'{i},"line one\nline {i}",{i}' for i in range(200)]
    path.write_text("id,text,score\n" + "\n".join(rows) + '\n7,"x",2.5\nabc,"y",z\n')
    whole = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=block),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
    )
    expected = {f.name: str(f.type) for f in whole.schema}
    got = count(path)
    assert got.num_samples == 202
    assert dict(got.columns) == expected == {"id": "int64", "text": "string", "score": "int64"}


def test_csv_record_longer_than_the_first_count_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.adapters import arrow

    path = tmp_path / "c.csv"
    # Quotes inside an unquoted field (a literal "" here) make pyarrow count it.
    path.write_text('a,b\n1,x\n2,"' + "y\n" * 500 + '"\n3,z\n4,5"" screen\n')
    monkeypatch.setattr(arrow, "_COUNT_BLOCKS", (64, 4096))
    assert count(path).num_samples == 4
    monkeypatch.setattr(arrow, "_COUNT_BLOCKS", (64, 256))
    with pytest.raises(GittrainError, match=r"^c.csv: a record longer than 256 bytes; gittrain"):
        count(path)


@pytest.mark.parametrize(
    "text", ['a,b\n1,"ok"\n2,"never closed\n3,x\n', 'a,b\n1,"ok"\n"never closed,2\n3,x\n']
)
def test_csv_unterminated_quote(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(GittrainError, match=r"^c.csv:3: unterminated quoted field$"):
        count(path)


def test_json_counts_the_top_level_array(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    path.write_text(json.dumps([{"a": 1}, {"a": 2, "b": [1]}]))
    got = count(path)
    assert got.num_samples == 2
    assert dict(got.columns) == {"a": "integer", "b": "array<integer>"}


def test_list_columns_name_their_element_types_and_chat_messages(tmp_path: Path) -> None:
    chat = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": None}]
    parts = [{"role": "user", "content": [{"type": "text", "text": "hi"}], "name": "u"}]
    records = [
        {"messages": chat, "tags": [], "mixed": [1, "a"], "shaped": [{"from": "human"}]},
        {"messages": parts, "tags": ["x"], "mixed": [], "shaped": [{"role": "user"}]},
        {"messages": [], "tags": [], "nested": [[1]], "empty": []},
    ]
    for name, text in [
        ("c.jsonl", "".join(json.dumps(r) + "\n" for r in records)),
        ("c.json", json.dumps(records)),
    ]:
        path = tmp_path / name
        path.write_text(text)
        assert dict(count(path).columns) == {
            "empty": "array",  # only ever empty: nothing to tell
            "messages": "array<message>",  # [] beside messages is still chat
            "mixed": "array<integer|string>",
            "nested": "array<array>",
            "shaped": "array<object>",  # ShareGPT's {from, value}, or role without content
            "tags": "array<string>",
        }


def test_list_column_types_look_at_the_first_elements_only(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps({"v": [0.5] * counting.ELEMENTS + ["late"]}) + "\n")
    assert dict(count(path).columns) == {"v": "array<number>"}


def test_json_must_be_an_array(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    path.write_text('{"a": 1}')
    with pytest.raises(GittrainError, match="must be a top-level array"):
        count(path)
    path.write_text('[{"a": 1},')
    with pytest.raises(GittrainError, match=r"^j.json:1:\d+: malformed JSON"):
        count(path)


def test_detect_format() -> None:
    assert formats.detect_format("d/x.JSONL") == "jsonl"
    assert formats.detect_format("d/x.pq") == "parquet"
    assert formats.detect_format("d.v2/README") is None
    assert formats.detect_format("x.txt") is None


LINES = st.sampled_from(
    ['{"a": 1}', '{"b": [1, 2]}', "", "   ", "[1, 2]", '"text"', "7", '{"c": "}"}', "\r"]
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(LINES, max_size=60),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    chunk=st.integers(min_value=1, max_value=64),
    head=st.integers(min_value=0, max_value=5),
)
def test_jsonl_count_equals_a_line_by_line_reference(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    lines: list[str],
    crlf: bool,
    final_newline: bool,
    chunk: int,
    head: int,
) -> None:
    text = ("\r\n" if crlf else "\n").join(lines) + ("\n" if final_newline else "")
    path = tmp_path_factory.mktemp("h") / "x.jsonl"
    path.write_bytes(text.encode())
    expected = sum(1 for line in text.encode().split(b"\n") if line.strip())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(counting, "CHUNK", chunk)
        mp.setattr(counting, "HEAD_RECORDS", head)
        assert counting.count(path, "jsonl", "x.jsonl").num_samples == expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(JSON_VALUES, max_size=12),
    indent=st.sampled_from([None, 1]),
    block=st.integers(min_value=1, max_value=40),
    cut=st.integers(min_value=0, max_value=400),
)
def test_json_array_read_in_blocks_matches_json_loads(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    records: list[object],
    indent: int | None,
    block: int,
    cut: int,
) -> None:
    """Counted in blocks of any size, a JSON dataset gives json.loads's length, and a
    damaged one (cut short, or with a byte dropped) fails where json.loads fails."""
    text = json.dumps(records, indent=indent)
    damaged = text[:cut] + text[cut + 1 :] if cut < len(text) else text
    path = tmp_path_factory.mktemp("j") / "x.json"
    for doc in (text, damaged):
        path.write_text(doc)
        try:
            expected: object = json.loads(doc)
        except json.JSONDecodeError as exc:
            expected = f"x.json:{exc.lineno}:{exc.colno}: malformed JSON"
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(counting, "CHUNK", block)
            try:
                got: object = counting.count(path, "json", "x.json").num_samples
            except GittrainError as exc:
                got = str(exc)
        if isinstance(expected, list):
            assert got == len(expected)
        elif isinstance(expected, str):
            assert isinstance(got, str)
            assert got.startswith(expected), (doc, got)
        else:
            assert isinstance(got, str)
            assert "must be a top-level array" in got


def test_json_dataset_in_utf16_and_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "u.json"
    for encoding in ("utf-16", "utf-8-sig", "utf-32"):
        path.write_bytes(json.dumps([{"a": "é"}, {"a": "ü"}]).encode(encoding))
        assert count(path).num_samples == 2, encoding
    path.write_bytes(b'[{"a": "\xff"}]')
    with pytest.raises(GittrainError, match=r"^u.json: malformed JSON: not valid utf-8$"):
        count(path)


def test_json_record_longer_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "CHUNK", 16)
    monkeypatch.setattr(counting, "MAX_RECORD", 1 << 10)
    path = tmp_path / "l.json"
    path.write_text(json.dumps([{"a": 1}, {"t": "x" * 900}, {"a": 2}]))
    assert count(path).num_samples == 3
    path.write_text('[{"a": 1},\n {"t": "' + "x" * 5000 + '"}]')
    with pytest.raises(GittrainError, match=r"^l.json:2:2: a record of more than 0 MiB"):
        count(path)


def test_jsonl_line_longer_than_the_limit_is_checked_for_shape_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "CHUNK", 16)
    monkeypatch.setattr(counting, "MAX_RECORD", 100)
    monkeypatch.setattr(counting, "HEAD_RECORDS", 2)
    long = json.dumps({"text": "x" * 500})
    path = tmp_path / "l.jsonl"
    # A long record first (not parsed: the columns come from the others), between
    # others, after a blank long line, and last without a newline.
    path.write_text(f'{long}\n{{"a": 1}}\n{long}\n{" " * 300}\n{{"a": 2}}\n  {long} \r\n{long}')
    got = count(path)
    assert got.num_samples == 6
    assert dict(got.columns) == {"a": "integer"}
    path.write_text(f'{{"a": 1}}\n{{"a": 2}}\n[{long}]\n{{"a": 3}}\n')
    with pytest.raises(GittrainError, match=r"^l.jsonl:3: malformed JSON record: a line of 5"):
        count(path)


def test_csv_count_held_to_a_window_of_blocks_gives_the_same_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader may read only a block ahead of the rows counted (waits are bounded, so
    a block that yields no rows does not stall it): the count is the same."""
    from gittrain.adapters import arrow

    path = tmp_path / "w.csv"
    rows = "".join(f'{i},"line one\nline two {i}",{i * 0.5}\n' for i in range(3000))
    path.write_text("id,text,score\n" + rows + '3000,"' + "long\n" * 400 + '",1.5\n')
    monkeypatch.setattr(arrow, "_COUNT_BLOCKS", (512, 4096))
    monkeypatch.setattr(arrow, "_WINDOW", 1)
    monkeypatch.setattr(arrow, "_WINDOW_MIN", 0)
    monkeypatch.setattr(arrow, "_WAIT", 0.001)
    got = count(path)
    assert got.num_samples == 3001
    assert dict(got.columns) == {"id": "int64", "text": "string", "score": "double"}


CSV_FIELDS = st.sampled_from(
    [
        "",
        "a",
        "1",
        "2.5",
        '"q"',
        '"a,b"',
        '"x\ny"',
        '"say ""hi"""',
        '"\r\n"',
        ' "late"',
        'in"side',
        " ",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(min_value=1, max_value=3).flatmap(
        lambda n: st.lists(
            st.lists(CSV_FIELDS, min_size=n, max_size=n + int(n == 3)), min_size=1, max_size=12
        )
    ),
    ends=st.sampled_from(["\n", "\r\n", "\r"]),
    blank=st.integers(min_value=-1, max_value=12),
    final=st.booleans(),
    chunk=st.integers(min_value=1, max_value=48),
)
def test_csv_count_in_numpy_blocks_equals_pyarrows(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    rows: list[list[str]],
    ends: str,
    blank: int,
    final: bool,
    chunk: int,
) -> None:
    """Whatever the quoting, line ends, blank lines and block size, counting.count gives
    what pyarrow alone gives: the same count, or (when numpy cannot tell) pyarrow's error."""
    lines = [",".join(row) for row in rows]
    if 0 <= blank < len(lines):
        lines.insert(blank, "")
    text = ends.join(lines) + (ends if final else "")
    path = tmp_path_factory.mktemp("c") / "x.csv"
    path.write_bytes(text.encode())

    def outcome() -> object:
        try:
            return counting.count(path, "csv", "x.csv").num_samples
        except GittrainError as exc:
            return str(exc)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(counting, "CHUNK", chunk)
        fast = outcome()
        mp.setattr(counting, "_csv_records", lambda path: None)
        assert fast == outcome(), text


# Fields whose quotes all open fields: CsvRecords must count any file of them itself.
WELL_FORMED_FIELDS = st.sampled_from(
    [
        "",
        "a",
        "2.5",
        '""',
        '""""',
        '"q"',
        '"a,b"',
        '","',
        '"x\ny"',
        '"say ""hi"""',
        '"\r\n"',
        '"\r"',
        '"\n\n"',
        '"' + "a long line, quoted\n" * 6 + '"',
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.integers(min_value=1, max_value=3).flatmap(
        lambda n: st.lists(
            st.lists(WELL_FORMED_FIELDS, min_size=n, max_size=n), min_size=1, max_size=10
        )
    ),
    ends=st.sampled_from(["\n", "\r\n"]),
    blanks=st.lists(st.integers(min_value=0, max_value=12), max_size=3),
    final=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=16),
)
def test_csv_records_count_every_well_formed_file_in_any_blocks(
    *, rows: list[list[str]], ends: str, blanks: list[int], final: bool, cuts: list[int]
) -> None:
    """Whatever the block edges (inside a quoted field, a block with no quote inside
    one, between the quotes of an escaped pair, between CR and LF), CRLF or LF ends,
    blank lines and no final line end: bytescan.CsvRecords counts a file whose quotes
    all open fields itself, never handing it to pyarrow, and its count is pyarrow's.
    Each block sits in a larger buffer whose tail must not be read."""
    from gittrain.adapters import bytescan

    lines = [",".join(row) for row in rows]
    for blank in blanks:
        lines.insert(min(blank, len(lines)), "")
    assume(any(lines))
    data = (ends.join(lines) + (ends if final else "")).encode()
    parse = pacsv.ParseOptions(newlines_in_values=True)
    try:
        expected = pacsv.read_csv(pa.py_buffer(data), parse_options=parse).num_rows + 1
    except pa.ArrowInvalid:  # a header alone with no line end: pyarrow reads no columns
        assume(False)

    scan = bytescan.CsvRecords()
    start = 0
    for cut in sorted({cut % (len(data) + 1) for cut in cuts} | {len(data)}):
        scan.feed(bytearray(data[start:cut]) + b'\r"x,\n"', cut - start)
        start = cut
    assert scan.finish() == expected, data
