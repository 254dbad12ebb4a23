"""Which dataset format a file name implies (standard library only: `data status` reads it
on every run, and the counters in ``counting`` load only when something is counted)."""

from __future__ import annotations

from collections.abc import Mapping

SUFFIXES: Mapping[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
}


def detect_format(path: str) -> str | None:
    """The format a file name implies, or None."""
    dot = path.rfind(".")
    return SUFFIXES.get(path[dot:].lower()) if dot > path.rfind("/") else None
