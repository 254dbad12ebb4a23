"""`data add` of a 2 GiB JSONL against `openssl dgst -sha256`, JSONL counting on one core,
and the peak RSS of counting a CSV at two sizes.

Issue 14 item 2: hash + exact count + columns at most 1.3x openssl on 2 cores, and the
count (with its line check) at 2 GB/s or more on one core.  Item 1: counting a CSV peaks
at 150 MB or less, whatever its size.  Files live under GITTRAIN_BENCH_DIR
(/tmp/gittrain-bench-data) and are read from the page cache.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_data import (
    GIB,
    WORK,
    csv_block,
    git_repo,
    jsonl_block,
    paired,
    row,
    sh,
    write_repeated,
)
from common import drop_stat_cache, ensure_bytecode, machine, tool

from gittrain.core.data import counting

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
        drop_stat_cache(repo)
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

    for size in (GIB // 2, 2 * GIB):
        csv_rss(size)


def csv_rss(size: int) -> None:
    """Peak RSS of a child process that counts a CSV with quoted newlines."""
    path = write_repeated(
        WORK / f"rss-{size >> 20}.csv", csv_block(), size, header=b"id,prompt,answer,score\n"
    )
    code = (
        "import sys, resource; from pathlib import Path; from gittrain.core.data import counting; "
        "counting.count(Path(sys.argv[1]), 'csv', 'x.csv'); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    peak = int(out.stdout) / 1024
    row(
        f"count a {size >> 20} MiB CSV (quoted newlines): peak RSS, wall",
        f"{peak:.0f} MB, {elapsed:.2f} s",
        "≤ 150 MB",
        "met" if peak <= 150 else "NOT met",
    )


if __name__ == "__main__":
    main()
