"""Benchmark: `git train diff HEAD~1` and `git train textconv` against their baselines.

A repository with 200 job configs, 20 of them changed in the last commit.
`git train diff HEAD~1` (whole process) is timed next to `git diff HEAD~1`
on the same repository; `git train textconv FILE` next to `python -c pass`
(the interpreter's floor) and `cat FILE`.  Goals: diff <= 300 ms, textconv <= 60 ms.

    .venv/bin/python bench/bench_diff.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, ensure_bytecode, machine, median_ms, report, time_runs, tool

JOB = """\
name: job-{i:03d}
recipe: {{id: grpo_basic, version: "1.0.0"}}
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: 8
datasets:
  train: gsm8k_train
  eval: data/gsm8k_test.parquet
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
  rollout_n: {n}
  kl_coef: 0.001
  lora_rank: 64
  lora_alpha: 128
  precision: bf16
  output_dir: /checkpoints/job-{i:03d}
result:
  status: completed
  metrics: {{gsm8k_acc: 0.71, math_acc: 0.42}}
  started_at: "2026-11-01T10:00:00Z"
  finished_at: "2026-11-01T18:00:00Z"
  notes: "baseline run {i}"
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def make_repo(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@example.com")
    jobs = root / "jobs"
    jobs.mkdir()
    for i in range(200):
        (jobs / f"job-{i:03d}.yaml").write_text(JOB.format(i=i, lr="1.0e-6", n=8))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "200 jobs")
    for i in range(0, 200, 10):
        (jobs / f"job-{i:03d}.yaml").write_text(JOB.format(i=i, lr="5.0e-7", n=16))
    git(root, "commit", "-qam", "20 jobs changed")


def main() -> None:
    ensure_bytecode()
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", NO_COLOR="1")
    root = Path(tempfile.mkdtemp(prefix="bench-diff-"))
    try:
        make_repo(root)
        sample = "jobs/job-000.yaml"

        def ms(*argv: str) -> float:
            return median_ms(time_runs(argv, runs=runs, cwd=root, env=env))

        diff_rows = [
            ("git diff HEAD~1 (baseline)", ms("git", "diff", "HEAD~1")),
            ("git train diff HEAD~1", ms("git", "train", "diff", "HEAD~1")),
            ("git-train diff HEAD~1", ms(tool("git-train"), "diff", "HEAD~1")),
        ]
        textconv_rows = [
            ("python -c pass (floor)", ms(sys.executable, "-c", "pass")),
            ("cat FILE (baseline)", ms("cat", sample)),
            (
                "git-train-textconv FILE (the driver git runs)",
                ms(tool("git-train-textconv"), sample),
            ),
            ("git train textconv FILE (through the CLI)", ms("git", "train", "textconv", sample)),
        ]
        log_rows = log_with_textconv(root, env, max(3, runs // 4))
    finally:
        shutil.rmtree(root)
    print(f"machine: {machine()}")
    report(
        "Config diff: 200 jobs, 20 changed",
        diff_rows,
        f"Goal: git train diff HEAD~1 <= 300 ms ({verdict(diff_rows[1][1], 300)}).",
    )
    report(
        "Config diff: textconv per file",
        textconv_rows,
        f"Goal: <= 60 ms per file ({verdict(textconv_rows[2][1], 60)}).",
    )
    report(
        "git log -p -1 (20 changed configs, 40 conversions) with the textconv driver",
        log_rows,
        "diff.gittrain.cachetextconv=true stores each blob's conversion in "
        "refs/notes/textconv/gittrain; the first run fills it.",
    )


def log_with_textconv(root: Path, env: dict[str, str], runs: int) -> list[tuple[str, float]]:
    """`git log -p -1` without the driver, with it, and with git's textconv cache warm."""
    log = ("git", "log", "-p", "-1")
    plain = median_ms(time_runs(log, runs=runs, cwd=root, env=env))
    # .gitattributes is read from the work tree: no commit needed.
    subprocess.run([tool("git-train"), "install", "--diff"], cwd=root, env=env, check=True)
    driver = median_ms(time_runs(log, runs=runs, cwd=root, env=env))
    git(root, "config", "diff.gittrain.cachetextconv", "true")
    cached = median_ms(time_runs(log, runs=runs, cwd=root, env=env))  # warm-up fills it
    return [
        ("git log -p -1 (no driver)", plain),
        ("git log -p -1 through git-train-textconv", driver),
        ("same, cachetextconv on, cache warm", cached),
    ]


def verdict(ms: float, goal: float) -> str:
    return f"{ms:.1f} ms: {'met' if ms <= goal else 'not met'}"


if __name__ == "__main__":
    main()
