"""`data list` and `data show` over a long lockfile history, against `git log -p` of it.

The repository (built once under /tmp with `git fast-import`) has COMMITS commits that
each change one of 50 datasets; ten datasets never change after the first commit, so
`data list` must walk the whole history to credit them, the worst case.  The limit is
git printing every version of the lockfile (`git log -p -- gittrain.lock`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ensure_bytecode, machine, median_ms, report, time_runs, tool

from gittrain.core.data.lockfile import DatasetEntry, Lockfile, render

COMMITS = int(os.environ.get("GITTRAIN_BENCH_LOCK_COMMITS", "5000"))
RUNS = int(os.environ.get("GITTRAIN_BENCH_RUNS", "5"))
WORK = Path(os.environ.get("GITTRAIN_BENCH_DIR", "/tmp/gittrain-bench-data")) / "lock-history"


def build(root: Path, commits: int) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    entries = {
        f"d{i:02d}": DatasetEntry(
            f"d{i:02d}",
            f"data/d{i:02d}.jsonl",
            "jsonl",
            hashlib.sha256(str(i).encode()).hexdigest(),
            1000 + i,
            10 + i,
            {"prompt": "string", "answer": "string"},
            created_at="2024-01-01T00:00:00Z",
            modified_at="2024-01-01T00:00:00Z",
        )
        for i in range(50)
    }
    stream = []
    for c in range(commits):
        name = f"d{c % 40 + 10:02d}"  # d00..d09 never change after the first commit
        entry = entries[name]
        digest = hashlib.sha256(f"{name}{c}".encode()).hexdigest()
        entries[name] = entry._replace(sha256=digest, size=entry.size + 1)
        text = render(Lockfile(dict(entries))).encode()
        stream.append(b"commit refs/heads/main\ncommitter b <b@e> %d +0000\ndata 2\nc\n" % c)
        stream.append(b"M 100644 inline gittrain.lock\ndata %d\n%s\n" % (len(text), text))
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)


def main() -> None:
    ensure_bytecode()
    root = WORK / str(COMMITS)
    if not (root / "gittrain.lock").is_file():
        build(root, COMMITS)
    git_train = tool("git-train")
    rows = [
        ("git log -p -- gittrain.lock", ["git", "log", "-p", "--", "gittrain.lock"]),
        ("git train data list", [git_train, "data", "list"]),
        ("git train data show d00", [git_train, "data", "show", "d00"]),
        ("git train data log d00", [git_train, "data", "log", "d00"]),
    ]
    timed = [(label, median_ms(time_runs(argv, runs=RUNS, cwd=root))) for label, argv in rows]
    report(
        f"{COMMITS} commits of a 50-dataset lockfile",
        timed,
        f"{machine()}; median of {RUNS} whole-process runs",
    )


if __name__ == "__main__":
    main()
