"""Before/after start-up figures: two installs of gittrain, the same commands, interleaved.

    .venv/bin/python bench/compare.py OTHER_VENV [--runs N]

OTHER_VENV is a second virtual environment with another checkout installed (for
example main's, made with `git worktree add` and `pip install -e .`).  Each round
runs every command once with each install, alternately, so a noisy neighbour on
the shared machine hits both alike; medians of wall-clock and CPU time (user +
system of the child) are printed.  The CPU column is the steadier one here.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import JOB
from common import BIN, ensure_bytecode, machine

STATUS_REPO = Path(os.environ.get("GITTRAIN_BENCH_DIR", "/tmp/gittrain-bench-data")) / "status-repo"


def run_once(argv: Sequence[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole-process run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-400:]!r}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def commands(bin_dir: Path, jobs: Path) -> list[tuple[str, list[str], Path]]:
    files = sorted(p.name for p in (jobs / "jobs").iterdir())
    rows = [
        ("python -c pass", [str(bin_dir / "python"), "-c", "pass"], jobs),
        ("git-train -h", [str(bin_dir / "git-train"), "-h"], jobs),
        ("git-train-textconv JOB", [str(bin_dir / "git-train-textconv"), "jobs/" + files[0]], jobs),
        (
            "git train validate (50 jobs)",
            [str(bin_dir / "git-train"), "validate", *(f"jobs/{f}" for f in files)],
            jobs,
        ),
    ]
    if (STATUS_REPO / "gittrain.lock").exists():
        rows.append(
            (
                "git train data status (1,000 files)",
                [str(bin_dir / "git-train"), "data", "status"],
                STATUS_REPO,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path, help="the other virtual environment")
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    ensure_bytecode()
    other_bin = args.other / "bin"
    ensure_bytecode(str(other_bin / "python"))
    with tempfile.TemporaryDirectory() as tmp:
        jobs = Path(tmp)
        (jobs / "jobs").mkdir()
        for i in range(50):
            (jobs / "jobs" / f"job-{i:03d}.yaml").write_text(JOB.format(i=i, steps=200 + i))
        ours, theirs = commands(BIN, jobs), commands(other_bin, jobs)
        times: dict[tuple[int, int], list[tuple[float, float]]] = {}
        for round_ in range(args.runs + 1):
            for i, pair in enumerate(zip(ours, theirs, strict=True)):
                for side, (_, argv, cwd) in enumerate(pair):
                    sample = run_once(argv, cwd)
                    if round_:  # the first round warms caches
                        times.setdefault((i, side), []).append(sample)
    print(f"machine: {machine()}; {args.runs} interleaved runs; this tree vs {args.other}")
    print("| what | this tree: wall / CPU ms | other: wall / CPU ms | CPU ratio |")
    print("|---|---:|---:|---:|")
    for i, (label, _, _) in enumerate(ours):
        cells = []
        for side in (0, 1):
            samples = times[(i, side)]
            wall = statistics.median(s[0] for s in samples) * 1000
            cpu = statistics.median(s[1] for s in samples) * 1000
            cells.append((wall, cpu))
        print(
            f"| {label} | {cells[0][0]:.1f} / {cells[0][1]:.1f} | {cells[1][0]:.1f} / "
            f"{cells[1][1]:.1f} | {cells[0][1] / cells[1][1]:.2f} |"
        )


if __name__ == "__main__":
    main()
