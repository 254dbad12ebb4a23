"""`data status` at scale (issue 14.3): against the `find -printf` stat walk at 1k, 10k and
100k files of 4 KiB, its peak RSS, and a full re-hash of the largest set against `dvc status`.

    python bench/bench_status_scale.py [--sizes 1000,10000,100000] [--runs 5]
        [--baseline /path/to/other/checkout] [--dvc /path/to/venv/bin/dvc]

Whole processes (`python -m gittrain`, bytecode compiled).  Wall and CPU seconds (user +
sys of the child, from ``os.wait4``) and peak RSS (``ru_maxrss`` of the same child).
With ``--baseline`` the same commands run from that checkout too, alternating with this
one.  Inputs live under /tmp/gittrain-bench-status, never in the repository.  `dvc status`
is made to re-hash by deleting its per-repo hash database (site cache dir
``/var/tmp/dvc/repo/<id>``, found with DVC's own ``Repo.site_cache_dir``) and ``.dvc/tmp``.
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
from collections.abc import Callable, Sequence
from pathlib import Path

from common import drop_stat_cache, machine

HERE = Path(__file__).resolve().parent
WORK = Path("/tmp/gittrain-bench-status")
OLD_NS = 1_600_000_000 * 10**9  # mtimes far in the past: no racy cache entries


class Run:
    def __init__(self, wall: float, cpu: float, rss_mb: float) -> None:
        self.wall, self.cpu, self.rss_mb = wall, cpu, rss_mb


def run(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else b""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.decode()[-500:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def gittrain(tree: Path) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    return [sys.executable, "-m", "gittrain"], env


def make_dataset(n: int, tree: Path) -> Path:
    repo = WORK / f"n{n}"
    if (repo / "gittrain.lock").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    shards = repo / "data/shards"
    for i in range(n):
        sub = shards / f"d{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        path = sub / f"f{i:06d}.bin"
        path.write_bytes(b"%08d" % i * 512)
        os.utime(path, ns=(OLD_NS, OLD_NS))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("data/\n")
    cmd, env = gittrain(tree)
    run([*cmd, "data", "add", "data/shards"], repo, env)
    return repo


def median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def interleave(variants: dict[str, Callable[[], Run]], runs: int) -> dict[str, list[Run]]:
    for fn in variants.values():
        fn()  # warm-up: page cache, bytecode, a stat cache to trust
    out: dict[str, list[Run]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            out[name].append(fn())
    return out


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_walk(sizes: list[int], runs: int, trees: dict[str, Path]) -> None:
    print("\n### `data status` at N unchanged files against `find -printf` (medians)")
    print("| files | what | wall ms | CPU ms | peak RSS MB | wall / find | goal |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for n in sizes:
        _walk_one(n, runs, trees)


def _walk_one(n: int, runs: int, trees: dict[str, Path]) -> None:
    repo = make_dataset(n, trees["this"])
    variants: dict[str, Callable[[], Run]] = {
        "find -printf": lambda: run(
            ["sh", "-c", "find data/shards -printf '%s %T@ %i\\n' >/dev/null"], repo
        ),
    }
    for label, tree in trees.items():
        cmd, env = gittrain(tree)
        variants[f"git-train -h ({label})"] = lambda c=cmd, e=env: run([*c, "-h"], repo, e)
        variants[f"data status ({label})"] = lambda c=cmd, e=env: run(
            [*c, "data", "status"], repo, e
        )
    before = loadavg()
    got = interleave(variants, runs)
    find = median(got["find -printf"], "wall")
    for name, rs in got.items():
        wall = median(rs, "wall")
        goal = ""
        if name.startswith("data status"):
            label = name[len("data status (") : -1]
            start = got[f"git-train -h ({label})"]
            limit = median(start, "wall") + 2 * find
            # CPU seconds too: on a shared machine wall time moves with the load.
            cpu = median(start, "cpu") + 2 * median(got["find -printf"], "cpu")
            verdict = "met" if wall <= limit else "NOT met"
            by_cpu = "met" if median(rs, "cpu") <= cpu else "NOT met"
            goal = (
                f"≤ start-up + 2× find: wall {limit * 1000:.0f} ms {verdict}, "
                f"CPU {cpu * 1000:.0f} ms {by_cpu}"
            )
        print(
            f"| {n:,} | {name} | {wall * 1000:.0f} | {median(rs, 'cpu') * 1000:.0f} | "
            f"{max(r.rss_mb for r in rs):.0f} | {wall / find:.2f}x | {goal} |"
        )
    print(f"| | load average before / after: {before} / {loadavg()} | | | | | |")


def dvc_repo(source: Path, dvc: str) -> Path:
    repo = WORK / f"dvc-{source.name}"
    if (repo / "data/shards.dvc").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "data").mkdir(parents=True)
    subprocess.run(["cp", "-a", str(source / "data/shards"), str(repo / "data")], check=True)
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=repo, check=True)
    subprocess.run([dvc, "add", "-q", "data/shards"], cwd=repo, check=True)
    return repo


def drop_dvc_state(repo: Path, dvc: str) -> None:
    """DVC keeps file hashes by inode/mtime/size in its site cache dir (``hashes/``,
    ``links/``) and an index under ``.dvc/tmp``: without them it re-hashes every file."""
    python = Path(dvc).parent / "python"
    code = "from dvc.repo import Repo; print(Repo('.').site_cache_dir)"
    site = subprocess.run(
        [str(python), "-c", code], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()
    shutil.rmtree(site, ignore_errors=True)
    for entry in (repo / ".dvc/tmp").iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)


def bench_rehash(n: int, runs: int, trees: dict[str, Path], dvc: str | None) -> None:
    repo = make_dataset(n, trees["this"])
    print(f"\n### Full re-hash of {n:,} files of 4 KiB (stat cache deleted), medians of {runs}")
    variants: dict[str, Callable[[], Run]] = {}
    for label, tree in trees.items():
        cmd, env = gittrain(tree)

        def cold(c: list[str] = cmd, e: dict[str, str] = env) -> Run:
            drop_stat_cache(repo)
            return run([*c, "data", "status"], repo, e)

        variants[f"gittrain data status, re-hashing ({label})"] = cold
    if dvc:
        theirs = dvc_repo(repo, dvc)

        def dvc_cold() -> Run:
            drop_dvc_state(theirs, dvc)
            return run([dvc, "status", "-q"], theirs)

        variants["dvc status, re-hashing"] = dvc_cold
    before = loadavg()
    got = interleave(variants, runs)
    base = median(next(iter(got.values())), "wall")
    print("| what | wall s | CPU s | peak RSS MB | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, rs in got.items():
        wall = median(rs, "wall")
        print(
            f"| {name} | {wall:.2f} | {median(rs, 'cpu'):.2f} | "
            f"{max(r.rss_mb for r in rs):.0f} | {wall / base:.2f}x |"
        )
    print(f"load average before / after: {before} / {loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rehash-runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another gittrain checkout to compare")
    parser.add_argument("--dvc", default=shutil.which("dvc"), help="the dvc executable")
    args = parser.parse_args()
    trees = {"this": HERE.parent}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    for tree in trees.values():  # as any pip install does (see common.ensure_bytecode)
        compileall.compile_dir(str(tree / "gittrain"), quiet=1)
    WORK.mkdir(exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    bench_walk(sizes, args.runs, trees)
    bench_rehash(max(sizes), args.rehash_runs, trees, args.dvc)


if __name__ == "__main__":
    main()
