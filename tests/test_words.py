"""Counted nouns and byte sizes as users read them (issue 11, item 17)."""

from __future__ import annotations

import pytest

from gittrain.core.words import counted, size_text
from tests.conftest import Repo
from tests.datahelp import run


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 runs"), (1, "1 run"), (2, "2 runs"), (-1, "-1 run"), (1200, "1200 runs")]
)
def test_counted(n: int, text: str) -> None:
    assert counted(n, "run") == text


def test_counted_grouped_and_irregular() -> None:
    assert counted(12000, "sample", grouped=True) == "12,000 samples"
    assert counted(2, "entry", "entries") == "2 entries"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (270, "270 bytes"),
        (999, "999 bytes"),
        (1000, "1 kB"),
        (1499, "1.5 kB"),
        (999_500, "1 MB"),
        (1_234_567, "1.23 MB"),
        (2_000_000_000, "2 GB"),
    ],
)
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text


def test_a_small_dataset_is_not_zero_megabytes(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("data/one.jsonl", '{"text": "' + "x" * 257 + '"}\n')  # 270 bytes, one record
    r = run(repo.root, "data", "add", "data/one.jsonl", monkeypatch=monkeypatch)
    assert r.exit_code == 0, r.output
    assert r.stdout.endswith(", 1 sample, 270 bytes\n")
    assert " 0 MB" not in r.stdout
