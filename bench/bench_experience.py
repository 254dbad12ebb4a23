"""Benchmark: `git train experience ...`, cold and warm, against the plumbing limits.

A synthetic repository (built with `git fast-import` under /tmp) of 5,000
commits over 500 job files: each commit changes one job, moving it through
pending, running and completed or failed.  Cold (no cache) is timed next to
`bench/limit_experience.py` (`git log --raw` + `cat-file --batch` + libyaml on
every version); warm (cache filled) next to a bare `git log --raw -- jobs/`.
Goals: cold <= 1.3x, warm <= 1.5x.  Then every history-mining experience command
(recommend, best, suggest, similar) asked again at the same HEAD, where each reads
its kept answer: issue 14's goal is <= 0.3 s at 50,000 versions.

    .venv/bin/python bench/bench_experience.py [--runs N] [--commits N] [--jobs N]
        [--config-files K]    # every Kth job keeps its settings in a TRL file (config_file:)
        [--repo DIR]          # build the repository in DIR once and reuse it (50k takes minutes)
        [--baseline DIR]      # also time cold mining with PYTHONPATH=DIR (an older checkout)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, median_ms, report, time_runs, tool

HERE = Path(__file__).resolve().parent
RECIPES = ("grpo_basic", "dpo_basic", "sft_basic")
STATUSES = ("pending", "running", "completed", "running", "failed")

JOB = """\
# job {i} (version {v})
name: job-{i:03d}
recipe: {{id: {recipe}, version: "1.0.0"}}
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: 8
datasets:
  train: gsm8k_train
config:
  algorithm: grpo
  learning_rate: {lr}
  global_batch_size: 1024
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  max_steps: 500
  warmup_steps: 10
  weight_decay: 0.0
  lr_scheduler: constant
  context_length: 4096
  max_prompt_length: 1024
  max_response_length: 3072
  rollout_n: 8
  kl_coef: 0.001
  precision: bf16
result:
  status: {status}
{metrics}"""


# A job whose settings live in the trainer's own file (issue 12: config_file jobs).
FILE_JOB = """\
# job {i} (version {v})
name: job-{i:03d}
recipe: {{id: {recipe}, version: "1.0.0"}}
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: 8
config_file: configs/job-{i:03d}.yaml
result:
  status: {status}
{metrics}"""

TRL_FILE = """\
model_name_or_path: Qwen/Qwen2.5-7B-Instruct
dataset_name: trl-lib/DeepMath-103K
learning_rate: {lr}
per_device_train_batch_size: 4
gradient_accumulation_steps: 32
num_generations: 8
max_prompt_length: 1024
max_completion_length: 3072
beta: 0.001
bf16: true
"""


def file_texts(i: int, version: int) -> tuple[bytes, bytes]:
    """A config_file job's version and its TRL file."""
    status = STATUSES[version % len(STATUSES)]
    metrics = ""
    if status == "completed":
        metrics = f"  metrics: {{gsm8k_acc: {0.5 + (i * 7 + version) % 40 / 100}}}\n"
        metrics += f'  finished_at: "2026-11-{1 + version % 28:02d}T10:00:00Z"\n'
    recipe = RECIPES[i % 3]
    job = FILE_JOB.format(i=i, v=version, recipe=recipe, status=status, metrics=metrics)
    return job.encode(), TRL_FILE.format(lr=f"{(i % 9 + 1)}.0e-7").encode()


def job_text(i: int, version: int) -> bytes:
    status = STATUSES[version % len(STATUSES)]
    metrics = ""
    if status == "completed":
        metrics = f"  metrics: {{gsm8k_acc: {0.5 + (i * 7 + version) % 40 / 100}}}\n"
        metrics += f'  finished_at: "2026-11-{1 + version % 28:02d}T10:00:00Z"\n'
    text = JOB.format(
        i=i,
        v=version,
        recipe=RECIPES[i % 3],
        lr=f"{(i % 9 + 1)}.0e-7",
        status=status,
        metrics=metrics,
    )
    return text.encode()


def build(root: Path, commits: int, jobs: int, config_files: int = 0) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream: list[bytes] = []
    stamp = 1_700_000_000
    for c in range(commits):
        i = c % jobs
        data = job_text(i, c // jobs)
        message = f"job-{i:03d} update {c}".encode()
        stream += [
            b"commit refs/heads/main\n",
            f"committer Bench <bench@example.com> {stamp + c * 60} +0000\n".encode(),
            f"data {len(message)}\n".encode() + message + b"\n",
        ]
        if config_files and i % config_files == 0:
            data, trl = file_texts(i, c // jobs)
            stream.append(f"M 100644 inline configs/job-{i:03d}.yaml\n".encode())
            stream.append(f"data {len(trl)}\n".encode() + trl + b"\n")
        stream.append(f"M 100644 inline jobs/job-{i:03d}.yaml\n".encode())
        stream.append(f"data {len(data)}\n".encode() + data + b"\n")
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True)


CACHES = ("history-cache.json", "history-head.json")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def forget_answers(root: Path) -> None:
    """Remove the kept answers (``.git/gittrain/answers``), which would answer for the walk."""
    shutil.rmtree(root / ".git" / "gittrain" / "answers", ignore_errors=True)


def cold_runs_blobs_kept(argv: list[str], root: Path, runs: int) -> list[float]:
    """Every version parsed already, but no walk checkpoint: one full `git log` walk."""

    head = root / ".git" / "gittrain" / "history-head.json"
    times = []
    for _ in range(runs):
        head.unlink(missing_ok=True)
        forget_answers(root)
        start = time.perf_counter()
        subprocess.run(argv, cwd=root, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def cold_timed(
    argv: list[str], root: Path, runs: int, env: dict[str, str] | None = None
) -> list[tuple[float, float]]:
    """Wall and CPU seconds (the child's user + system) of runs with no cache."""
    caches = [root / ".git" / "gittrain" / n for n in CACHES]
    times = []
    for _ in range(runs):
        for cache in caches:
            cache.unlink(missing_ok=True)
        forget_answers(root)
        times.append(
            timed(lambda: subprocess.run(argv, cwd=root, env=env, capture_output=True, check=True))
        )
    return times


def timed(run_once: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (every child's user + system) of one call."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run_once()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def halves(argv: list[str], root: Path) -> None:
    """``argv`` (a first-parent ``git log``) as mining runs it: two halves at once."""
    count = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--first-parent", "--count", "HEAD"],
        capture_output=True,
        check=True,
    ).stdout
    half = int(count) // 2
    procs = [
        subprocess.Popen([*argv, f"-n{half}"], stdout=subprocess.DEVNULL),
        subprocess.Popen([*argv, f"--skip={half}"], stdout=subprocess.DEVNULL),
    ]
    for proc in procs:
        proc.wait()


def medians(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in times), statistics.median(c for _, c in times)


def new_commit_runs(argv: list[str], root: Path, runs: int) -> list[float]:
    """Each run after one more commit that finishes a job: the incremental path."""
    times = []
    for n in range(runs):
        job = root / "jobs" / f"job-{n:03d}.yaml"
        job.write_bytes(job_text(n, 2) + f"# rerun {n}\n".encode())
        subprocess.run(["git", "-C", str(root), "commit", "-qam", f"rerun {n}"], check=True)
        start = time.perf_counter()
        subprocess.run(argv, cwd=root, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


# Each history-mining experience command, as asked again about an unchanged HEAD.
QUESTIONS = {
    "recommend": ["recommend"],
    "best": ["best", "--recipe", "grpo_basic", "--top", "5"],
    "suggest": ["suggest", "job-001"],
    "similar": ["similar", "job-001", "--top", "5"],
}


def warm_answers(root: Path, runs: int) -> list[tuple[str, float]]:
    """Each command's wall ms at the same HEAD (its first run keeps the answer), with CPU."""
    rows = []
    for name, question in QUESTIONS.items():
        argv = [tool("git-train"), "experience", *question]
        subprocess.run(argv, cwd=root, capture_output=True, check=True)  # keeps the answer
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        times = time_runs(argv, runs=runs, cwd=root)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # time_runs runs runs + 1 times, every one of them warm
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / (runs + 1)
        rows.append((f"experience {name}, warm (CPU {cpu * 1000:.0f} ms a run)", median_ms(times)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument(
        "--config-files", type=int, default=0, help="every Kth job is a config_file job"
    )
    parser.add_argument(
        "--repo", type=Path, help="build the repository here, or reuse it if it exists (kept)"
    )
    parser.add_argument(
        "--baseline", type=Path, help="a gittrain checkout to time cold beside this one"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gittrain-bench-exp-", dir="/tmp"))
    start_head = ""
    try:
        root = args.repo if args.repo is not None else tmp / "repo"
        started = time.perf_counter()
        if not (root / ".git").is_dir():
            build(root, args.commits, args.jobs, args.config_files)
        start_head = (
            subprocess.run(
                ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, check=True
            )
            .stdout.strip()
            .decode()
        )
        kind = f", every {args.config_files}th a config_file job" if args.config_files else ""
        print(
            f"built {args.commits} commits over {args.jobs} jobs{kind} in "
            f"{time.perf_counter() - started:.1f} s ({machine()})"
        )
        recommend = [tool("git-train"), "experience", "recommend"]
        limit = [sys.executable, str(HERE / "limit_experience.py"), str(root)]
        if args.config_files:
            limit += ["jobs", "configs"]  # the trainer files are part of the history to mine
        git = ["git", "-C", str(root), "log", "--first-parent", "--raw", "-z", "--no-abbrev"]
        whole = [*git, "--no-renames"]
        commands: dict[str, Callable[[], object]] = {
            "limit (log + cat-file + libyaml)": lambda: subprocess.run(
                limit, capture_output=True, check=True
            ),
            "git train experience recommend, cold": lambda: cold_timed(recommend, root, 1),
            "git log --first-parent --raw -M -- jobs gittrain.lock": lambda: subprocess.run(
                [*git, "-M", "--", "jobs", "gittrain.lock"], capture_output=True, check=True
            ),
            "git log --first-parent --raw --no-renames (no pathspec)": lambda: subprocess.run(
                whole, capture_output=True, check=True
            ),
            "the same log in two halves at once (-n N, --skip=N)": lambda: halves(whole, root),
        }
        if args.baseline is not None:
            env = {**os.environ, "PYTHONPATH": str(args.baseline)}
            commands["... cold, baseline " + str(args.baseline)] = lambda: cold_timed(
                recommend, root, 1, env
            )
        # Interleaved: each round runs every command once, so load swings hit all alike.
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command))
        rows = []
        for name, measured in times.items():
            wall, cpu = medians(measured)
            rows.append((f"{name} (CPU {cpu:.2f} s)", wall * 1000))
        report(
            "Cold: experience recommend (no cache) vs the plumbing limit, wall (and CPU)",
            rows,
            f"goal: <= 1.3x; issue 14: <= 10 s at 50,000 versions over 5,000 jobs; load {load()}",
        )
        warm = time_runs(recommend, runs=args.runs, cwd=root)
        bare = time_runs(["git", "-C", str(root), "log", "--raw", "--", "jobs/"], runs=args.runs)
        newer = new_commit_runs(recommend, root, args.runs)
        full = cold_runs_blobs_kept(recommend, root, args.runs)
        report(
            "Warm: experience recommend (cache filled) vs a bare git log",
            [
                ("git log --raw -- jobs/", median_ms(bare)),
                ("git train experience recommend, warm (same HEAD)", median_ms(warm)),
                ("... warm, one new commit since the last run", median_ms(newer)),
                ("... warm blob cache, walk from scratch", median_ms(full)),
            ],
            "goal: <= 1.5x",
        )
        report(
            "Warm: every history-mining experience command, same HEAD (the kept answer)",
            [("git log --raw -- jobs/", median_ms(bare)), *warm_answers(root, args.runs)],
            f"issue 14: each <= 300 ms at 50,000 versions; load {load()}",
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        # A kept repository: as it was built, and no cache left behind.
        if args.repo is not None and start_head:
            reset = ["git", "-C", str(root), "reset", "-q", "--hard", start_head]
            subprocess.run(reset, check=True)
            for name in CACHES:
                (root / ".git" / "gittrain" / name).unlink(missing_ok=True)
            forget_answers(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
