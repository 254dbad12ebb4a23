"""Start-up of `git train -h` against `python -c pass`, and `git train validate` on 50 job
files against check-jsonschema with the same schema, whole processes, in one run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ensure_bytecode, machine, median_ms, report, time_runs, tool

from gittrain.core.resources import data_dir

RUNS = 21

JOB = """\
name: job-{i:03d}
recipe: {{id: grpo_basic, version: "1.0.0"}}
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: 8
datasets:
  train: gsm8k_train
config:
  algorithm: grpo
  learning_rate: 1.0e-6
  lr_scheduler: constant
  warmup_steps: 10
  weight_decay: 0.01
  max_steps: {steps}
  global_batch_size: 1024
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  context_length: 4096
  max_prompt_length: 1024
  max_response_length: 3072
  rollout_n: 8
  kl_coef: 0.001
  precision: bf16
  gradient_checkpointing: true
  seed: {i}
result:
  status: completed
  metrics: {{gsm8k_acc: 0.{i:03d}}}
"""


def main() -> None:
    ensure_bytecode()
    print(f"machine: {machine()}")
    startup = [
        ("python -c pass", median_ms(time_runs([sys.executable, "-c", "pass"], runs=RUNS))),
        ("git-train -h", median_ms(time_runs([tool("git-train"), "-h"], runs=RUNS))),
    ]
    report(
        "Start-up",
        startup,
        f"git-train -h is {startup[1][1] - startup[0][1]:.1f} ms above the bare interpreter "
        "(goal: within 60 ms).",
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "jobs").mkdir()
        files = []
        for i in range(50):
            path = root / "jobs" / f"job-{i:03d}.yaml"
            path.write_text(JOB.format(i=i, steps=200 + i))
            files.append(f"jobs/{path.name}")
        schema = str(data_dir("schemas") / "job.schema.json")
        rows = [
            (
                "check-jsonschema",
                median_ms(
                    time_runs(
                        [tool("check-jsonschema"), "--schemafile", schema, *files],
                        runs=11,
                        cwd=root,
                    )
                ),
            ),
            (
                "git train validate (schema + rules)",
                median_ms(time_runs([tool("git-train"), "validate", *files], runs=11, cwd=root)),
            ),
        ]
        report(
            "Validate 50 job files",
            rows,
            "Both check every file against job.schema.json; "
            "gittrain also runs the sanity rules and the recipe registry.",
        )


if __name__ == "__main__":
    main()
