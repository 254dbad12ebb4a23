"""The example repository the demo builds: team recipes, jobs and real data files."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Callable
from pathlib import Path

from gittrain.adapters import arrow, gitrepo

TEAM_RECIPE = """\
# Our math GRPO setup: the built-in math recipe with the group size and
# response budget we settled on.
name: team_math_grpo
extends: math_reasoning_grpo
version: "1.2.0"
description: Math GRPO as our team runs it (rollout 8, 4k responses).
author: reasoning-team
tags: [math, grpo, team]
default_config:
  rollout_n: 8
  max_response_length: 4096
  context_length: 6144
"""

SETTINGS = """\
# gittrain settings for this repository
version: 1
recipes_dir: recipes
jobs_dir: jobs
config_dirs: [configs]
lockfile: gittrain.lock
"""

VERL_OVERRIDES = """\
# Framework-native overrides passed to verl on top of the job.
algorithm: grpo
lr: 1.0e-6
train_batch_size: 1024
num_gpus: 8
max_prompt_length: 1024
max_response_length: 3072
context_length: 4096
"""

QUESTIONS: list[tuple[str, Callable[[int], int]]] = [
    (
        "Natalia sold clips to {a} friends in April, and half as many in May. How many in all?",
        lambda a: a + a // 2,
    ),
    (
        "A shelf holds {a} books. {a} more are added, then 3 are removed. How many are left?",
        lambda a: 2 * a - 3,
    ),
    ("Tom runs {a} km a day for a week. How far does he run?", lambda a: 7 * a),
]


def run_git(root: Path, *args: str) -> None:
    gitrepo.run(root, list(args), env=gitrepo.clean_env())


def build(root: Path) -> None:
    """Create the example repository at ``root`` (which must be empty or absent)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "init", "-q", "-b", "main", str(root)], check=True, env=gitrepo.clean_env()
    )
    for key, value in (
        ("user.name", "Ada Trainer"),
        ("user.email", "ada@example.com"),
        ("commit.gpgsign", "false"),
    ):
        run_git(root, "config", key, value)
    (root / "recipes").mkdir()
    (root / "jobs").mkdir()
    (root / "configs").mkdir()
    (root / "data").mkdir()
    (root / ".gittrain.yaml").write_text(SETTINGS)
    (root / "recipes/team_math_grpo.yaml").write_text(TEAM_RECIPE)
    (root / "configs/verl_overrides.yaml").write_text(VERL_OVERRIDES)
    write_data(root / "data")
    write_third_party(root)
    (root / "README.md").write_text("# Example training repository built by `make demo`\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "Team recipe, data and settings")
    from gittrain.demo import datahistory
    from gittrain.demo.jobhistory import build_job_history

    datahistory.write_extra_formats(root / "data")
    datahistory.lock_all(root)
    build_job_history(root, midway=datahistory.grow_gsm8k)


LLAMAFACTORY_SFT = """\
# A LLaMA-Factory config copied from a blog post.  LLaMA-Factory reads YAML with
# OmegaConf (YAML 1.1 rules): see what `git train lint-yaml` says about it.
model_name_or_path: Qwen/Qwen2.5-7B-Instruct
stage: sft
finetuning_type: lora
learning_rate: 2e-5
num_train_epochs: 3.0
bf16: yes
save_steps: 0500
"""


def write_third_party(root: Path) -> None:
    """A framework config outside gittrain's directories, for the hooks section."""
    (root / "llamafactory").mkdir()
    (root / "llamafactory/sft.yaml").write_text(LLAMAFACTORY_SFT)


def write_data(data: Path) -> None:
    """Small but real JSONL, Parquet and CSV files (Parquet and CSV written with pyarrow)."""
    rng = random.Random(7)
    train = []
    for i in range(200):
        template, answer = QUESTIONS[i % len(QUESTIONS)]
        a = rng.randint(4, 90)
        train.append(
            {"id": f"gsm-{i:04d}", "prompt": template.format(a=a), "answer": str(answer(a))}
        )
    with (data / "gsm8k_train.jsonl").open("w", encoding="utf-8") as handle:
        for row in train:
            handle.write(json.dumps(row) + "\n")
    test = [
        {"id": f"gsm-test-{i:03d}", "prompt": r["prompt"], "answer": r["answer"]}
        for i, r in enumerate(train[:50])
    ]
    arrow.write_parquet(data / "gsm8k_test.parquet", test)
    chats = [
        {
            "prompt": "Write a haiku about gradients.",
            "chosen": "Loss slopes gently down,\nsteps follow the falling curve,\nminima at rest.",
            "rejected": "Gradients are vectors.",
        },
        {
            "prompt": "Explain KL divergence in one line.",
            "chosen": "How much one distribution, used as a code, wastes encoding another.",
            "rejected": "It is a distance.",
        },
    ] * 20
    arrow.write_csv(data / "preferences.csv", chats)
    # The SFT and DPO runs train on what their recipes require (prompt/completion and
    # prompt/chosen/rejected) in a format they accept; the CSV above is not one.
    with (data / "sft_pairs.jsonl").open("w", encoding="utf-8") as handle:
        for row in train[:100]:
            pair = {"prompt": row["prompt"], "completion": f"The answer is {row['answer']}."}
            handle.write(json.dumps(pair) + "\n")
    with (data / "preference_pairs.jsonl").open("w", encoding="utf-8") as handle:
        for row in chats:
            handle.write(json.dumps(row) + "\n")
