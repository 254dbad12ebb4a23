"""The guided tour: each step runs the real `git train` on the example repository.

Sections are plain lists of steps so later features add their own section.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.demo import example


@dataclass(frozen=True, slots=True)
class Step:
    """Run ``argv`` (``git ...``) in the example repository and show its output."""

    title: str
    argv: Sequence[str]
    expect: int = 0
    note: str = ""
    prepare: Callable[[Path], None] | None = None
    max_lines: int = 40
    env: dict[str, str] = field(default_factory=dict)


BROKEN_JOB = """\
# A job edited by hand: three mistakes a reviewer could miss.
name: gsm8k-grpo-hotfix
recipe: grpo_basic
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: 8
datasets:
  train: data/gsm8k_train.jsonl
config:
  algorithm: grpo
  learning_rate: 2e-4
  global_batch_size: 1000
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  rollout_n: 1
  kl_coef: 0.001
  gradient_checkpointing: yes
result:
  status: pending
"""


def _write_broken(root: Path) -> None:
    (root / "jobs/gsm8k-grpo-hotfix.yaml").write_text(BROKEN_JOB)


def _fix_broken(root: Path) -> None:
    (root / "jobs/gsm8k-grpo-hotfix.yaml").unlink()


def foundation() -> list[Step]:
    return [
        Step(
            "The recipes: nine built-ins plus the team's own (recipes/)",
            ["git", "train", "recipe", "list"],
        ),
        Step("One recipe in full", ["git", "train", "recipe", "show", "grpo_basic"], max_lines=30),
        Step(
            "Apply it for a 7B model on 8 GPUs and write the job",
            [
                "git",
                "train",
                "recipe",
                "apply",
                "grpo_basic",
                "--model-size",
                "7B",
                "--gpus",
                "8",
                "--model",
                "Qwen/Qwen2.5-7B-Instruct",
                "--dataset",
                "train=data/gsm8k_train.jsonl",
                "-o",
                "jobs/gsm8k-grpo-7b.yaml",
            ],
        ),
        Step(
            "The same recipe on 6 GPUs and a 1.5B model: every adapted value has its reason",
            [
                "git",
                "train",
                "recipe",
                "apply",
                "grpo_basic",
                "--model-size",
                "1.5B",
                "--gpus",
                "6",
                "--set",
                "learning_rate=2e-6",
                "-o",
                "jobs/gsm8k-grpo-1.5b.yaml",
            ],
        ),
        Step(
            "The team recipe extends the built-in math recipe",
            [
                "git",
                "train",
                "recipe",
                "apply",
                "team_math_grpo",
                "--model-size",
                "7B",
                "--gpus",
                "16",
                "--dataset",
                "train=data/gsm8k_train.jsonl",
                "-o",
                "jobs/math-7b.yaml",
            ],
        ),
        Step("Validate everything: schema, then sanity rules", ["git", "train", "validate"]),
        Step(
            "Commit the jobs",
            ["git", "commit", "-q", "-m", "GRPO jobs for GSM8K"],
            prepare=lambda root: example.run_git(root, "add", "-A"),
        ),
        Step(
            "A hand-edited job with mistakes: each is reported with file:line and its rule",
            ["git", "train", "validate", "jobs/gsm8k-grpo-hotfix.yaml"],
            expect=1,
            prepare=_write_broken,
            note="2e-4 is read as a number (PyYAML would read a string); `yes` is not a boolean.",
        ),
        Step(
            "The same as JSON, for tools",
            ["git", "train", "validate", "--format", "json", "jobs/gsm8k-grpo-hotfix.yaml"],
            expect=1,
            max_lines=16,
        ),
        Step(
            "Check a framework config against a recipe",
            [
                "git",
                "train",
                "recipe",
                "validate",
                "configs/verl_overrides.yaml",
                "--recipe",
                "grpo_basic",
            ],
            prepare=_fix_broken,
        ),
    ]


HOOKED_JOB = "jobs/gsm8k-grpo-7b.yaml"


def _edit_job(root: Path, rollout_n: int) -> None:
    """Halve the learning rate, set the group size, train on a new (unlocked) file; stage it."""
    path = root / HOOKED_JOB
    text = re.sub(r"learning_rate: .*", "learning_rate: 5.0e-7", path.read_text())
    text = text.replace("train: data/gsm8k_train.jsonl", "train: data/gsm8k_hard.jsonl")
    path.write_text(re.sub(r"rollout_n: .*", f"rollout_n: {rollout_n}", text))
    hard = root / "data/gsm8k_hard.jsonl"
    if not hard.exists():
        lines = [f'{{"prompt": "Hard problem {i}", "answer": "{i}"}}' for i in range(40)]
        hard.write_text("\n".join(lines) + "\n")
    example.run_git(root, "add", HOOKED_JOB)


def hooks() -> list[Step]:
    return [
        Step(
            "Install the git hooks, the diff driver and the lockfile merge driver",
            ["git", "train", "install"],
        ),
        Step(
            "Any YAML: values its framework misreads (here OmegaConf), each with its fix",
            ["git", "train", "lint-yaml", "llamafactory/sft.yaml"],
            expect=1,
        ),
        Step(
            "A commit with a broken job is blocked by the pre-commit hook",
            ["git", "commit", "-m", "Lower the learning rate"],
            expect=1,
            prepare=lambda root: _edit_job(root, 1),
            note="The hook checks the staged content; the dataset is not locked yet either.",
        ),
        Step(
            "Lock the new dataset the job uses",
            ["git", "train", "data", "add", "data/gsm8k_hard.jsonl"],
            prepare=lambda root: _edit_job(root, 8),
        ),
        Step(
            "The same commit, fixed: it passes",
            ["git", "commit", "-q", "-m", "Lower the learning rate"],
            prepare=lambda root: example.run_git(root, "add", "-A"),
        ),
        Step(
            "prepare-commit-msg added the critical and important changes to the message",
            ["git", "log", "-1", "--format=%B"],
        ),
    ]


def frameworks() -> list[Step]:
    from gittrain.demo import frameworks as framework_configs

    return framework_configs.steps()


def experience() -> list[Step]:
    from gittrain.demo import jobhistory

    return jobhistory.steps()


def diffs() -> list[Step]:
    from gittrain.demo import diffstory

    return diffstory.steps()


def datasets() -> list[Step]:
    from gittrain.demo import datahistory

    return datahistory.steps()


SECTIONS: list[tuple[str, Callable[[], list[Step]]]] = [
    ("Recipes and validation", foundation),
    ("Hooks: a bad commit stopped, the fixed one through", hooks),
    ("Semantic diffs and pull-request review", diffs),
    ("Datasets: gittrain.lock, its history and lineage", datasets),
    ("Jobs and experience mined from git history", experience),
    ("Framework configs: verl, TRL and axolotl as they are", frameworks),
]


def main(argv: Sequence[str]) -> int:
    target = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="gittrain-demo-")) / "repo"
    if target.exists() and any(target.iterdir()):
        print(f"error: {target} is not empty", file=sys.stderr)
        return 2
    bin_dir = Path(sys.executable).parent
    env = {**gitrepo.clean_env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NO_COLOR", None)
    width = min(shutil.get_terminal_size((100, 20)).columns, 100)
    print(_banner("gittrain demo", width))
    print(f"Building an example training repository in {target} ...")
    example.build(target)
    failures = 0
    for heading, steps in SECTIONS:
        print("\n" + _banner(heading, width))
        for step in steps():
            failures += _run(step, target, env)
    print("\n" + _banner("done", width))
    print(f"The example repository is at {target}")
    print("Try: cd " + str(target) + " && git train -h")
    return 1 if failures else 0


def _run(step: Step, root: Path, env: dict[str, str]) -> int:
    if step.prepare is not None:
        step.prepare(root)
    print(f"\n## {step.title}")
    if step.note:
        print(textwrap.fill(step.note, 96, initial_indent="   ", subsequent_indent="   "))
    print(f"$ {' '.join(_quote(a) for a in step.argv)}")
    proc = subprocess.run(
        list(step.argv),
        cwd=root,
        env={**env, **step.env},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = (proc.stdout + proc.stderr).rstrip("\n").splitlines()
    for line in lines[: step.max_lines]:
        print(f"  {line}")
    if len(lines) > step.max_lines:
        print(f"  ... ({len(lines) - step.max_lines} more lines)")
    if proc.returncode != step.expect:
        print(f"  !! exit code {proc.returncode}, expected {step.expect}")
        return 1
    if step.expect:
        print(f"  (exit {proc.returncode}, as expected)")
    return 0


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_./=:@" for c in arg) else repr(arg)


def _banner(text: str, width: int) -> str:
    return f"== {text} " + "=" * max(0, width - len(text) - 4)
