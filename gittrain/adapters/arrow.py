"""Arrow, Parquet and CSV through pyarrow: the only module that imports ``pyarrow``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


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
