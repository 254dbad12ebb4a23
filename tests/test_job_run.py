"""`git train job run`: a real trainer program in a subprocess, its outcome recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error

PYTHON = sys.executable

JOB = (
    "name: a  # the job\nrecipe: sft_basic\nconfig:\n  algorithm: sft\n"
    "  learning_rate: 2.0e-5  # keep\nresult:\n  status: pending\n"
)

# A stand-in for an HF Trainer script: reads the config gittrain hands it, writes
# trainer_state.json and all_results.json the way the Trainer does, exits as told.
TRAINER = """\
import json, os, sys, time
out, code = sys.argv[1], int(sys.argv[2])
config = open(os.environ["GITTRAIN_CONFIG"]).read()
print("job", os.environ["GITTRAIN_JOB"], "lr", "2.0e-05" in config, flush=True)
print("to stderr", file=sys.stderr, flush=True)
if len(sys.argv) > 3:
    open(sys.argv[3], "w").close()  # tell the test we are running
    time.sleep(60)
os.makedirs(out, exist_ok=True)
history = [
    {"epoch": 1.0, "learning_rate": 2e-05, "loss": 1.25, "step": 10},
    {"epoch": 1.0, "eval_loss": 1.5, "eval_accuracy": 0.71, "step": 10},
]
state = {"epoch": 1.0, "global_step": 10, "log_history": history, "best_metric": None}
json.dump(state, open(os.path.join(out, "trainer_state.json"), "w"), indent=2)
results = {"epoch": 1.0, "eval_accuracy": 0.71, "eval_loss": 1.5, "train_loss": 1.25}
json.dump(results, open(os.path.join(out, "all_results.json"), "w"), indent=2)
sys.exit(code)
"""


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write("jobs/a.yaml", JOB)
    repo.write("train.py", TRAINER)
    repo.write(".gitignore", "out/\n")
    repo.commit("job and trainer")
    return repo


def git_train(repo: Repo, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "gittrain", *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        **kwargs,  # type: ignore[call-overload]
    )


def result_of(repo: Repo) -> dict[str, object]:
    from gittrain.adapters import yamlio

    data = yamlio.load_text((repo.root / "jobs/a.yaml").read_text(), "a").data
    assert isinstance(data, dict)
    return dict(data["result"])


def test_a_completed_run_records_metrics_wall_time_and_commit(project: Repo) -> None:
    head = project.git("rev-parse", "HEAD").strip()
    proc = git_train(
        project, "job", "run", "a", "--results", "out", "--", PYTHON, "train.py", "out", "0"
    )
    assert proc.returncode == 0, proc
    assert "job a lr True\n" in proc.stdout  # the command's output streams through
    assert "to stderr\n" in proc.stderr
    assert f"jobs/a.yaml: running at {head[:7]}; config in " in proc.stderr
    result = result_of(project)
    assert result["status"] == "completed"
    assert result["commit"] == head and result["dirty"] is False
    assert result["exit_code"] == 0
    assert isinstance(result["wall_time_s"], float) and 0 < result["wall_time_s"] < 60
    assert result["metrics"] == {
        "epoch": 1.0,
        "learning_rate": 2e-05,
        "loss": 1.25,
        "eval_loss": 1.5,
        "eval_accuracy": 0.71,
        "global_step": 10,
        "train_loss": 1.25,
    }
    assert str(result["started_at"]) <= str(result["finished_at"])
    text = (project.root / "jobs/a.yaml").read_text()
    assert text.startswith("name: a  # the job\n") and "2.0e-5  # keep" in text
    config = project.root / ".git/gittrain/run/a.yaml"
    assert "learning_rate: 2.0e-05" in config.read_text()
    assert "metrics from out/trainer_state.json, out/all_results.json" in proc.stdout
    assert git_train(project, "validate", "jobs/a.yaml").returncode == 0


def test_a_failed_run_passes_its_exit_code_through(project: Repo) -> None:
    proc = git_train(
        project, "job", "run", "a", "--results", "nothing", "--", PYTHON, "train.py", "out", "3"
    )
    assert proc.returncode == 3, proc
    result = result_of(project)
    assert result["status"] == "failed" and result["exit_code"] == 3
    assert "metrics" not in result  # --results did not exist: fine after a failed run
    assert "error" not in proc.stderr


def test_a_completed_run_without_its_results_exits_1(project: Repo) -> None:
    proc = git_train(project, "job", "run", "a", "--results", "nothing", "--", "true")
    assert proc.returncode == 1, proc
    assert result_of(project)["status"] == "completed"
    assert proc.stderr.splitlines()[-1] == ("error: --results: nothing: no such file or directory")


def test_ctrl_c_records_cancelled_and_exits_130(project: Repo, tmp_path: Path) -> None:
    started = tmp_path / "started"
    with subprocess.Popen(
        [PYTHON, "-m", "gittrain", "job", "run", "a", "--results", "out", "--",
         PYTHON, "train.py", "out", "0", str(started)],
        cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        deadline = time.monotonic() + 60
        while not started.exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        assert result_of(project)["status"] == "running"
        proc.send_signal(signal.SIGINT)  # to the launcher only: it passes it on
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    result = result_of(project)
    assert result["status"] == "cancelled" and result["exit_code"] == 130
    assert "KeyboardInterrupt" in err  # the trainer got the signal
    assert "jobs/a.yaml: cancelled" in out


def test_a_running_job_is_refused_unless_forced(project: Repo) -> None:
    text = JOB.replace("status: pending", "status: running\n  started_at: '2026-11-29T10:00:00Z'")
    project.write("jobs/a.yaml", text)
    config = project.root / ".git/gittrain/run/a.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("the running job's config\n")
    proc = git_train(project, "job", "run", "a", "--", "true")
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: jobs/a.yaml:7:3: job 'a' is already running "
        "(since 2026-11-29T10:00:00Z); use --force if it is not\n"
    )
    assert (project.root / "jobs/a.yaml").read_text() == text
    assert config.read_text() == "the running job's config\n"
    proc = git_train(project, "job", "run", "a", "--force", "--", "true")
    assert proc.returncode == 0, proc
    assert result_of(project)["status"] == "completed"


def test_a_rerun_replaces_the_last_runs_fields(project: Repo) -> None:
    argv = ["job", "run", "a", "--results", "out", "--", PYTHON, "train.py", "out"]
    assert git_train(project, *argv, "0").returncode == 0
    project.write("README", "changed\n")  # untracked: not dirty
    project.write("train.py", TRAINER + "# tweak\n")  # tracked and changed: dirty
    assert git_train(project, "job", "run", "a", "--", "false").returncode == 1
    result = result_of(project)
    assert result["status"] == "failed" and result["dirty"] is True
    assert "metrics" not in result


def test_commit_commits_the_job_file_alone(project: Repo) -> None:
    project.write("other.txt", "staged\n")
    project.git("add", "other.txt")
    project.write("train.py", TRAINER + "# unstaged\n")
    proc = git_train(
        project, "job", "run", "a", "--commit", "--results", "out", "--",
        PYTHON, "train.py", "out", "0",
    )  # fmt: skip
    assert proc.returncode == 0, proc
    assert project.git("log", "-1", "--format=%s") == (
        "job a: completed (eval_loss=1.5, eval_accuracy=0.71, loss=1.25, +4 more)\n"
    )
    assert project.git("show", "--name-only", "--format=", "HEAD") == "jobs/a.yaml\n"
    assert project.git("diff", "--cached", "--name-only") == "other.txt\n"
    assert project.git("status", "--porcelain", "--", "jobs") == ""
    assert project.git("diff", "--name-only") == "train.py\n"


def test_commit_of_a_new_job_file_with_git_variables_set(project: Repo, tmp_path: Path) -> None:
    """As from inside a hook: GIT_DIR, GIT_WORK_TREE and a GIT_INDEX_FILE of another index."""
    project.write("jobs/b.yaml", JOB.replace("name: a", "name: b"))
    env = dict(
        os.environ,
        GIT_DIR=str(project.root / ".git"),
        GIT_WORK_TREE=str(project.root),
        GIT_INDEX_FILE=str(tmp_path / "other-index"),
    )
    proc = git_train(project, "job", "run", "b", "--commit", "--", "true", env=env)
    assert proc.returncode == 0, proc
    assert project.git("log", "-1", "--format=%s") == "job b: completed\n"
    assert project.git("show", "--name-only", "--format=", "HEAD") == "jobs/b.yaml\n"
    assert project.git("status", "--porcelain") == ""
    assert not (tmp_path / "other-index").exists()


def test_bad_invocations_change_nothing(project: Repo, cli: Cli) -> None:
    before = (project.root / "jobs/a.yaml").read_bytes()
    result = cli("job", "run", "a", "--", "no-such-trainer-xyz", cwd=project.root)
    assert_one_line_error(result, 2, "no-such-trainer-xyz: command not found")
    result = cli("job", "run", "a", cwd=project.root)
    assert_one_line_error(result, 2, "no command to run")
    result = cli("job", "run", "nope", "--", "true", cwd=project.root)
    assert_one_line_error(result, 1, "no job 'nope'")
    result = cli("job", "run", "a", "--select", "x", "--", "true", cwd=project.root)
    assert_one_line_error(result, 2, "need --results PATH")
    assert (project.root / "jobs/a.yaml").read_bytes() == before
    assert not (project.root / ".git/gittrain/run").exists()


def test_commit_message_prefers_results_over_bookkeeping() -> None:
    from gittrain.commands.job_run import commit_message

    assert commit_message("a", "failed", {}) == "job a: failed"
    shown = commit_message("a", "completed", {"epoch": 1, "gsm8k_acc": 0.71})
    assert shown == "job a: completed (gsm8k_acc=0.71, +1 more)"


def test_head_and_changes_reads_one_git_status(repo: Repo) -> None:
    from gittrain.adapters import gitrepo

    assert gitrepo.head_and_changes(repo.root) == (None, [])
    repo.write("a b.txt", "1\n")
    repo.write("c.txt", "1\n")
    repo.write("d.txt", "1\n")
    head = repo.commit("files")
    repo.git("mv", "a b.txt", "moved to.txt")
    repo.write("c.txt", "2\n")
    repo.write("new.txt", "untracked\n")
    repo.git("checkout", "-q", "--detach")
    assert gitrepo.head_and_changes(repo.root) == (head, ["c.txt", "moved to.txt"])
