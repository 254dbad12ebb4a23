"""Dataset lockfile benchmarks: hashing, sharded hashing, stat-only status, counting, DVC.

Large inputs live under /tmp/gittrain-bench-data (reused between runs), never in the repo.
Everything is read from the page cache (the machine has far more RAM than the inputs),
so these are CPU figures, not disk figures.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import drop_stat_cache, ensure_bytecode, machine, tool

from gittrain.commands.data_status import status
from gittrain.core.data import counting, hashing

WORK = Path(os.environ.get("GITTRAIN_BENCH_DIR", "/tmp/gittrain-bench-data"))
GIB = 1 << 30
DVC = Path(os.environ.get("GITTRAIN_BENCH_DVC", "/tmp/dvc-venv/bin/dvc"))
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_CONFIG_NOSYSTEM": "1"}


def median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired(a: Callable[[], object], b: Callable[[], object], runs: int) -> tuple[float, float]:
    """Medians of ``a`` and ``b`` run alternately, so a noisy neighbour hits both alike."""
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(median(a, 1))
        times_b.append(median(b, 1))
    return statistics.median(times_a), statistics.median(times_b)


def sh(argv: Sequence[str], cwd: Path | None = None, ok: Sequence[int] = (0,)) -> None:
    proc = subprocess.run(list(argv), cwd=cwd, env=ENV, capture_output=True, check=False)
    if proc.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-400:]}"
        )


def timed(argv: Sequence[str], cwd: Path | None = None, ok: Sequence[int] = (0,)) -> float:
    start = time.perf_counter()
    sh(argv, cwd, ok)
    return time.perf_counter() - start


def git_repo(path: Path) -> Path:
    if not (path / ".git").exists():
        path.mkdir(parents=True, exist_ok=True)
        sh(["git", "init", "-q", str(path)])
    return path


def write_repeated(path: Path, block: bytes, size: int, header: bytes = b"") -> Path:
    """``size`` bytes of ``block`` repeated (whole blocks), unless the file already exists."""
    if path.exists() and path.stat().st_size >= size - len(block):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(header)
        for _ in range(size // len(block)):
            f.write(block)
    return path


def jsonl_block() -> bytes:
    rows = []
    for i in range(1000):
        record = {
            "id": i,
            "prompt": f"Solve step by step: what is {i} + {i * 7}?",
            "answer": f"The answer is {i * 8}. " * 12,
        }
        rows.append(json.dumps(record) + "\n")
    return "".join(rows).encode()


def csv_block() -> bytes:
    rows = []
    for i in range(1000):
        rows.append(
            f'{i},"Solve: {i} + {i * 7}?\nShow your work.","The answer is {i * 8}. '
            f'""quoted"" {"x" * 150}",{i * 0.5}\n'
        )
    return "".join(rows).encode()


def age_tree(path: Path) -> None:
    """mtime 60 s back: stat-cache entries are then not racy, as for data not just written."""
    past = time.time() - 60
    for file in path.rglob("*"):
        if file.is_file():
            os.utime(file, (past, past))


def row(what: str, value: str, goal: str, result: str) -> None:
    print(f"| {what} | {value} | {goal} | {result} |", flush=True)


def bench_big_file(repo: Path) -> Path:
    big = write_repeated(repo / "big.jsonl", jsonl_block(), 2 * GIB)
    size = big.stat().st_size
    openssl, ours = paired(
        lambda: sh(["openssl", "dgst", "-sha256", str(big)]),
        lambda: hashing.hash_file(big, "big.jsonl"),
        5,
    )
    gb = size / 1e9
    row(
        "sha256 of a 2 GiB file: `openssl dgst -sha256`",
        f"{openssl:.2f} s ({gb / openssl:.2f} GB/s)",
        "",
        "",
    )
    row(
        "sha256 of the same file: gittrain `hash_file` (in-process)",
        f"{ours:.2f} s ({gb / ours:.2f} GB/s)",
        "≥ 0.95× openssl",
        f"{openssl / ours:.2f}×: {'met' if openssl / ours >= 0.95 else 'NOT met'}",
    )
    wc, count = paired(
        lambda: sh(["wc", "-l", str(big)]), lambda: counting.count(big, "jsonl", "big.jsonl"), 5
    )
    row("`wc -l` on the 2 GiB JSONL (the limit)", f"{wc:.2f} s ({gb / wc:.2f} GB/s)", "", "")
    row(
        "JSONL count (exact non-empty lines, every line checked to be `{...}`)",
        f"{count:.2f} s ({gb / count:.2f} GB/s)",
        "≥ 2 GB/s",
        "met" if gb / count >= 2 else "NOT met",
    )
    return big


def bench_shards(repo: Path) -> None:
    shards = repo / "shards"
    block = os.urandom(1 << 20)
    for i in range(64):
        write_repeated(shards / f"part-{i:05d}.bin", block, 16 << 20)
    files = [(p, p.name) for p in sorted(shards.iterdir())]
    total = sum(p.stat().st_size for p, _ in files) / 1e9
    single, parallel = paired(
        lambda: hashing.hash_files(files, workers=1), lambda: hashing.hash_files(files), 7
    )
    row("64 × 16 MiB shards, one thread", f"{single:.2f} s ({total / single:.2f} GB/s)", "", "")
    row(
        f"64 × 16 MiB shards, {os.cpu_count()} threads (hashlib releases the GIL)",
        f"{parallel:.2f} s ({total / parallel:.2f} GB/s)",
        "≥ 1.7× one thread",
        f"{single / parallel:.2f}×: {'met' if single / parallel >= 1.7 else 'NOT met'}",
    )


def bench_status(root: Path) -> None:
    repo = git_repo(root / "status-repo")
    small = repo / "small"
    block = os.urandom(1 << 20)
    for i in range(1000):
        write_repeated(small / f"f{i:04d}.bin", block, 1 << 20)
    age_tree(small)
    if not (repo / "gittrain.lock").exists():
        sh([tool("git-train"), "data", "add", "small"], cwd=repo)
    sh([tool("git-train"), "data", "status"], cwd=repo)  # warms the cache
    files = [(p, p.name) for p in sorted(small.iterdir())]
    cli_warm = median(lambda: sh([tool("git-train"), "data", "status"], cwd=repo), 7)

    def cold_cli() -> None:
        drop_stat_cache(repo)
        sh([tool("git-train"), "data", "status"], cwd=repo)

    floor = median(lambda: sh([tool("git-train"), "-h"], cwd=repo), 7)
    cli_cold = median(cold_cli, 5)
    sh([tool("git-train"), "data", "status"], cwd=repo)  # the cache is warm again
    api_warm, rehash = paired(lambda: status(repo), lambda: hashing.hash_files(files), 5)
    row(
        "`data status`, 1,000 unchanged 1 MiB files, stat cache warm (whole process)",
        f"{cli_warm * 1000:.0f} ms",
        "",
        "",
    )
    row(
        "`git-train -h` (interpreter + CLI start-up: the floor of any command)",
        f"{floor * 1000:.0f} ms",
        "",
        "",
    )
    row(
        "same, stat cache deleted so every file is re-hashed (whole process)",
        f"{cli_cold * 1000:.0f} ms",
        "≥ 50× slower than warm",
        f"{cli_cold / cli_warm:.0f}×: {'met' if cli_cold / cli_warm >= 50 else 'NOT met'}",
    )
    row(
        "`status()` in-process, warm cache (no interpreter start-up)",
        f"{api_warm * 1000:.1f} ms",
        "",
        "",
    )
    row(
        "re-hashing the 1,000 files in-process (parallel)",
        f"{rehash * 1000:.0f} ms",
        "≥ 50× the in-process status",
        f"{rehash / api_warm:.0f}×: {'met' if rehash / api_warm >= 50 else 'NOT met'}",
    )


def bench_csv(root: Path) -> None:
    path = write_repeated(root / "big.csv", csv_block(), 512 << 20, b"id,prompt,answer,score\n")
    gb = path.stat().st_size / 1e9
    wc, count = paired(
        lambda: sh(["wc", "-l", str(path)]), lambda: counting.count(path, "csv", "big.csv"), 5
    )
    row(
        "`wc -l` on a 512 MiB CSV (counts lines, not records)",
        f"{wc:.2f} s ({gb / wc:.2f} GB/s)",
        "",
        "",
    )
    row(
        "CSV record count (pyarrow streaming, newlines_in_values, quote check)",
        f"{count:.2f} s ({gb / count:.2f} GB/s)",
        "≥ 0.5 GB/s",
        "met" if gb / count >= 0.5 else "NOT met",
    )


def bench_dvc_vs_gittrain(root: Path, big: Path) -> None:
    ours = git_repo(root / "gt-repo")
    theirs = git_repo(root / "dvc-repo")
    for repo in (ours, theirs):
        if not (repo / "big.jsonl").exists():
            shutil.copyfile(big, repo / "big.jsonl")
    age_tree(ours)
    drop_stat_cache(ours)
    (ours / "gittrain.lock").unlink(missing_ok=True)
    add = timed([tool("git-train"), "data", "add", "big.jsonl"], cwd=ours)
    sh([tool("git-train"), "data", "status"], cwd=ours)  # re-verifies racy entries once
    st = median(lambda: sh([tool("git-train"), "data", "status"], cwd=ours), 5)
    row(
        "gittrain `data add` on the 2 GiB JSONL (hash + exact count, cold stat cache)",
        f"{add:.2f} s",
        "",
        "",
    )
    row("gittrain `data status` on it afterwards", f"{st * 1000:.0f} ms", "", "")
    if not DVC.exists():
        row(
            "DVC",
            "not installed",
            "",
            f"`pip install dvc` into {DVC.parent.parent} failed or was not run",
        )
        return
    if not (theirs / ".dvc").exists():
        sh([str(DVC), "init", "-q"], cwd=theirs)
        sh([str(DVC), "config", "core.analytics", "false"], cwd=theirs)
    for leftover in (theirs / "big.jsonl.dvc", theirs / ".dvc/cache"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    shutil.rmtree(theirs / ".dvc/tmp", ignore_errors=True)
    if not (theirs / "big.jsonl").exists():
        shutil.copyfile(big, theirs / "big.jsonl")
    dvc_add = timed([str(DVC), "add", "-q", "big.jsonl"], cwd=theirs)
    dvc_status = median(lambda: sh([str(DVC), "status", "-q"], cwd=theirs, ok=(0, 1)), 5)
    version = subprocess.run(
        [str(DVC), "--version"], capture_output=True, text=True, env=ENV, check=False
    ).stdout.strip()
    row(
        f"DVC {version} `dvc add` on the same file (md5 + copy into its cache)",
        f"{dvc_add:.2f} s",
        "",
        f"gittrain {dvc_add / add:.1f}× faster",
    )
    row(
        "`dvc status` afterwards",
        f"{dvc_status * 1000:.0f} ms",
        "",
        f"gittrain {dvc_status / st:.1f}× faster",
    )


def main() -> None:
    ensure_bytecode()
    print(f"machine: {machine()}; inputs under {WORK}")
    print("| what | median | goal | result |\n|---|---:|---|---|")
    repo = git_repo(WORK / "repo")
    big = bench_big_file(repo)
    bench_shards(WORK)
    bench_status(WORK)
    bench_csv(WORK)
    bench_dvc_vs_gittrain(WORK, big)


if __name__ == "__main__":
    main()
