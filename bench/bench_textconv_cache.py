"""Benchmark: `git log -p -n 200` over a config directory with gittrain's textconv driver.

A repository whose `configs/` holds the framework configs of tests/fixtures/dialects
(verl, TRL, LLaMA-Factory, axolotl, torchtune); each of 220 commits changes one value
in one of them.  `git train install --diff` is run in it, then whole processes of
`git log -p -n 200 -- configs` are timed:

* plain git (`--no-textconv`): the physical limit;
* before issue 11: the driver with git's textconv cache off, as `install --diff` left it;
* cold: the cache on (as `install --diff` now sets it) and emptied before each run;
* warm: the cache on and filled by the run before.

Slow variants are interleaved round by round so a busy neighbour slows them alike.
PYTHONDONTWRITEBYTECODE is unset for the measured processes (see common.ensure_bytecode).
Goals: warm <= 2x plain git; cold <= 0.5x before.

    .venv/bin/python bench/bench_textconv_cache.py [--runs N] [--slow-runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, ensure_bytecode, machine, median_ms, report, time_runs, tool

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT / "tests/fixtures/dialects"
COMMITS = 220
SHOWN = 200
CACHE_REF = "refs/notes/textconv/gittrain"


def environment(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@example.com",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@example.com",
        GIT_PAGER="cat",
    )
    return env


def build(root: Path, env: dict[str, str]) -> int:
    """The history; returns how many config files it holds."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    sources = sorted(FIXTURES.glob("*/valid/*.yaml"))
    texts = {}
    for source in sources:
        rel = f"configs/{source.parent.parent.name}/{source.name}"
        texts[rel] = source.read_text(encoding="utf-8")
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(texts[rel] + "bench_step: 0\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "configs")
    names = sorted(texts)
    for step in range(1, COMMITS + 1):
        rel = names[(step * 7) % len(names)]
        (root / rel).write_text(texts[rel] + f"bench_step: {step}\n", encoding="utf-8")
        git("commit", "-q", "-am", f"step {step}")
    subprocess.run(
        [tool("git-train"), "install", "--diff"], cwd=root, env=env, check=True, capture_output=True
    )
    return len(names)


def drop_cache(root: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", "update-ref", "-d", CACHE_REF], cwd=root, env=env, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of the fast variants")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of the uncached variants")
    args = parser.parse_args()
    ensure_bytecode()
    scratch = Path(tempfile.mkdtemp(prefix="gittrain-bench-textconv-"))
    try:
        home = scratch / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        root = scratch / "repo"
        root.mkdir()
        env = environment(home)
        files = build(root, env)
        log = ["git", "log", "-p", "-n", str(SHOWN), "--no-color", "--", "configs"]
        before = [
            "git",
            "-c",
            "diff.gittrain.textconv=git-train-textconv",
            "-c",
            "diff.gittrain.cachetextconv=false",
            *log[1:],
        ]
        plain = [*log[:3], "--no-textconv", *log[3:]]
        # Same output, whichever way it is produced.
        outputs = {
            subprocess.run(argv, cwd=root, env=env, capture_output=True, check=True).stdout
            for argv in (before, log)
        }
        assert len(outputs) == 1, "cached and uncached `git log -p` differ"
        shown = subprocess.run(
            ["git", "log", "--format=", "--name-only", "-n", str(SHOWN), "--", "configs"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        slow: dict[str, list[float]] = {"before": [], "cold": [], "prefill": [], "first": []}
        cpu: dict[str, list[float]] = {"before": [], "cold": [], "prefill": [], "first": []}
        install = [tool("git-train"), "install", "--diff"]
        for _ in range(args.slow_runs):
            for name, argv in (("before", before), ("cold", log), ("prefill", install)):
                drop_cache(root, env)
                wall, used = _timed_once(argv, root, env)
                slow[name].append(wall)
                cpu[name].append(used)
            # The first `git log -p` after `install --diff` filled the cache in one process.
            wall, used = _timed_once(log, root, env)
            slow["first"].append(wall)
            cpu["first"].append(used)
        notes = subprocess.run(
            ["git", "notes", "--ref", "textconv/gittrain", "list"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        warm = median_ms(time_runs(log, runs=args.runs, cwd=root, env=env))
        bare = median_ms(time_runs(plain, runs=args.runs, cwd=root, env=env))
        rows = [
            ("`git log -p` plain git (--no-textconv)", bare),
            ("textconv, cache warm", warm),
            ("textconv, cache cold", median_ms(slow["cold"])),
            ("textconv, no cache (before issue 11)", median_ms(slow["before"])),
            ("CPU time: textconv, cache cold", median_ms(cpu["cold"])),
            ("CPU time: textconv, no cache", median_ms(cpu["before"])),
            ("`git train install --diff` pre-filling the cache", median_ms(slow["prefill"])),
            ("first `git log -p` after that install", median_ms(slow["first"])),
            ("CPU time: the install's pre-fill", median_ms(cpu["prefill"])),
        ]
        report(
            f"`git log -p -n {SHOWN}` over {files} configs ({machine()})",
            rows,
            f"{len(shown)} file diffs shown; {len(notes)} conversions cached by a cold run "
            f"(without the cache git converts both sides of every diff). Medians of "
            f"{args.runs} (fast) and {args.slow_runs} (slow) runs.",
        )
        print(f"\nwarm / plain git: {warm / bare:.2f}x (goal <= 2x)")
        ratio = median_ms(slow["cold"]) / median_ms(slow["before"])
        print(f"cold / before: {ratio:.2f}x wall (goal <= 0.5x)")
        ratio = median_ms(cpu["cold"]) / median_ms(cpu["before"])
        print(f"cold / before: {ratio:.2f}x CPU (the shared machine moves wall time)")
        first = median_ms(slow["first"]) / median_ms(slow["before"])
        print(f"first run after install / before: {first:.3f}x wall (goal <= 0.5x)")
        both = (median_ms(slow["prefill"]) + median_ms(slow["first"])) / median_ms(slow["before"])
        print(f"install's pre-fill + first run / before: {both:.2f}x wall")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _timed_once(argv: list[str], root: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (git and every driver it ran) of one run, with no warm-up:
    a warm-up would fill the cache this run must find empty."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=root, env=env, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, used


if __name__ == "__main__":
    sys.exit(main())
