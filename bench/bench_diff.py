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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def median_ms(cmd: list[str], cwd: Path, runs: int, env: dict[str, str]) -> float:
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True, env=env)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, check=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    bindir = Path(sys.executable).parent
    git_train = str(bindir / "git-train")
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", NO_COLOR="1")
    root = Path(tempfile.mkdtemp(prefix="bench-diff-"))
    try:
        make_repo(root)
        sample = "jobs/job-000.yaml"
        commands = {
            "git train diff HEAD~1": ["git", "train", "diff", "HEAD~1"],
            "git-train diff HEAD~1": [git_train, "diff", "HEAD~1"],
            "git diff HEAD~1 (baseline)": ["git", "diff", "HEAD~1"],
            "git train textconv FILE": ["git", "train", "textconv", sample],
            "git-train-textconv FILE (driver)": [git_train + "-textconv", sample],
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "cat FILE (baseline)": ["cat", sample],
        }
        by = {name: median_ms(cmd, root, runs, env) for name, cmd in commands.items()}
    finally:
        shutil.rmtree(root)
    width = max(map(len, by))
    for name, ms in by.items():
        print(f"{name:<{width}}  {ms:8.1f} ms")
    diff_ms, git_ms = by["git train diff HEAD~1"], by["git diff HEAD~1 (baseline)"]
    print(f"diff: git train / git diff = x{diff_ms / git_ms:.1f}  ({verdict(diff_ms, 300)})")
    tc = by["git-train-textconv FILE (driver)"]
    floor, cat = by["python -c pass (floor)"], by["cat FILE (baseline)"]
    print(
        f"textconv driver: / python -c pass = x{tc / floor:.1f}, / cat = x{tc / cat:.1f}"
        f"  ({verdict(tc, 60)})"
    )


def verdict(ms: float, goal: float) -> str:
    return f"goal <= {goal:.0f} ms {'met' if ms <= goal else 'NOT met'}"


if __name__ == "__main__":
    main()
