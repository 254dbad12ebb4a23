"""`git train data add` against `openssl dgst -sha256` on warm 2 GiB files (issue 14 item 2),
optionally beside another checkout, all interleaved.

    python bench/bench_data_add_warm.py [--runs 5] [--baseline /path/to/other/checkout]
        [--files big.jsonl,plain.csv,big.csv]

The files are those of bench_data_add.py (a JSONL, a CSV without quotes, and a CSV with a
quoted newline and doubled quotes in every row), made under GITTRAIN_BENCH_DIR/add-repo when
missing.  Each is read once before it is timed: the machine's page cache is small beside
every input of the bench directory, and a run that reads from disk measures the disk.
Each round runs openssl, then `python -m gittrain data add` from each checkout (stat cache
and lockfile removed, order alternating), as the only child of a fresh Python process:
wall and CPU seconds (user + sys) and peak RSS of that child.  Printed: medians, the median
of the rounds' ratios to openssl, and the load average.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_data import GIB, WORK, csv_block, git_repo, jsonl_block, write_repeated
from bench_data_add import plain_csv_block
from common import machine

HERE = Path(__file__).resolve().parent
FILES = {
    "big.jsonl": (jsonl_block, b""),
    "plain.csv": (plain_csv_block, b"id,score,text,label,pad\n"),
    "big.csv": (csv_block, b"id,prompt,answer,score\n"),
}
# Runs argv and prints the wall seconds, CPU seconds and peak RSS (KiB) of that child.
_CHILD = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "wall = time.perf_counter() - start\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(wall, use.ru_utime + use.ru_stime, use.ru_maxrss, proc.returncode)\n"
    "sys.stderr.buffer.write(proc.stderr[-400:])\n"
)


class Run:
    def __init__(self, wall: float, cpu: float, rss_mb: float) -> None:
        self.wall, self.cpu, self.rss_mb = wall, cpu, rss_mb


def child(argv: list[str], cwd: Path, env: dict[str, str]) -> Run:
    wrapped = [sys.executable, "-c", _CHILD, *argv]
    proc = subprocess.run(wrapped, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall, cpu, rss, code = proc.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(argv)} exited {code}: {proc.stderr}")
    return Run(float(wall), float(cpu), int(rss) / 1024)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another gittrain checkout to compare")
    parser.add_argument("--files", default=",".join(FILES))
    args = parser.parse_args()
    trees = {"this": HERE.parent}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for tree in trees.values():  # as any pip install does (see common.ensure_bytecode)
        compileall.compile_dir(str(tree / "gittrain"), quiet=1)
    repo = git_repo(WORK / "add-repo")
    print(f"{machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load {loadavg()}")
    print(
        "\n| file (2 GiB) | what | wall median | CPU median | peak RSS | "
        "median of round ratios to openssl (range) |"
    )
    print("|---|---|---:|---:|---:|---|")
    for name in args.files.split(","):
        make, header = FILES[name]
        path = write_repeated(repo / name, make(), 2 * GIB, header=header)
        with open(path, "rb") as handle:  # into the page cache
            while handle.read(16 << 20):
                pass
        runs: dict[str, list[Run]] = {"openssl": [], **{label: [] for label in trees}}
        for round_ in range(args.runs):
            runs["openssl"].append(child(["openssl", "dgst", "-sha256", name], repo, env))
            order = list(trees.items())
            for label, tree in order if round_ % 2 == 0 else order[::-1]:
                shutil.rmtree(repo / ".git/gittrain", ignore_errors=True)
                (repo / "gittrain.lock").unlink(missing_ok=True)
                argv = [sys.executable, "-m", "gittrain", "data", "add", name]
                runs[label].append(child(argv, repo, {**env, "PYTHONPATH": str(tree)}))
        base = [r.wall for r in runs["openssl"]]
        for label, got in runs.items():
            ratios = [r.wall / b for r, b in zip(got, base, strict=True)]
            print(
                f"| {name} | {label} | {statistics.median(r.wall for r in got):.2f} s "
                f"| {statistics.median(r.cpu for r in got):.2f} s "
                f"| {max(r.rss_mb for r in got):.0f} MB "
                f"| {statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) |",
                flush=True,
            )
    print(f"\nload average at the end: {loadavg()}")


if __name__ == "__main__":
    main()
