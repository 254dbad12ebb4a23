"""`git train job ...` and `gittrain.record_result`: files written, edited in place, refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot

import gittrain
from gittrain.adapters import yamlio
from gittrain.errors import GittrainError

HAND_WRITTEN = """\
# written by hand; keep this comment
name: hand
recipe: grpo_basic
model_size: 7B
num_gpus: 8
config:
  algorithm: grpo
  learning_rate: 1.0e-6  # from the paper
  global_batch_size: 1024
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  rollout_n: 8
"""


def _new(cli: Cli, repo: Repo, name: str = "a1", *extra: str) -> None:
    result = cli(
        "job", "new", name, "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8",
        *extra, cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    assert result.out == f"wrote jobs/{name}.yaml (recipe grpo_basic 1.0.0)\n"


def test_new_writes_a_valid_pending_job(cli: Cli, repo: Repo) -> None:
    _new(cli, repo, "a1", "--set", "learning_rate=2e-6", "--dataset", "train=gsm8k")
    data = yamlio.load_file(repo.root / "jobs/a1.yaml", "a1").data
    assert isinstance(data, dict)
    assert data["config"]["learning_rate"] == 2e-6
    assert data["datasets"] == {"train": "gsm8k"}
    assert data["result"] == {"status": "pending"}
    assert cli("validate", "jobs/a1.yaml", cwd=repo.root).code == 0


def test_new_refuses_an_existing_job_and_bad_names(cli: Cli, repo: Repo) -> None:
    _new(cli, repo)
    before = snapshot(repo.root)
    again = cli(
        "job", "new", "a1", "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8",
        cwd=repo.root,
    )  # fmt: skip
    assert_one_line_error(again, 1, "jobs/a1.yaml", "already exists")
    bad = cli(
        "job", "new", "../x", "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8",
        cwd=repo.root,
    )  # fmt: skip
    assert_one_line_error(bad, 2, "'../x'")
    assert snapshot(repo.root) == before


def test_finish_edits_in_place(cli: Cli, repo: Repo) -> None:
    repo.write("jobs/hand.yaml", HAND_WRITTEN)  # a job with no result at all
    result = cli(
        "job", "finish", "hand", "--status", "completed", "--metric", "gsm8k_acc=0.71",
        "--metric", "steps=500", "--note", "stable run", cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    text = (repo.root / "jobs/hand.yaml").read_text()
    assert text.startswith(HAND_WRITTEN)  # every original line, comments and order kept
    tail = text[len(HAND_WRITTEN) :]
    assert tail.startswith("result:\n  status: completed\n  metrics:\n    gsm8k_acc: 0.71\n")
    assert "    steps: 500\n  finished_at: '20" in tail
    assert tail.endswith("  notes: stable run\n")
    assert result.out.startswith("jobs/hand.yaml: completed at 20")
    # Finishing again replaces values instead of adding keys.
    again = cli("job", "finish", "hand", "--status", "failed", cwd=repo.root)
    assert again.code == 0, again
    data = yamlio.load_file(repo.root / "jobs/hand.yaml", "h").data
    assert isinstance(data, dict)
    assert data["result"]["status"] == "failed"
    assert data["result"]["metrics"] == {"gsm8k_acc": 0.71, "steps": 500}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--metric", "acc=high"), "'acc=high'"),
        (("--metric", "acc=true"), "'acc=true'"),
        (("--metric", "acc"), "NAME=NUMBER"),
        (("--metric", "acc=.nan"), "'acc=.nan'"),
    ],
)
def test_finish_refuses_metrics_that_are_not_numbers(
    cli: Cli, repo: Repo, args: tuple[str, ...], needle: str
) -> None:
    repo.write("jobs/hand.yaml", HAND_WRITTEN)
    before = snapshot(repo.root)
    result = cli("job", "finish", "hand", "--status", "completed", *args, cwd=repo.root)
    assert_one_line_error(result, 2, needle)
    assert snapshot(repo.root) == before


def test_finish_unknown_job_and_broken_file(cli: Cli, repo: Repo) -> None:
    assert_one_line_error(
        cli("job", "finish", "nope", "--status", "failed", cwd=repo.root), 1, "'nope'"
    )
    repo.write("jobs/bad.yaml", "name: bad\nconfig: [\n")
    before = snapshot(repo.root)
    result = cli("job", "finish", "bad", "--status", "failed", cwd=repo.root)
    assert_one_line_error(result, 1, "jobs/bad.yaml:")
    assert snapshot(repo.root) == before


def test_record_result_api(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("jobs/hand.yaml", HAND_WRITTEN)
    done = gittrain.record_result(
        "hand", status="completed", metrics={"acc": 0.5}, notes="api", root=repo.root
    )
    assert done.rel == "jobs/hand.yaml"
    data = yamlio.load_file(repo.root / "jobs/hand.yaml", "h").data
    assert isinstance(data, dict)
    assert data["result"]["metrics"] == {"acc": 0.5}
    with pytest.raises(GittrainError, match="must be a number"):
        gittrain.record_result("hand", status="completed", metrics={"acc": "x"}, root=repo.root)
    with pytest.raises(GittrainError, match="status 'done'"):
        gittrain.record_result("hand", status="done", root=repo.root)
    monkeypatch.chdir(repo.root / "jobs")
    gittrain.record_result("hand.yaml", status="cancelled")  # root from the current directory
    assert "status: cancelled" in (repo.root / "jobs/hand.yaml").read_text()


def test_clone_at_revision_keeps_comments_and_records_origin(cli: Cli, repo: Repo) -> None:
    repo.write("jobs/hand.yaml", HAND_WRITTEN + "result:\n  status: completed\n")
    first = repo.commit("hand")
    repo.write("jobs/hand.yaml", HAND_WRITTEN.replace("1.0e-6", "3.0e-6"))
    repo.commit("later")
    result = cli(
        "job", "clone", f"hand@{first[:8]}", "--name", "copy", "--set", "learning_rate=-1",
        cwd=repo.root,
    )  # fmt: skip
    # An invalid copy is reported with its location and nothing is written.
    assert result.code == 1, result
    assert result.out.startswith("jobs/copy.yaml:9:3: error: config.learning_rate: -1 is less")
    # The schema rejects -1; the learning-rate rule never judges a rejected value again.
    assert result.err == "not written: 1 error\n"
    assert not (repo.root / "jobs/copy.yaml").exists()
    result = cli(
        "job", "clone", f"hand@{first[:8]}", "--name", "copy", "--set", "rollout_n=16",
        cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    assert result.out == f"wrote jobs/copy.yaml (cloned from hand@{first[:7]})\n"
    text = (repo.root / "jobs/copy.yaml").read_text()
    assert text.startswith(f"# Cloned from hand@{first[:7]} by `git train job clone`\n")
    assert "# written by hand; keep this comment\n" in text
    assert "learning_rate: 1.0e-6  # from the paper" in text
    data = yamlio.load_text(text, "copy").data
    assert isinstance(data, dict)
    assert data["name"] == "copy"
    assert data["config"]["rollout_n"] == 16
    assert data["cloned_from"] == {"job": "hand", "commit": first}
    assert data["result"] == {"status": "pending"}


def test_clone_bad_input(cli: Cli, repo: Repo) -> None:
    repo.write("jobs/hand.yaml", HAND_WRITTEN)
    uncommitted = cli("job", "clone", "hand", "--name", "c", cwd=repo.root)
    assert_one_line_error(uncommitted, 2, "jobs/hand.yaml", "commit the job first")
    repo.write("README.md", "x")
    repo.commit("a commit without the job", "README.md")
    not_in_head = cli("job", "clone", "hand", "--name", "c", cwd=repo.root)
    assert_one_line_error(not_in_head, 2, "jobs/hand.yaml", "commit the job first")
    repo.commit("hand")
    before = snapshot(repo.root)
    assert_one_line_error(
        cli("job", "clone", "hand@nosuch", "--name", "c", cwd=repo.root), 2, "'nosuch'"
    )
    assert_one_line_error(
        cli("job", "clone", "ghost@HEAD", "--name", "c", cwd=repo.root), 1, "'ghost'", "HEAD"
    )
    assert_one_line_error(
        cli("job", "clone", "hand", "--name", "c", "--unset", "nokey", cwd=repo.root),
        2,
        "nokey",
    )
    assert_one_line_error(
        cli("job", "clone", "hand", "--name", "c", "--set", "x", cwd=repo.root), 2, "'x'"
    )
    assert snapshot(repo.root) == before


def test_list_and_show(cli: Cli, repo: Repo) -> None:
    _new(cli, repo, "a1")
    _new(cli, repo, "b2")
    assert cli("job", "finish", "a1", "--status", "completed", "--metric", "acc=0.5",
               cwd=repo.root).code == 0  # fmt: skip
    sha = repo.commit("jobs")
    listed = cli("job", "list", cwd=repo.root)
    assert listed.code == 0, listed
    lines = listed.out.splitlines()
    assert lines[0].split() == ["NAME", "RECIPE", "SIZE", "GPUS", "STATUS", "METRICS"]
    assert lines[1].split() == ["a1", "grpo_basic", "7B", "8", "completed", "acc=0.5"]
    assert lines[2].split() == ["b2", "grpo_basic", "7B", "8", "pending", "-"]
    only = json.loads(cli("job", "list", "--status", "pending", "--format", "json",
                          cwd=repo.root).out)  # fmt: skip
    assert [j["name"] for j in only["jobs"]] == ["b2"]
    assert cli("job", "list", "--recipe", "other", cwd=repo.root).err == "no jobs match\n"
    shown = json.loads(cli("job", "show", "a1@HEAD", "--format", "json", cwd=repo.root).out)
    assert shown["commit"] == sha and shown["job"]["result"]["status"] == "completed"
    text = cli("job", "show", "a1", cwd=repo.root)
    assert text.out.startswith("# jobs/a1.yaml\n# Made by")
    repo.write("jobs/broken.yaml", "name: [\n")
    broken = cli("job", "list", cwd=repo.root)
    assert broken.code == 1 and "jobs/broken.yaml:2" in broken.err


def test_show_unknown(cli: Cli, repo: Repo) -> None:
    repo.commit("empty")
    assert_one_line_error(cli("job", "show", "x", cwd=repo.root), 1, "'x'")
    assert_one_line_error(cli("job", "show", "x@nope", cwd=repo.root), 2, "'nope'")


def test_outside_a_repository(cli: Cli, tmp_path: Path) -> None:
    result = cli("job", "finish", "x", "--status", "failed", cwd=tmp_path)
    assert_one_line_error(result, 2, "not inside a git repository")
    assert os.listdir(tmp_path) == []


def test_clone_replaces_the_generated_header(cli: Cli, repo: Repo) -> None:
    made = cli(
        "job",
        "new",
        "base",
        "--recipe",
        "sft_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        cwd=repo.root,
    )
    assert made.code == 0, made
    sha = repo.commit("base job")
    assert cli("job", "clone", "base", "--name", "copy").code == 0
    text = (repo.root / "jobs/copy.yaml").read_text()
    assert text.splitlines()[0] == f"# Cloned from base@{sha[:7]} by `git train job clone`"
    assert "# Made by" not in text and "# from recipe" not in text
