"""`data add` of a 2 GiB JSONL against `openssl dgst -sha256`, JSONL counting on one core,
and the peak RSS of counting a CSV at two sizes.

Issue 14 item 2: hash + exact count + columns at most 1.3x openssl on 2 cores, and the
count (with its line check) at 2 GB/s or more on one core.  Item 1: counting a CSV peaks
at 150 MB or less, whatever its size.  Files live under GITTRAIN_BENCH_DIR
(/tmp/gittrain-bench-data) and are read from the page cache.
"""

from __future__ import annotations

import os
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
    # Written in the repository itself: a second copy outside it only competed for the page
    # cache with the files being timed.
    target = write_repeated(repo / "big.jsonl", jsonl_block(), 2 * GIB)
    size = target.stat().st_size
    gb = size / 1e9

    times, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        counting.count(target, "jsonl", "big.jsonl")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    count, count_cpu = statistics.median(times), statistics.median(cpu)
    print("| measure | value | goal | result |\n|---|---|---|---|")
    row(
        "JSONL exact count + line check, one thread (wall; CPU)",
        f"{count:.2f} s ({gb / count:.2f} GB/s); CPU {count_cpu:.2f} s ({gb / count_cpu:.2f} GB/s)",
        "≥ 2 GB/s",
        "met"
        if gb / count >= 2
        else f"NOT met ({'met' if gb / count_cpu >= 2 else 'not met'} per CPU-second)",
    )

    for name, block, header in (
        ("big.jsonl", None, b""),
        ("big.csv", csv_block(), b"id,prompt,answer,score\n"),
    ):
        path = repo / name
        if block is not None:
            write_repeated(path, block, 2 * GIB, header=header)
        add_against_openssl(repo, path)

    print("\n| peak RSS of `git train data add` (child) | 512 MiB | 2 GiB | goal | result |")
    print("|---|---:|---:|---|---|")
    for fmt, block, header in (
        ("jsonl", jsonl_block(), b""),
        ("json", None, b""),
        ("csv", csv_block(), b"id,prompt,answer,score\n"),
    ):
        peaks = []
        for size in (GIB // 2, 2 * GIB):
            path = repo / f"rss-{size >> 20}.{fmt}"
            if fmt == "json":
                write_json_array(path, size)
            else:
                write_repeated(path, block or b"", size, header=header)
            peak, _, status, err = add_rss(repo, path)
            if status != 0:
                raise SystemExit(f"data add {path.name} exited {status}: {err}")
            peaks.append(peak)
        worst = max(peaks)
        print(
            f"| {fmt} | {peaks[0]:.0f} MB | {peaks[1]:.0f} MB | ≤ 150 MB, flat "
            f"| {'met' if worst <= 150 else 'NOT met'} |",
            flush=True,
        )

    gb = int(os.environ.get("GITTRAIN_BENCH_LONG_LINE_GB", "20"))
    for fmt in ("jsonl", "json", "csv"):
        # A sparse file: one line of NUL bytes that takes no disk and no page cache.
        path = repo / f"single-line-{gb}g.{fmt}"
        if not path.exists():
            with open(path, "wb") as f:
                f.truncate(gb * 10**9)
        peak, seconds, code, err = add_rss(repo, path)
        row(
            f"`data add` of a {gb} GB single-line .{fmt}: peak RSS, wall, exit",
            f"{peak:.0f} MB, {seconds:.1f} s, exit {code}: {err}",
            "bounded; one-line error",
            "met" if peak <= 150 and code == 1 and err.count("\n") == 0 else "NOT met",
        )


def add_against_openssl(repo: Path, path: Path) -> None:
    def add() -> None:
        drop_stat_cache(repo)
        (repo / "gittrain.lock").unlink(missing_ok=True)
        sh([tool("git-train"), "data", "add", path.name], cwd=repo)

    openssl, ours = paired(lambda: sh(["openssl", "dgst", "-sha256", str(path)]), add, RUNS)
    gb = path.stat().st_size / 1e9
    row(
        f"`openssl dgst -sha256` of {path.name}",
        f"{openssl:.2f} s ({gb / openssl:.2f} GB/s)",
        "",
        "",
    )
    ratio = ours / openssl
    row(
        f"`git train data add {path.name}` (hash + count + columns, cold stat cache)",
        f"{ours:.2f} s",
        "≤ 1.3× openssl",
        f"{ratio:.2f}×: {'met' if ratio <= 1.3 else 'NOT met'}",
    )


def write_json_array(path: Path, size: int) -> None:
    """A JSON dataset (one top-level array) of about ``size`` bytes."""
    if path.exists() and path.stat().st_size >= size * 0.99:
        return
    records = jsonl_block().decode().strip().split("\n")
    body = ",\n".join(records).encode()
    with open(path, "wb") as f:
        f.write(b"[\n")
        written = 0
        while written < size:
            f.write(body + (b",\n" if written + len(body) < size else b"\n"))
            written += len(body) + 2
        f.write(b"]\n")


def add_rss(repo: Path, path: Path) -> tuple[float, float, int, str]:
    """Peak RSS (MB), wall seconds, exit code and stderr of `git train data add PATH` run as
    the only child of a fresh Python process (so RUSAGE_CHILDREN is that child alone)."""
    drop_stat_cache(repo)
    (repo / "gittrain.lock").unlink(missing_ok=True)
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t,"
        " p.returncode); print(p.stderr.strip())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, tool("git-train"), "data", "add", str(path)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n", 1)
    peak, seconds, status = out[0].split()
    return int(peak) / 1024, float(seconds), int(status), out[1].strip()


if __name__ == "__main__":
    main()
