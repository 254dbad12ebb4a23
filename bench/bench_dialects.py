"""Framework configs (issue 10): `validate` on 250 of them against 250 job files, and
textconv per file before and after the dialect layer.

1. Two real git repositories: 250 framework-shaped configs under ``configs/`` (the
   valid fixtures of ``tests/fixtures/dialects/*/valid``, cycled, each with one value
   changed so every file is distinct) and 250 gittrain job files (the foundation
   benchmark's template).  `git train validate FILES` over each, whole processes,
   alternately; goal: framework configs <= 1.5x the jobs.
2. The textconv driver on a recipe, a job and three framework configs (verl's full
   tree, TRL, LLaMA-Factory), this tree against an older tree (``--old``, a checkout
   of the pre-dialect commit made with ``git worktree add``), interleaved.  Both trees
   are run by this interpreter through ``PYTHONPATH`` with fresh bytecode and without
   PYTHONDONTWRITEBYTECODE.  Goal: "stays where it is" (within ~5 %).
3. In-process `validate` of one framework file and of one job file: the first call
   in a fresh process (which builds the dialect) and warm repeats.
4. The same textconv runs counted in instructions by valgrind's callgrind (when
   installed): exact and repeatable, so old and new compare without the noise of
   the shared machine.

    .venv/bin/python bench/bench_dialects.py [--runs N] [--old /tmp/bench11_old] [--only PART]

Without ``--old`` (or when it does not exist), parts 2 and 4 measure this tree only.
Make the old tree with ``git worktree add --detach /tmp/bench11_old c6126de``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import JOB
from common import machine, tool

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "dialects"
COUNT = 250
GOAL_VALIDATE = 1.5
GOAL_TEXTCONV = 1.05
# What a distinct copy changes: the first plain value of one of these keys.
_VARY = re.compile(
    r"^(?P<key>\s*(?:output_dir|experiment_name|project_name|run_name|wandb_project|seed"
    r"|save_steps|logging_steps)):[ \t]+(?P<value>[^\s#${}\[\]'\"]+)[ \t]*$",
    re.MULTILINE,
)
# The driver exactly as the console script runs it.
# As the console script runs it: script() where the tree has it (it skips the interpreter's
# teardown), main() in the pre-dialect tree.
DRIVER = (
    "import sys, gittrain.textconv_driver as d; "
    "d.script() if hasattr(d, 'script') else sys.exit(d.main())"
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of every timed process: bytecode is used (as a wheel would be)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env.update(NO_COLOR="1", **extra)
    return env


def precompile(tree: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "gittrain")],
        env=clean_env(),
        check=True,
        capture_output=True,
    )


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*/valid/*.yaml"))


def variant(text: str, i: int) -> str:
    """``text`` with one value changed (so the copies differ) and nothing else."""
    found = _VARY.search(text)
    if found is None:
        raise SystemExit("a fixture has no value the benchmark knows how to vary")
    value = found["value"]
    new = str(int(value) + i) if value.isdigit() else f"{value}-{i:03d}"
    return text[: found.start("value")] + new + text[found.end("value") :]


def make_repo(root: Path, files: dict[str, str]) -> list[str]:
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@example.com")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "bench input")
    return sorted(files)


def config_files() -> dict[str, str]:
    sources = fixtures()
    out: dict[str, str] = {}
    for i in range(COUNT):
        src = sources[i % len(sources)]
        out[f"configs/{src.parent.parent.name}/{i:03d}-{src.name}"] = variant(src.read_text(), i)
    if len(set(out.values())) != COUNT:
        raise SystemExit("the framework configs are not all distinct")
    return out


def job_files() -> dict[str, str]:
    return {f"jobs/job-{i:03d}.yaml": JOB.format(i=i, steps=200 + i) for i in range(COUNT)}


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, bytes]:
    """Wall and CPU (user + system of the child) seconds of one whole-process run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv[:4])} ... exited {proc.returncode}: "
            f"{(proc.stdout + proc.stderr).decode()[-600:]}"
        )
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, proc.stdout


Samples = list[tuple[float, float]]


def interleaved(
    cases: Sequence[tuple[Sequence[str], Path, dict[str, str]]], runs: int
) -> list[Samples]:
    """``runs`` rounds (after one warm-up round); each round runs every case once,
    in an order that alternates between rounds so neither side always goes first."""
    out: list[Samples] = [[] for _ in cases]
    order = list(range(len(cases)))
    for round_ in range(runs + 1):
        for i in order if round_ % 2 else reversed(order):
            argv, cwd, env = cases[i]
            wall, cpu, _ = run_once(argv, cwd, env)
            if round_:
                out[i].append((wall, cpu))
    return out


def med(samples: Samples, which: int) -> float:
    return statistics.median(s[which] for s in samples) * 1000


def spread(samples: Samples, which: int) -> str:
    values = sorted(s[which] * 1000 for s in samples)
    quart = len(values) // 4
    return f"{values[quart]:.0f}-{values[-quart - 1]:.0f}"


def check_dialects(root: Path, files: Sequence[str]) -> dict[str, int]:
    """Every config validates cleanly and in the dialect its fixture is written in."""
    proc = subprocess.run(
        [tool("git-train"), "validate", "--format", "json", *files],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"validate of the configs failed: {proc.stdout.decode()[-800:]}")
    report = json.loads(proc.stdout)
    seen: dict[str, int] = {}
    for entry in report["files"]:
        expected = entry["path"].split("/")[1]
        if entry.get("dialect") != expected:
            raise SystemExit(f"{entry['path']}: read as {entry.get('dialect')}, not {expected}")
        seen[expected] = seen.get(expected, 0) + 1
    return seen


def bench_validate(tmp: Path, runs: int) -> tuple[float, float]:
    configs = make_repo(tmp / "configs-repo", config_files())
    jobs = make_repo(tmp / "jobs-repo", job_files())
    dialects = check_dialects(tmp / "configs-repo", configs)
    env = clean_env()
    cases = [
        ([tool("git-train"), "validate", *jobs], tmp / "jobs-repo", env),
        ([tool("git-train"), "validate", *configs], tmp / "configs-repo", env),
        ([sys.executable, "-c", "pass"], tmp, env),
    ]
    jobs_s, configs_s, floor = interleaved(cases, runs)
    wall = med(configs_s, 0) / med(jobs_s, 0)
    cpu = med(configs_s, 1) / med(jobs_s, 1)
    print(f"\n### validate: {COUNT} framework configs vs {COUNT} job files, {runs} rounds")
    print(
        f"configs per dialect: {', '.join(f'{k} {v}' for k, v in sorted(dialects.items()))} "
        f"(from {len(fixtures())} valid fixtures; all 0 errors, each in its own dialect)"
    )
    print("| what | wall ms (median) | wall IQR | CPU ms (median) |")
    print("|---|---:|---:|---:|")
    for label, s in (
        ("python -c pass", floor),
        (f"git train validate, {COUNT} job files", jobs_s),
        (f"git train validate, {COUNT} framework configs", configs_s),
    ):
        print(f"| {label} | {med(s, 0):.1f} | {spread(s, 0)} | {med(s, 1):.1f} |")
    verdict = "met" if max(wall, cpu) <= GOAL_VALIDATE else "NOT met"
    print(
        f"ratio configs / jobs: wall {wall:.2f}x, CPU {cpu:.2f}x "
        f"(goal <= {GOAL_VALIDATE}x: {verdict})"
    )
    return wall, cpu


def textconv_inputs(tmp: Path) -> list[tuple[str, Path]]:
    job = tmp / "job-000.yaml"
    job.write_text(JOB.format(i=0, steps=200))
    recipe = ROOT / "recipes" / "grpo_basic.yaml"
    return [
        ("recipe (recipes/grpo_basic.yaml)", recipe),
        ("job (the foundation job)", job),
        ("verl, full tree (grpo_qwen2_7b_full)", FIXTURES / "verl/valid/grpo_qwen2_7b_full.yaml"),
        ("TRL (grpo)", FIXTURES / "trl/valid/grpo.yaml"),
        ("LLaMA-Factory (llama3_lora_sft)", FIXTURES / "llamafactory/valid/llama3_lora_sft.yaml"),
    ]


def bench_textconv(tmp: Path, old: Path | None, runs: int) -> list[float]:
    """The driver on each input with each tree, alternately; returns the CPU ratios."""
    cwd = tmp / "textconv"  # like git: the top of a work tree with no .gittrain.yaml
    cwd.mkdir()
    git(cwd, "init", "-q")
    trees = [("this tree", ROOT)] + ([("old", old)] if old is not None else [])
    for _, tree in trees:
        precompile(tree)
    inputs = textconv_inputs(tmp)
    cases = [([sys.executable, "-c", "pass"], cwd, clean_env())]
    for _, path in inputs:
        for _, tree in trees:
            cases.append(
                ([sys.executable, "-c", DRIVER, str(path)], cwd, clean_env(PYTHONPATH=str(tree)))
            )
    results = interleaved(cases, runs)
    print(f"\n### textconv driver per file, {runs} interleaved rounds")
    if old is not None:
        print(f"old tree: {old} ({_head(old)}); this tree: {_head(ROOT)}")
        print("| file | old: wall / CPU ms | new: wall / CPU ms | wall ratio | CPU ratio |")
        print("|---|---:|---:|---:|---:|")
    else:
        print("| file | wall / CPU ms |")
        print("|---|---:|")
    floor = results[0]
    print(f"| python -c pass | {med(floor, 0):.1f} / {med(floor, 1):.1f} | |")
    ratios = []
    for n, (label, _) in enumerate(inputs):
        new = results[1 + n * len(trees)]
        if old is None:
            print(f"| {label} | {med(new, 0):.1f} / {med(new, 1):.1f} |")
            continue
        prev = results[2 + n * len(trees)]
        wall, cpu = med(new, 0) / med(prev, 0), med(new, 1) / med(prev, 1)
        ratios.append(cpu)
        print(
            f"| {label} | {med(prev, 0):.1f} / {med(prev, 1):.1f} | "
            f"{med(new, 0):.1f} / {med(new, 1):.1f} | {wall:.2f} | {cpu:.2f} |"
        )
    if ratios:
        worst = max(ratios)
        verdict = "met" if worst <= GOAL_TEXTCONV else "NOT met"
        print(f"worst CPU ratio new / old: {worst:.2f} (goal <= {GOAL_TEXTCONV}: {verdict})")
    return ratios


def bench_instructions(tmp: Path, old: Path | None) -> None:
    """Instructions of one driver run per input and tree, counted by valgrind's callgrind.

    Exact and repeatable (PYTHONHASHSEED=0): on a shared machine the one figure that
    does not move with the neighbours' load.  About 3 s per run under valgrind.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("\n(valgrind not found: no instruction counts)")
        return
    cwd = tmp / "instructions"
    cwd.mkdir()
    trees = [("old", old)] if old is not None else []
    trees.append(("this tree", ROOT))
    print("\n### textconv driver per file: instructions (callgrind, one run each, exact)")
    print(f"| file | {' | '.join(label for label, _ in trees)} | ratio |")
    print(f"|---|{'---:|' * len(trees)}---:|")
    for label, path in textconv_inputs(tmp):
        counts = []
        for _, tree in trees:
            argv = [sys.executable, "-c", DRIVER, str(path)]
            proc = subprocess.run(
                [valgrind, "--tool=callgrind", f"--callgrind-out-file={cwd / 'out'}", *argv],
                cwd=cwd,
                env=clean_env(PYTHONPATH=str(tree), PYTHONHASHSEED="0"),
                capture_output=True,
                check=True,
            )
            found = re.search(rb"Collected : (\d+)", proc.stderr)
            counts.append(int(found[1]) if found else 0)
        cells = " | ".join(f"{c / 1e6:.1f}M" for c in counts)
        ratio = f"{counts[-1] / counts[0]:.3f}" if len(counts) > 1 and counts[0] else ""
        print(f"| {label} | {cells} | {ratio} |")


IN_PROCESS = """\
import statistics, sys, time
from pathlib import Path
from gittrain.commands.validate import validate
from gittrain.commands.workspace import open_workspace
root, rel, repeats = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ws = open_workspace(root)
start = time.perf_counter()
result = validate(ws, [rel])
first = time.perf_counter() - start
assert result.errors == 0, result
times = []
for _ in range(repeats):
    start = time.perf_counter()
    validate(ws, [rel])
    times.append(time.perf_counter() - start)
print(first * 1000, statistics.median(times) * 1000)
"""


def bench_in_process(tmp: Path, runs: int) -> None:
    """One file validated in-process: first call in a fresh process, then warm repeats."""
    cases = [
        ("job file", tmp / "jobs-repo", "jobs/job-000.yaml"),
        ("verl full tree", tmp / "configs-repo", _first(tmp, "verl", "grpo_qwen2_7b_full")),
        ("TRL grpo", tmp / "configs-repo", _first(tmp, "trl", "grpo")),
        (
            "LLaMA-Factory lora sft",
            tmp / "configs-repo",
            _first(tmp, "llamafactory", "llama3_lora_sft"),
        ),
    ]
    firsts: list[list[float]] = [[] for _ in cases]
    warms: list[list[float]] = [[] for _ in cases]
    for _ in range(runs):
        for i, (_, root, rel) in enumerate(cases):
            _, _, out = run_once(
                [sys.executable, "-c", IN_PROCESS, str(root), rel, "20"], root, clean_env()
            )
            first, warm = (float(x) for x in out.split())
            firsts[i].append(first)
            warms[i].append(warm)
    print(f"\n### in-process validate of one file, {runs} fresh processes (20 warm repeats each)")
    print("| file | first call ms (median) | warm call ms (median) |")
    print("|---|---:|---:|")
    for i, (label, _, _) in enumerate(cases):
        print(
            f"| {label} | {statistics.median(firsts[i]):.2f} | {statistics.median(warms[i]):.2f} |"
        )


def _first(tmp: Path, dialect: str, stem: str) -> str:
    found = sorted((tmp / "configs-repo" / "configs" / dialect).glob(f"*-{stem}.yaml"))
    return found[0].relative_to(tmp / "configs-repo").as_posix()


def _head(tree: Path) -> str:
    proc = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, check=False
    )
    return proc.stdout.decode().strip() or "?"


PARTS = ("validate", "inprocess", "textconv", "instructions")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--old", type=Path, default=Path("/tmp/bench11_old"))
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        default=[],
        help="run only these parts (repeatable); instructions needs valgrind",
    )
    args = parser.parse_args()
    only = set(args.only) or set(PARTS)
    old = args.old if (args.old / "gittrain" / "textconv_driver.py").is_file() else None
    precompile(ROOT)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-dialects-"))
    try:
        if only & {"validate", "inprocess"}:
            if "validate" in only:
                bench_validate(tmp, max(7, args.runs // 3))
            else:
                make_repo(tmp / "configs-repo", config_files())
                make_repo(tmp / "jobs-repo", job_files())
            if "inprocess" in only:
                bench_in_process(tmp, max(5, args.runs // 3))
        if "textconv" in only:
            bench_textconv(tmp, old, args.runs)
        if "instructions" in only:
            bench_instructions(tmp, old)
    finally:
        shutil.rmtree(tmp)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
