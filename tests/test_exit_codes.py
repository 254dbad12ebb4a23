"""One situation, one exit code in every command: "cannot write" and "outside the repository"
are usage or environment problems (exit 2), as the README's exit-code rule says."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error

NEW = ("--recipe", "sft_basic", "--model-size", "7B", "--gpus", "8")
APPLY = ("recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "8")

Setup = Callable[[Repo], None]


def _file_at(rel: str) -> Setup:
    """``rel`` is a plain file where a directory is needed: nothing can be written under it."""

    def setup(repo: Repo) -> None:
        repo.write(rel, "not a directory\n")

    return setup


def _dir_at(rel: str, *, job: bool = False) -> Setup:
    """``rel`` is a directory where a file is written (after committing job ``a``)."""

    def setup(repo: Repo) -> None:
        if job:
            repo.write(
                "jobs/a.yaml", "name: a\nrecipe: sft_basic\nconfig:\n  learning_rate: 1.0e-5\n"
            )
            repo.commit("job a")
        (repo.root / rel).mkdir(parents=True)

    return setup


def _outside(repo: Repo, rel: str, content: str) -> None:
    """``rel`` is a committed symlink to a file outside the work tree."""
    target = repo.root.parent / "outside" / Path(rel).name
    target.parent.mkdir(exist_ok=True)
    target.write_text(content)
    (repo.root / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, repo.root / rel)
    repo.commit("a symlink out")


def _outside_recipe(repo: Repo) -> None:
    _outside(repo, "recipes/mine.yaml", "name: mine\nextends: sft_basic\n")


def _outside_job(repo: Repo) -> None:
    _outside(repo, "jobs/a.yaml", "name: a\nrecipe: sft_basic\nconfig: {learning_rate: 1.0e-5}\n")


def _outside_data(repo: Repo) -> None:
    _outside(repo, "data/x.jsonl", '{"prompt": "q"}\n')


CANNOT_WRITE = [
    pytest.param(_file_at("jobs"), ["job", "new", "b", *NEW], "jobs/b.yaml", id="job-new"),
    pytest.param(
        _file_at("recipes"),
        ["recipe", "new", "mine", "--from", "grpo_basic"],
        "recipes/mine.yaml",
        id="recipe-new",
    ),
    pytest.param(_file_at("out"), [*APPLY, "-o", "out/x.yaml"], "out/x.yaml", id="recipe-apply"),
    pytest.param(
        _dir_at("x.yaml"), [*APPLY, "-o", "x.yaml", "--force"], "x.yaml", id="recipe-apply-force"
    ),
    pytest.param(
        _dir_at("jobs/b.yaml", job=True),
        ["job", "clone", "a", "--name", "b", "--force"],
        "jobs/b.yaml",
        id="job-clone",
    ),
    pytest.param(
        _dir_at("out.yaml", job=True),
        ["job", "export", "a", "--to", "trl", "-o", "out.yaml", "--force"],
        "out.yaml",
        id="job-export",
    ),
    pytest.param(
        _dir_at(".gitattributes"), ["install", "--diff"], ".gitattributes", id="install-diff"
    ),
    pytest.param(
        _dir_at(".gitattributes"), ["install", "--merge"], ".gitattributes", id="install-merge"
    ),
]


@pytest.mark.parametrize(("setup", "argv", "where"), CANNOT_WRITE)
def test_cannot_write_is_exit_2(
    repo: Repo, cli: Cli, setup: Setup, argv: list[str], where: str
) -> None:
    setup(repo)
    result = cli(*argv, cwd=repo.root)
    assert_one_line_error(result, 2, where, "cannot")


OUTSIDE = [
    pytest.param(None, ["data", "add", "../x.jsonl"], "../x.jsonl", id="data-add-path"),
    pytest.param(_outside_data, ["data", "add", "data/x.jsonl"], "data/x.jsonl", id="data-add"),
    pytest.param(_outside_data, ["data", "add", "data"], "data/x.jsonl", id="data-add-dir"),
    pytest.param(None, [*APPLY, "-o", "../x.yaml"], "../x.yaml", id="recipe-apply"),
    pytest.param(None, ["diff", "HEAD", "--", "../x.yaml"], "../x.yaml", id="diff-path"),
    pytest.param(_outside_recipe, ["validate"], "recipes/mine.yaml", id="validate"),
    pytest.param(
        _outside_recipe, ["validate", "recipes/mine.yaml"], "recipes/mine.yaml", id="validate-file"
    ),
    pytest.param(
        _outside_recipe, ["recipe", "show", "mine"], "recipes/mine.yaml", id="recipe-show"
    ),
    pytest.param(
        _outside_recipe,
        ["job", "new", "b", "--recipe", "mine", *NEW[2:]],
        "recipes/mine.yaml",
        id="job-new-recipe",
    ),
    pytest.param(_outside_job, ["job", "show", "a"], "jobs/a.yaml", id="job-show"),
    pytest.param(
        _outside_job, ["job", "finish", "a", "--status", "failed"], "jobs/a.yaml", id="job-finish"
    ),
    pytest.param(_outside_job, ["job", "clone", "a", "--name", "b"], "jobs/a.yaml", id="job-clone"),
    pytest.param(
        _outside_job, ["job", "export", "a", "--to", "trl"], "jobs/a.yaml", id="job-export"
    ),
]


@pytest.mark.parametrize(("setup", "argv", "where"), OUTSIDE)
def test_outside_the_repository_is_exit_2(
    repo: Repo, cli: Cli, setup: Setup | None, argv: list[str], where: str
) -> None:
    repo.write("README.md", "x\n")
    repo.commit("start")
    if setup is not None:
        setup(repo)
    result = cli(*argv, cwd=repo.root)
    assert_one_line_error(result, 2, where, "outside the repository")


def test_recipe_list_with_a_recipe_outside_is_exit_2(repo: Repo, cli: Cli) -> None:
    # The listing still shows the rest; the file it could not read sets the code.
    _outside_recipe(repo)
    result = cli("recipe", "list", cwd=repo.root)
    assert result.code == 2, result
    assert "recipes/mine.yaml: error: resolves to " in result.out
    assert "outside the repository" in result.out
    assert "\nsft_basic " in result.out
