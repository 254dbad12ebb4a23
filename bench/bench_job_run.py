"""`git train job run NAME -- true` against plain `true`: what the launcher costs around a
command that exits at once (write the config, mark running, run, record), whole processes."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ensure_bytecode, machine, median_ms, one_job_repo, report, time_runs, tool

RUNS = 31
GOAL_MS = 250.0

JOB = """\
name: a
recipe: grpo_basic
model_size: 7B
num_gpus: 8
# comments and key order survive every run
config:
  algorithm: grpo
  learning_rate: 1.0e-6
  global_batch_size: 1024
  per_device_batch_size: 4
  rollout_n: 8
result:
  status: pending
"""


def main() -> None:
    ensure_bytecode()
    # Measured processes read their bytecode as an installed gittrain would.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    true_path = shutil.which("true") or "/bin/true"
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="gittrain-bench-run-") as tmp:
        root = Path(tmp)
        one_job_repo(root, JOB)
        plain = median_ms(time_runs([true_path], runs=RUNS, cwd=root, env=env))
        startup = median_ms(time_runs([tool("git-train"), "-h"], runs=RUNS, cwd=root, env=env))
        launched = median_ms(
            time_runs(
                [tool("git-train"), "job", "run", "a", "--", true_path],
                runs=RUNS,
                cwd=root,
                env=env,
            )
        )
    report(
        "`job run` overhead",
        [("true", plain), ("git-train -h", startup), ("git-train job run a -- true", launched)],
        note=f"{RUNS} runs each, medians; the job file is edited twice per run.",
    )
    overhead = launched - plain
    verdict = "met" if launched <= GOAL_MS else "NOT met"
    print(
        f"\njob run around `true`: {launched:.1f} ms as a whole process, {overhead:.1f} ms above "
        f"plain `true` ({launched / plain:.1f}x); {launched - startup:.1f} ms above start-up; "
        f"goal <= {GOAL_MS:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
