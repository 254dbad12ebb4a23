"""`data add` of a 2 GiB JSONL against `openssl dgst -sha256`, and JSONL counting on one core.

Issue 14 item 2: hash + exact count + columns at most 1.3x openssl on 2 cores, and the
count (with its line check) at 2 GB/s or more on one core.  The file lives under
GITTRAIN_BENCH_DIR (/tmp/gittrain-bench-data) and is read from the page cache.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_data import GIB, WORK, git_repo, jsonl_block, paired, row, sh, write_repeated
from common import ensure_bytecode, machine, tool

from gittrain.core import counting

RUNS = 5


def main() -> None:
    ensure_bytecode()
    print(machine())
    repo = git_repo(WORK / "add-repo")
    big = write_repeated(WORK / "big.jsonl", jsonl_block(), 2 * GIB)
    target = repo / "big.jsonl"
    if not target.exists():
        shutil.copyfile(big, target)
    size = target.stat().st_size
    gb = size / 1e9

    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        counting.count(target, "jsonl", "big.jsonl")
        times.append(time.perf_counter() - start)
    count = statistics.median(times)
    print("| measure | value | goal | result |\n|---|---|---|---|")
    row(
        "JSONL exact count + line check, one thread",
        f"{count:.2f} s ({gb / count:.2f} GB/s)",
        "≥ 2 GB/s",
        "met" if gb / count >= 2 else "NOT met",
    )

    def add() -> None:
        (repo / ".git/gittrain/statcache.json").unlink(missing_ok=True)
        (repo / "gittrain.lock").unlink(missing_ok=True)
        sh([tool("git-train"), "data", "add", "big.jsonl"], cwd=repo)

    openssl, ours = paired(lambda: sh(["openssl", "dgst", "-sha256", str(target)]), add, RUNS)
    row("`openssl dgst -sha256` of the file", f"{openssl:.2f} s ({gb / openssl:.2f} GB/s)", "", "")
    ratio = ours / openssl
    row(
        "`git train data add` (hash + count + columns, cold stat cache)",
        f"{ours:.2f} s",
        "≤ 1.3× openssl",
        f"{ratio:.2f}×: {'met' if ratio <= 1.3 else 'NOT met'}",
    )


if __name__ == "__main__":
    main()
