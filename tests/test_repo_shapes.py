"""Repository shapes: each works or gives a clear one-line message (reliability suite)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot

JOB = (
    "name: {name}\nrecipe: grpo_basic\nnum_gpus: 8\nconfig:\n  algorithm: grpo\n"
    "  learning_rate: {lr}\n  global_batch_size: 1024\n  per_device_batch_size: 4\n"
    "  gradient_accumulation_steps: 32\n  rollout_n: 8\n"
)


def job(name: str = "a", lr: str = "1.0e-6") -> str:
    return JOB.format(name=name, lr=lr)


@pytest.fixture
def history(repo: Repo) -> Repo:
    repo.write("jobs/a.yaml", job())
    repo.commit("first")
    repo.write("jobs/a.yaml", job(lr="5.0e-7"))
    repo.commit("halve the learning rate")
    return repo


def test_empty_repository(repo: Repo, cli: Cli) -> None:
    assert cli("validate", cwd=repo.root).code == 0
    assert cli("recipe", "list").code == 0
    result = cli("diff", "HEAD")
    assert_one_line_error(result, 2, "HEAD")
    repo.write("jobs/a.yaml", job())
    assert cli("data", "status").code == 0


def test_shallow_clone(history: Repo, cli: Cli, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{history.root}", str(clone)],
        check=True,
        capture_output=True,
    )
    assert cli("validate", cwd=clone).code == 0
    result = cli("diff", "HEAD~1")
    assert_one_line_error(result, 2, "HEAD~1")
    assert cli("diff", "HEAD").code == 0


def test_detached_head(history: Repo, cli: Cli) -> None:
    history.git("checkout", "-q", "--detach", "HEAD")
    result = cli("diff", "HEAD~1", "--format", "json", cwd=history.root)
    assert result.code == 0, result
    change = json.loads(result.out)["files"][0]["changes"][0]
    assert change["display_path"] == "config.learning_rate"


def test_linked_worktree(history: Repo, cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "wt"
    history.git("worktree", "add", "-q", str(other), "-b", "side")
    (other / "jobs/a.yaml").write_text(job(lr="0.5"))
    result = cli("validate", cwd=other)
    assert result.code == 1
    assert "jobs/a.yaml:6:3: error: config.learning_rate" in result.out
    result = cli("diff", "--format", "json", cwd=other)  # work tree vs index
    assert result.code == 0, result
    (file,) = json.loads(result.out)["files"]
    assert [c["display_path"] for c in file["changes"]] == ["config.learning_rate"]
    result = cli("diff", "HEAD", "--format", "json", cwd=other)
    assert json.loads(result.out)["files"][0]["new_path"] == "jobs/a.yaml"


def test_bare_repository(history: Repo, cli: Cli, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(history.root), str(bare)], check=True)
    for args in (
        ["diff", "HEAD~1"],
        ["data", "status"],
        ["recipe", "new", "x", "--from", "sft_basic"],
    ):
        result = cli(*args, cwd=bare)
        assert result.code == 2, (args, result)
        assert "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1


def test_outside_any_repository(cli: Cli, tmp_path: Path) -> None:
    for args in (["diff"], ["data", "status"], ["review", "a...b"]):
        result = cli(*args, cwd=tmp_path)
        assert result.code == 2, (args, result)
        assert len(result.err.strip().splitlines()) == 1
        assert "Traceback" not in result.err


def test_subdirectory(history: Repo, cli: Cli) -> None:
    sub = history.root / "jobs"
    result = cli("diff", "HEAD~1", "--format", "json", cwd=sub)
    assert result.code == 0
    assert json.loads(result.out)["files"][0]["new_path"] == "jobs/a.yaml"
    assert cli("validate", cwd=sub).code == 0


def test_config_inside_a_submodule(history: Repo, cli: Cli, tmp_path: Path, repo: Repo) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(outer),
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            str(history.root),
            "training",
        ],
        check=True,
        capture_output=True,
    )
    inner = outer / "training"
    result = cli("validate", cwd=inner)
    assert result.code == 0, result
    result = cli("diff", "HEAD~1", "--format", "json", cwd=inner / "jobs")
    assert json.loads(result.out)["files"][0]["new_path"] == "jobs/a.yaml"
    # From the superproject the submodule's file is just a file to validate.
    result = cli("validate", "training/jobs/a.yaml", cwd=outer)
    assert result.code == 0, result


def test_unicode_and_space_paths(repo: Repo, cli: Cli) -> None:
    name = "jobs/ablation café run.yaml"
    repo.write(name, job(name="x"))
    repo.commit("unicode")
    repo.write(name, job(name="x", lr="0.5"))
    result = cli("validate", cwd=repo.root)
    assert result.code == 1
    assert "jobs/ablation café run.yaml:1:1: error: name: name 'x' does not match" in result.out
    result = cli("diff", "HEAD", "--format", "json")
    assert json.loads(result.out)["files"][0]["new_path"] == name


def test_crlf_files(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job(lr="0.5").replace("\n", "\r\n").encode())
    result = cli("validate", cwd=repo.root)
    assert result.code == 1
    assert "jobs/a.yaml:6:3: error: config.learning_rate: learning rate 0.5" in result.out
    repo.commit("crlf")
    repo.write("jobs/a.yaml", job().replace("\n", "\r\n").encode())
    result = cli("diff", "HEAD", "--format", "json")
    changes = json.loads(result.out)["files"][0]["changes"]
    assert [c["display_path"] for c in changes] == ["config.learning_rate"]


def test_merge_commits_and_three_dot(history: Repo, cli: Cli) -> None:
    history.git("checkout", "-q", "-b", "topic")
    history.write("jobs/b.yaml", job(name="b"))
    history.commit("topic job")
    history.git("checkout", "-q", "main")
    history.write("jobs/a.yaml", job(lr="2.0e-7"))
    history.commit("main moves on")
    history.git("merge", "-q", "--no-edit", "topic")
    result = cli("diff", "main~1...topic", "--format", "json", cwd=history.root)
    assert [f["new_path"] for f in json.loads(result.out)["files"]] == ["jobs/b.yaml"]
    result = cli("diff", "HEAD^1", "HEAD", "--format", "json")
    assert [f["new_path"] for f in json.loads(result.out)["files"]] == ["jobs/b.yaml"]


def test_renamed_job(history: Repo, cli: Cli) -> None:
    history.git("mv", "jobs/a.yaml", "jobs/renamed.yaml")
    history.commit("rename")
    result = cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=history.root)
    (file,) = json.loads(result.out)["files"]
    assert (file["status"], file["old_path"], file["new_path"]) == (
        "renamed",
        "jobs/a.yaml",
        "jobs/renamed.yaml",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "--output=/tmp/gittrain-should-not-exist"],
        ["diff", "--", "--output=/tmp/gittrain-should-not-exist"],
        ["diff", "HEAD", "--", "--output=/tmp/gittrain-should-not-exist"],
        ["diff", "--jobs", "a@--output=/tmp/gittrain-should-not-exist", "a"],
        ["review", "--output=/tmp/gittrain-should-not-exist...HEAD"],
        ["data", "lineage", "x@--output=/tmp/gittrain-should-not-exist"],
        ["data", "log", "--output=/tmp/gittrain-should-not-exist"],
        ["data", "compare", "a@--output=/tmp/gittrain-should-not-exist", "a"],
    ],
)
def test_option_like_revisions_create_nothing(history: Repo, cli: Cli, args: list[str]) -> None:
    target = Path("/tmp/gittrain-should-not-exist")
    target.unlink(missing_ok=True)
    before = snapshot(history.root)
    result = cli(*args, cwd=history.root)
    assert result.code in (0, 1, 2), result
    assert "Traceback" not in result.err
    assert not target.exists()
    assert snapshot(history.root) == before


def test_symlink_loop_under_a_dataset(repo: Repo, cli: Cli) -> None:
    """add, update, status, check-data and post-merge: a clean message, never a crash."""
    repo.write("data/d/a.jsonl", '{"q": 1}\n')
    assert cli("data", "add", "data/d", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", job().replace("num_gpus: 8\n", "num_gpus: 8\ndatasets: {train: d}\n"))
    (repo.root / "data/d/loop").symlink_to("loop")
    before = snapshot(repo.root)
    for argv in (["data", "add", "data/d", "--name", "d2"], ["data", "update", "d"]):
        assert_one_line_error(cli(*argv, cwd=repo.root), 1, "data/d/loop", "symlink loop")
    for argv in (["data", "status"], ["check-data"], ["check-data", "jobs/a.yaml"]):
        result = cli(*argv, cwd=repo.root)
        assert result.code == 1 and "symlink loop" in result.out + result.err, result
        assert "Traceback" not in result.out + result.err
    hook = cli("hook", "post-merge", "0", cwd=repo.root)
    assert hook.code == 0 and "symlink loop" in hook.err, hook
    assert snapshot(repo.root) == before


def test_git_dir_and_work_tree_from_outside(history: Repo, cli: Cli, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cli.monkeypatch.setenv("GIT_DIR", str(history.root / ".git"))
    cli.monkeypatch.setenv("GIT_WORK_TREE", str(history.root))
    for argv in (["data", "status"], ["diff", "HEAD~1"], ["check-data"]):
        result = cli(*argv, cwd=elsewhere)
        assert_one_line_error(result, 2, "outside the work tree")
    assert list(elsewhere.iterdir()) == []


def test_read_only_git_dir(history: Repo, cli: Cli) -> None:
    """Where gittrain keeps its locks cannot be created: a clean error, nothing changed.

    (A file where the directory belongs stands in for a read-only .git, which root ignores.)
    """
    history.write("data/a.jsonl", '{"q": 1}\n')
    (history.root / ".git/gittrain").write_text("not a directory\n")
    before = snapshot(history.root)
    for argv in (["data", "add", "data/a.jsonl"], ["job", "finish", "a", "--status", "failed"]):
        assert_one_line_error(cli(*argv, cwd=history.root), 2, "cannot take the lock")
    assert snapshot(history.root) == before
    assert cli("data", "status", cwd=history.root).code == 0  # reads still work
    assert cli("experience", "recommend", cwd=history.root).code == 0


def test_file_name_that_is_not_utf8_in_history(repo: Repo, cli: Cli) -> None:
    name = b"jobs/n\xffm.yaml"
    done = job("nm") + "result:\n  status: completed\n  metrics: {acc: 0.5}\n"
    (repo.root / "jobs").mkdir()
    with open(bytes(repo.root) + b"/" + name, "w") as handle:
        handle.write(done)
    repo.commit("a job whose file name is not UTF-8")
    for argv in (
        ["experience", "recommend"],
        ["experience", "recommend", "--format", "json"],
        ["experience", "best", "--recipe", "grpo_basic", "--metric", "acc"],
        ["job", "list"],
    ):
        for _ in range(2):  # cold, then from the history cache
            result = cli(*argv, cwd=repo.root)
            assert result.code == 0, (argv, result)
