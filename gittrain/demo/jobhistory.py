"""The demo's run history (about 30 commits of finished jobs) and its tour section."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitrepo

if TYPE_CHECKING:
    from gittrain.demo.tour import Step

# name, recipe, model size, --set values, status, metrics, note
RUNS: list[tuple[str, str, str, tuple[str, ...], str, dict[str, float], str]] = [
    ("grpo-7b-lr1e-6", "grpo_basic", "7B", (), "completed", {"gsm8k_acc": 0.68}, ""),
    ("sft-7b-lr2e-5", "sft_basic", "7B", (), "completed", {"eval_loss": 0.92}, ""),
    ("dpo-7b-beta0.1", "dpo_basic", "7B", (), "completed", {"win_rate": 0.61}, ""),
    (
        "grpo-7b-lr2e-6",
        "grpo_basic",
        "7B",
        ("learning_rate=2e-6",),
        "failed",
        {},
        "reward collapsed after step 120",
    ),
    (
        "grpo-7b-lr5e-7",
        "grpo_basic",
        "7B",
        ("learning_rate=5e-7",),
        "completed",
        {"gsm8k_acc": 0.72},
        "",
    ),
    ("sft-7b-lr1e-4", "sft_basic", "7B", ("learning_rate=1e-4",), "failed", {}, "loss diverged"),
    ("dpo-7b-beta0.5", "dpo_basic", "7B", ("beta=0.5",), "completed", {"win_rate": 0.57}, ""),
    (
        "grpo-7b-lr5e-7-n16",
        "grpo_basic",
        "7B",
        ("learning_rate=5e-7", "rollout_n=16"),
        "completed",
        {"gsm8k_acc": 0.74},
        "",
    ),
    (
        "sft-7b-lr1e-5",
        "sft_basic",
        "7B",
        ("learning_rate=1e-5",),
        "completed",
        {"eval_loss": 0.88},
        "",
    ),
    ("dpo-7b-lr5e-6", "dpo_basic", "7B", ("learning_rate=5e-6",), "failed", {}, "NaN loss"),
    ("grpo-1.5b", "grpo_basic", "1.5B", (), "completed", {"gsm8k_acc": 0.55}, ""),
    ("grpo-7b-kl0.01", "grpo_basic", "7B", ("kl_coef=0.01",), "cancelled", {}, "preempted"),
    ("sft-1.5b", "sft_basic", "1.5B", (), "completed", {"eval_loss": 1.05}, ""),
    (
        "dpo-7b-lr1e-6",
        "dpo_basic",
        "7B",
        ("learning_rate=1e-6",),
        "completed",
        {"win_rate": 0.63},
        "",
    ),
    (
        "grpo-7b-lr7e-7",
        "grpo_basic",
        "7B",
        ("learning_rate=7e-7",),
        "completed",
        {"gsm8k_acc": 0.71},
        "",
    ),
]
# Each run trains on data with the columns its recipe requires (data-requirements).
TRAINING_DATA = {"sft_basic": "sft_pairs", "dpo_basic": "preference_pairs"}
START = calendar.timegm((2026, 10, 1, 9, 0, 0, 0, 0, 0))


def build_job_history(root: Path, midway: Callable[[Path], None] | None = None) -> None:
    """Two commits per job: created from its recipe, then finished with its result.

    ``midway`` runs (and is committed with the next job) halfway through.
    """
    from gittrain.commands.job_finish import finish
    from gittrain.commands.job_new import new_job
    from gittrain.commands.recipe_apply import ApplyOptions
    from gittrain.commands.workspace import open_workspace

    ws = open_workspace(root)
    stamp = START
    for index, (name, recipe, size, sets, status, metrics, note) in enumerate(RUNS):
        if midway is not None and index == len(RUNS) // 2:
            midway(root)
        dataset = TRAINING_DATA.get(recipe, "gsm8k")
        options = ApplyOptions(model_size=size, gpus=8, sets=sets, datasets=(f"train={dataset}",))
        new_job(ws, name, recipe, options)
        _commit(root, f"Start {name}", stamp)
        stamp += 6 * 3600
        finish(ws, name, status=status, metrics=metrics, notes=note or None, now=stamp)
        _commit(root, f"{name}: {status}", stamp)
        stamp += 18 * 3600


def _commit(root: Path, message: str, stamp: int) -> None:
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
    env = gitrepo.clean_env({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    gitrepo.run(root, ["add", "-A", "--", "jobs", "data", "gittrain.lock"], env=env)
    gitrepo.run(root, ["commit", "-q", "-m", message], env=env)


def steps() -> list[Step]:
    from gittrain.demo.tour import Step

    train = ["git", "train"]
    return [
        Step(
            "Fifteen jobs were trained and finished in this repository's history",
            ["git", "log", "--oneline", "-6", "--", "jobs/"],
        ),
        Step(
            "Which recipes work? Success rates mined from every commit",
            [*train, "experience", "recommend"],
        ),
        Step(
            "The best GRPO runs by GSM8K accuracy, with their key parameters",
            [
                *train,
                "experience",
                "best",
                "--recipe",
                "grpo_basic",
                "--metric",
                "gsm8k_acc",
                "--top",
                "3",
            ],
        ),
        Step(
            "A new job at a learning rate the history says is too high",
            [
                *train,
                "job",
                "new",
                "grpo-7b-next",
                "--recipe",
                "grpo_basic",
                "--model-size",
                "7B",
                "--gpus",
                "8",
                "--set",
                "learning_rate=2e-6",
            ],
        ),
        Step(
            "What does the history suggest? Each suggestion cites its runs",
            [*train, "experience", "suggest", "grpo-7b-next"],
        ),
        Step(
            "The finished jobs most like it",
            [*train, "experience", "similar", "grpo-7b-next", "--top", "3"],
        ),
        Step(
            "Clone the best run as it was committed, with one change",
            [
                *train,
                "job",
                "clone",
                "grpo-7b-lr5e-7-n16@HEAD",
                "--name",
                "grpo-7b-n16-seed7",
                "--set",
                "seed=7",
            ],
        ),
        Step(
            "Record its result in place (comments and key order survive)",
            [
                *train,
                "job",
                "finish",
                "grpo-7b-n16-seed7",
                "--status",
                "completed",
                "--metric",
                "gsm8k_acc=0.75",
            ],
        ),
        Step(
            "The clone next to its source: comments kept, origin recorded, result replaced",
            [
                "git",
                "diff",
                "--no-index",
                "-U1",
                "jobs/grpo-7b-lr5e-7-n16.yaml",
                "jobs/grpo-7b-n16-seed7.yaml",
            ],
            expect=1,
        ),
    ]
