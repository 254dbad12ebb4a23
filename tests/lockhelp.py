"""Remote lock entries written straight into a test repository's gittrain.lock, and what
the remote-store tests share: the lockfile read back, JSONL bodies, a clean fsspec setting.

The entries are what `data add URL` records; writing them with the lockfile's own
renderer keeps these tests off the network and independent of the remote stores.
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import Repo

from gittrain.core.data import lockfile, lockstore
from gittrain.core.data.lockfile import DatasetEntry, Lockfile

HUB_COMMIT = "3f2a8e1c9b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"

GSM8K = DatasetEntry(
    name="gsm8k",
    path="hf://datasets/openai/gsm8k",
    format="dir",
    sha256="a" * 64,
    size=4_213_456,
    num_samples=7_473,
    columns={"question": "string", "answer": "string"},
    files=2,
    sha256_from="hub-lfs",
    provider={"repo": "openai/gsm8k", "revision": "main", "commit": HUB_COMMIT, "objects": 2},
    created_at="2024-05-01T10:00:00Z",
    modified_at="2024-05-01T10:00:00Z",
)
EVAL = DatasetEntry(
    name="eval",
    path="s3://team-data/eval/eval.parquet",
    format="parquet",
    sha256=None,
    size=1_048_576,
    num_samples=500,
    columns={"prompt": "string"},
    provider={"etag": '"9b2cf535f27731c974343645a3985328"', "version_id": "v1"},
    created_at="2024-05-02T10:00:00Z",
    modified_at="2024-05-02T10:00:00Z",
)
SHARDS = DatasetEntry(
    name="shards",
    path="gs://team-data/shards/",
    format="dir",
    sha256=None,
    size=123_456_789,
    num_samples=None,
    files=64,
    provider={"identity_digest": "b" * 64, "objects": 64},
    created_at="2024-05-03T10:00:00Z",
    modified_at="2024-05-03T10:00:00Z",
)
PAGE = DatasetEntry(
    name="page",
    path="https://example.org/data/page.jsonl",
    format="jsonl",
    sha256="c" * 64,
    size=2_048,
    num_samples=None,
    sha256_from="gittrain",
    provider={"etag": '"abc"'},
    created_at="2024-05-04T10:00:00Z",
    modified_at="2024-05-04T10:00:00Z",
)


def write_lock(repo: Repo, *entries: DatasetEntry, rel: str = "gittrain.lock") -> str:
    """Replace the lockfile with ``entries`` (plus what it held); returns its text."""
    path = repo.root / rel
    current = lockfile.parse(path.read_text(), rel) if path.is_file() else Lockfile()
    for entry in entries:
        current = current.with_entry(entry)
    text = lockfile.render(current)
    repo.write(rel, text)
    return text


def changed(entry: DatasetEntry, **fields: object) -> DatasetEntry:
    return entry._replace(**fields)  # type: ignore[arg-type]


def lock(repo: Repo) -> dict[str, dict[str, object]]:
    """The repository's gittrain.lock, each entry as the dict it is written from."""
    parsed = lockstore.read(repo.root, "gittrain.lock")
    return {name: entry.to_dict() for name, entry in parsed.datasets.items()}


def jsonl(n: int, extra: str = "") -> bytes:
    return b"".join(
        json.dumps({"prompt": f"q{i}{extra}", "answer": i}).encode() + b"\n" for i in range(n)
    )


def without_fsspec_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``FSSPEC_*`` variables from the environment reach the stores."""
    for var in list(os.environ):
        if var.startswith("FSSPEC_"):
            monkeypatch.delenv(var)
