"""The git reads a hook starts early and collects later answer exactly what the plain reads
answer, errors included (tests/test_hooks_*.py run them inside real commits)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Repo

from gittrain.adapters import gitrepo
from gittrain.errors import GittrainError


def test_the_staged_reader_answers_as_read_staged(repo: Repo) -> None:
    repo.write("jobs/a.yaml", "name: a\n")
    repo.write("jobs/b.yaml", "name: b\n")
    repo.git("add", "-A")
    repo.write("jobs/a.yaml", "name: not staged\n")
    paths = ["jobs/a.yaml", "jobs/missing.yaml", "jobs/b.yaml", "jobs/a.yaml"]
    found = gitrepo.staged_reader(repo.root, paths)()
    assert found == gitrepo.read_staged(repo.root, paths)
    assert found == {
        "jobs/a.yaml": b"name: a\n",
        "jobs/missing.yaml": None,
        "jobs/b.yaml": b"name: b\n",
    }
    # More than a pipe is sure to hold: asked when answered, with the same answer.
    many = [f"jobs/x{i:05}.yaml" for i in range(400)]
    assert gitrepo.staged_reader(repo.root, many)() == dict.fromkeys(many)
    assert gitrepo.staged_reader(repo.root, [])() == {}


def test_the_staged_reader_refuses_and_fails_as_read_staged(repo: Repo, tmp_path: Path) -> None:
    with pytest.raises(GittrainError, match="paths cannot contain newlines"):
        gitrepo.staged_reader(repo.root, ["a\nb"])
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    answer = gitrepo.staged_reader(outside, ["a"])
    with pytest.raises(GittrainError) as first:
        answer()
    with pytest.raises(GittrainError) as again:  # asked twice: the same error, no new process
        answer()
    assert first.value is again.value
    with pytest.raises(GittrainError) as plain:
        gitrepo.read_staged(outside, ["a"])
    assert first.value.message == plain.value.message


def test_the_config_reader_answers_as_get_config(repo: Repo) -> None:
    assert gitrepo.config_reader(repo.root, "diff.gittrain.textconv")() is None
    repo.git("config", "diff.gittrain.textconv", "git-train-textconv --rules=x")
    answer = gitrepo.config_reader(repo.root, "diff.gittrain.textconv")
    assert answer() == answer() == "git-train-textconv --rules=x"
    assert answer() == gitrepo.get_config(repo.root, "diff.gittrain.textconv")
