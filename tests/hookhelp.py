"""Shared pieces for the hook tests: job texts and running a real `git commit`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent  # the venv that has git-train

GOOD_JOB = """\
name: {name}
recipe: grpo_basic
model: Qwen/Qwen2.5-7B-Instruct
num_gpus: 8
datasets:
  train: {dataset}
config:
  algorithm: grpo
  learning_rate: 1.0e-6
  rollout_n: 8
"""

BAD_JOB = GOOD_JOB.replace("rollout_n: 8", "rollout_n: 1")
BAD_MESSAGE = (
    "jobs/{name}.yaml:10:3: error: config.rollout_n: GRPO needs at least 2 rollouts "
    "per prompt to form a group, not 1 [rollout-n]"
)


def env_with_path(*, gittrain: bool = True, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test environment, with or without the venv's git-train on PATH."""
    env = dict(os.environ)
    parts = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != BIN]
    env["PATH"] = os.pathsep.join([str(BIN), *parts] if gittrain else parts)
    env.update(extra or {})
    return env


def git_commit(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), "commit", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env or env_with_path(),
    )


def run(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, check=False, env=env or env_with_path()
    )
