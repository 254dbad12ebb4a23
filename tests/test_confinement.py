"""No command reads or writes outside the work tree through a committed symlink (issue 11.1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot

JOB = (
    "name: a\nrecipe: grpo_basic\nnum_gpus: 8\nconfig:\n"
    "  algorithm: grpo\n  learning_rate: 1.0e-6\n  rollout_n: 8\n"
)
NEW = ("--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8")
APPLY = ("recipe", "apply", "grpo_basic", "--model-size", "7B", "--gpus", "8")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the repository that nothing may touch."""
    path = tmp_path / "outside"
    path.mkdir()
    (path / "a.yaml").write_text(JOB.replace("1.0e-6", "7.77e-6"))
    (path / "x.yaml").write_text("# someone else's file\n")
    return path


def _link_dir(repo: Repo, name: str, target: Path) -> None:
    os.symlink(target, repo.root / name)
    repo.commit(f"{name} is a symlink")


def _unchanged(outside: Path, cli_result: object, before: dict[str, bytes]) -> None:
    assert snapshot(outside) == before, cli_result


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["job", "new", "b", *NEW], id="job-new"),
        pytest.param(["job", "new", "x", *NEW, "--force"], id="job-new-force"),
        pytest.param([*APPLY, "-o", "jobs/c.yaml"], id="recipe-apply-o"),
        pytest.param(["job", "finish", "a", "--status", "completed"], id="job-finish"),
        pytest.param(["job", "clone", "a", "--name", "d"], id="job-clone"),
        pytest.param(["job", "show", "a"], id="job-show"),
        pytest.param(["validate", "jobs/a.yaml"], id="validate-named"),
        pytest.param(["validate"], id="validate-all"),
    ],
)
def test_a_symlinked_jobs_dir_is_refused(
    repo: Repo, cli: Cli, outside: Path, argv: list[str]
) -> None:
    _link_dir(repo, "jobs", outside)
    before_out, before_repo = snapshot(outside), snapshot(repo.root)
    result = cli(*argv, cwd=repo.root)
    assert_one_line_error(result, 2, "outside the repository")
    assert "7.77e-6" not in result.out + result.err  # nothing read out there is echoed
    _unchanged(outside, result, before_out)
    assert snapshot(repo.root) == before_repo


def test_a_symlinked_job_file_is_refused(repo: Repo, cli: Cli, outside: Path) -> None:
    (repo.root / "jobs").mkdir()
    os.symlink(outside / "a.yaml", repo.root / "jobs/a.yaml")
    repo.commit("jobs/a.yaml is a symlink")
    before = snapshot(outside)
    for argv in (["job", "finish", "a", "--status", "failed"], ["validate", "jobs/a.yaml"]):
        result = cli(*argv, cwd=repo.root)
        assert_one_line_error(result, 2, "jobs/a.yaml", "outside the repository")
        assert "7.77e-6" not in result.out
    _unchanged(outside, None, before)


def test_a_symlinked_recipes_dir_is_refused(repo: Repo, cli: Cli, outside: Path) -> None:
    _link_dir(repo, "recipes", outside)
    before = snapshot(outside)
    result = cli("recipe", "new", "mine", "--from", "grpo_basic", cwd=repo.root)
    assert_one_line_error(result, 2, "recipes/mine.yaml", "outside the repository")
    _unchanged(outside, result, before)
    listed = cli("recipe", "list", cwd=repo.root)  # reported as broken, not read
    assert "outside the repository" in listed.out + listed.err
    assert "7.77e-6" not in listed.out


def test_a_symlink_inside_the_repository_still_works(repo: Repo, cli: Cli) -> None:
    (repo.root / "real-jobs").mkdir()
    _link_dir(repo, "jobs", Path("real-jobs"))
    assert cli("job", "new", "b", *NEW, cwd=repo.root).code == 0
    assert (repo.root / "real-jobs/b.yaml").is_file()
    assert cli("job", "finish", "b", "--status", "failed", cwd=repo.root).code == 0
