"""The demo's diff section: `git train diff`, plain `git diff` through textconv, and a PR review."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitrepo

if TYPE_CHECKING:
    from gittrain.demo.tour import Step

BRANCH = "bigger-groups"


def _git(root: Path, *args: str) -> None:
    gitrepo.run(root, list(args), env=gitrepo.clean_env())


def _open_branch(root: Path) -> None:
    """A pull request: the team recipe doubles its group size, and a job follows it."""
    _git(root, "switch", "-q", "-c", BRANCH)
    recipe = root / "recipes/team_math_grpo.yaml"
    recipe.write_text(recipe.read_text().replace("rollout_n: 8", "rollout_n: 16"))
    job = root / "jobs/math-7b.yaml"
    text = re.sub(r"rollout_n: .*", "rollout_n: 16", job.read_text())
    text = re.sub(r"kl_coef: .*", "kl_coef: 0.005", text)
    job.write_text(re.sub(r"output_dir: .*", "output_dir: runs/math-7b-n16", text))
    _git(root, "commit", "-q", "-a", "-m", "Math GRPO: groups of 16")


def steps() -> list[Step]:
    from gittrain.demo.tour import Step

    return [
        Step(
            "What the last commit changed, by meaning: critical first, with ratios",
            ["git", "train", "diff", "HEAD~1"],
        ),
        Step(
            "Plain `git diff` shows the same through the textconv driver `install` set up",
            ["git", "diff", "HEAD~1", "--", "jobs/gsm8k-grpo-7b.yaml"],
            max_lines=20,
        ),
        Step(
            "A pull request, summarised for its reviewers (markdown, for a PR comment)",
            ["git", "train", "review", f"main...{BRANCH}", "--format", "markdown"],
            prepare=_open_branch,
            max_lines=45,
        ),
        Step(
            "CI can gate on it: exit 1 when anything critical or important changed",
            [
                "git",
                "train",
                "review",
                f"main...{BRANCH}",
                "--format",
                "text",
                "--fail-on",
                "important",
            ],
            expect=1,
            max_lines=6,
        ),
        Step("Back on main", ["git", "switch", "main"]),
    ]
