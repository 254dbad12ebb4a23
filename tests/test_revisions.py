"""Every revision git accepts means the same in every command (issue 11.7).

``:/message`` searches, ``HEAD@{1}`` and ``NAME@`` are resolved as git resolves
them (``git rev-parse --verify REV^{commit}``), and a word git resolves as a
revision is never read as a path.
"""

from __future__ import annotations

import json

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot

JOB = """\
name: a
recipe: grpo_basic
model_size: 7B
num_gpus: 8
datasets:
  train: train
config:
  algorithm: grpo
  learning_rate: {lr}
  rollout_n: 8
result:
  status: completed
  metrics:
    acc: {acc}
"""
RECIPE = "name: r\nversion: 1.0.0\ntask_type: grpo\ndefault_config:\n  learning_rate: {lr}\n"


@pytest.fixture
def history(repo: Repo, cli: Cli) -> dict[str, str]:
    """Two commits found by their messages: "message A" (lr 1e-6) and "message B" (lr 5e-7)."""
    repo.write("data/train.jsonl", '{"prompt": "a"}\n')
    assert cli("data", "add", "data/train.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", JOB.format(lr="1.0e-6", acc=0.5))
    repo.write("recipes/r.yaml", RECIPE.format(lr="1.0e-6"))
    first = repo.commit("message A: the baseline")
    repo.write("data/train.jsonl", '{"prompt": "a"}\n{"prompt": "b"}\n')
    assert cli("data", "update", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", JOB.format(lr="5.0e-7", acc=0.6))
    repo.write("recipes/r.yaml", RECIPE.format(lr="5.0e-7"))
    second = repo.commit("message B: half the learning rate")
    return {"A": first, "B": second}


def _json(cli: Cli, repo: Repo, *argv: str) -> dict[str, object]:
    result = cli(*argv, "--format", "json", cwd=repo.root)
    assert result.code == 0, result
    data = json.loads(result.out)
    assert isinstance(data, dict)
    return data


def _lr_changes(data: dict[str, object]) -> list[tuple[object, object]]:
    files = data["files"]
    assert isinstance(files, list)
    return [
        (c["old"], c["new"])
        for f in files
        for c in f["changes"]
        if c["display_path"].endswith("learning_rate")
    ]


def test_diff_takes_message_searches_as_revisions(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    for argv in (
        [":/message A", ":/message B"],
        [":/message A..:/message B"],
        [":/message A...:/message B"],
        [history["A"], ":/message B"],
    ):
        data = _json(cli, repo, "diff", *argv)
        assert data["old"]["commit"] == history["A"], argv  # type: ignore[index]
        assert data["new"]["commit"] == history["B"], argv  # type: ignore[index]
        assert _lr_changes(data) == [(1e-6, 5e-7), (1e-6, 5e-7)], argv
    gate = cli("diff", ":/message A", ":/message B", "--fail-on", "critical", cwd=repo.root)
    assert gate.code == 1, gate
    alone = _json(cli, repo, "diff", ":/message A")  # against the work tree
    assert alone["new"]["kind"] == "worktree"  # type: ignore[index]
    assert len(_lr_changes(alone)) == 2
    # A message search that finds nothing is an unknown revision, not a silent path.
    result = cli("diff", ":/no such message", "--fail-on", "critical", cwd=repo.root)
    assert_one_line_error(result, 2, "':/no such message'")


def test_a_word_git_resolves_as_a_revision_is_never_a_path(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    repo.git("branch", "jobs", history["A"])  # also the name of a directory
    data = _json(cli, repo, "diff", "jobs")
    assert data["old"] == {"kind": "commit", "label": "jobs", "commit": history["A"]}
    assert len(_lr_changes(data)) == 2  # jobs/ and recipes/: not restricted to the path jobs
    # A message holding ".." is one revision when its ends are not commits.
    repo.write("jobs/a.yaml", JOB.format(lr="2.5e-7", acc=0.7))
    third = repo.commit("tune: 5e-7..2.5e-7")
    data = _json(cli, repo, "diff", ":/tune: 5e-7..2.5e-7", "HEAD~1")
    assert data["old"]["commit"] == third  # type: ignore[index]
    # A path that is not a revision still starts the paths, as in git.
    data = _json(cli, repo, "diff", "HEAD~2", "recipes")
    assert [f["new_path"] for f in data["files"]] == ["recipes/r.yaml"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("rev", [":/message A", "HEAD@{1}", "HEAD~1", "HEAD^{/message A}"])
def test_every_name_at_revision_command_reads_the_same_commit(
    repo: Repo, cli: Cli, history: dict[str, str], rev: str
) -> None:
    short = history["A"][:7]
    shown = _json(cli, repo, "job", "show", f"a@{rev}")
    assert shown["commit"] == history["A"]
    assert shown["job"]["config"]["learning_rate"] == 1e-6  # type: ignore[index]
    jobs = _json(cli, repo, "diff", "--jobs", f"a@{rev}", "a")
    assert _lr_changes(jobs) == [(1e-6, 5e-7)]
    recipes = _json(cli, repo, "diff", "--recipes", f"r@{rev}", "r@")
    assert _lr_changes(recipes) == [(1e-6, 5e-7)]
    compared = cli("data", "compare", f"train@{rev}", "train@HEAD", cwd=repo.root)
    assert compared.code == 0, compared
    lineage = _json(cli, repo, "data", "lineage", f"train@{rev}")
    assert lineage["target"]["revision"] == rev  # type: ignore[index]
    for command in ("suggest", "similar"):
        result = cli("experience", command, f"a@{rev}", cwd=repo.root)
        assert result.code in (0, 1), result
        assert "unknown revision" not in result.err
    before = snapshot(repo.root)
    cloned = cli("job", "clone", f"a@{rev}", "--name", "c", cwd=repo.root)
    assert cloned.code == 0, cloned
    assert cloned.out == f"wrote jobs/c.yaml (cloned from a@{short})\n"
    assert set(snapshot(repo.root)) - set(before) == {"jobs/c.yaml"}


def test_name_at_nothing_is_head_everywhere(repo: Repo, cli: Cli, history: dict[str, str]) -> None:
    assert _json(cli, repo, "job", "show", "a@")["commit"] == history["B"]
    assert _lr_changes(_json(cli, repo, "diff", "--jobs", "a@", "a")) == []
    assert cli("data", "compare", "train@", "train", cwd=repo.root).code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["job", "show", "a@:/no such message"],
        ["diff", "--jobs", "a@:/no such message", "a"],
        ["data", "lineage", "train@:/no such message"],
        ["data", "compare", "train@:/no such message", "train"],
        ["experience", "suggest", "a@:/no such message"],
        ["review", ":/no such message...HEAD"],
    ],
)
def test_an_unknown_revision_is_named_with_exit_2(
    repo: Repo, cli: Cli, history: dict[str, str], argv: list[str]
) -> None:
    assert_one_line_error(cli(*argv, cwd=repo.root), 2, ":/no such message")


def test_review_takes_message_searches(repo: Repo, cli: Cli, history: dict[str, str]) -> None:
    result = cli("review", ":/message A...:/message B", "--format", "json", cwd=repo.root)
    assert result.code == 0, result
    assert json.loads(result.out)["base"]["commit"] == history["A"]
