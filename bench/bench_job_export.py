"""`git train job export NAME --to F` as a whole process, for every framework, against
`git-train -h` (the start-up floor) and `git show` of the same job (git reading the blob)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ensure_bytecode, machine, median_ms, one_job_repo, report, time_runs, tool

RUNS = 21
GOAL_MS = 150.0
FRAMEWORKS = ("verl", "trl", "axolotl", "torchtune")

JOB = """\
name: a
recipe: grpo_basic
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: 8
datasets:
  train: data/gsm8k.jsonl
config:
  algorithm: grpo
  learning_rate: 1.0e-6
  global_batch_size: 1024
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  rollout_n: 8
  kl_coef: 0.001
  max_prompt_length: 1024
  max_response_length: 3072
  precision: bf16
result:
  status: pending
"""


def main() -> None:
    ensure_bytecode()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="gittrain-bench-export-") as tmp:
        root = Path(tmp)
        one_job_repo(root, JOB)
        show = median_ms(
            time_runs(["git", "show", "HEAD:jobs/a.yaml"], runs=RUNS, cwd=root, env=env)
        )
        startup = median_ms(time_runs([tool("git-train"), "-h"], runs=RUNS, cwd=root, env=env))
        rows = [("git show HEAD:jobs/a.yaml", show), ("git-train -h", startup)]
        for framework in FRAMEWORKS:
            argv = [tool("git-train"), "job", "export", "a", "--to", framework]
            rows.append(
                (
                    f"job export a --to {framework}",
                    median_ms(time_runs(argv, runs=RUNS, cwd=root, env=env)),
                )
            )
    report("`job export`", rows, note=f"{RUNS} runs each, medians; whole processes.")
    worst = max(ms for label, ms in rows[2:])
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    print(
        f"\njob export, slowest framework: {worst:.1f} ms as a whole process "
        f"({worst - startup:.1f} ms above start-up, {worst / show:.1f}x git show); "
        f"goal <= {GOAL_MS:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
