"""The commit hooks' Click-free path (gittrain/cli/hookrun.py) says what the Click commands say,
and the pre-commit data check reuses validation's parses only for the same bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Repo
from hookhelp import BAD_JOB, BAD_MESSAGE, GOOD_JOB, env_with_path, run

from gittrain.adapters import yamlio
from gittrain.cli import hookrun
from gittrain.commands.data_check import check_jobs
from gittrain.core import settings
from gittrain.core.data.lockfile import Lockfile

BLOCKED = (
    "gittrain: commit blocked: 2 errors in staged files (fix them and stage again; "
    "`git commit --no-verify` skips this check)"
)
UNLOCKED = (
    "jobs/a.yaml:6:3: error: datasets.train: dataset 'data/x.jsonl' is not in gittrain.lock; "
    "lock it with `git train data add data/x.jsonl` [data]"
)


def _stage_bad_job(repo: Repo) -> None:
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.git("add", "jobs/a.yaml")


def test_the_hook_process_blocks_with_the_click_commands_words(repo: Repo, cli: Cli) -> None:
    _stage_bad_job(repo)
    proc = run(["git-train", "hook", "pre-commit"], repo.root)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [BAD_MESSAGE.format(name="a"), UNLOCKED]
    assert proc.stderr.splitlines() == [BLOCKED]
    clicked = cli("hook", "pre-commit", cwd=repo.root)
    assert (clicked.code, clicked.out, clicked.err) == (1, proc.stdout, proc.stderr)


def test_the_hook_lines_never_import_click(repo: Repo) -> None:
    _stage_bad_job(repo)
    message = repo.root / "msg"
    message.write_text("subject\n")
    code = (
        "import sys\n"
        "from gittrain.cli import main\n"
        "for argv in (['hook', 'pre-commit'], ['hook', 'prepare-commit-msg', 'msg', 'message']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        print('exit', exc.code)\n"
        "print('click' in sys.modules)\n"
    )
    proc = run([sys.executable, "-c", code], repo.root)
    assert proc.stdout.splitlines()[-3:] == ["exit 1", "exit 0", "False"], proc.stderr
    assert "Config-Changes:\n  jobs/a.yaml: added" in message.read_text()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["hook", "pre-commit"], True),
        (["hook", "pre-commit", "extra"], False),
        (["hook", "pre-commit", "-h"], False),
        (["hook", "prepare-commit-msg"], False),
        (["hook", "prepare-commit-msg", "msg"], True),
        (["hook", "prepare-commit-msg", "msg", "message", "abc"], True),
        (["hook", "prepare-commit-msg", "msg", "message", "abc", "more"], False),
        (["hook", "prepare-commit-msg", "--help"], False),
        (["hook", "prepare-commit-msg", "a-directory"], False),
        (["hook", "post-merge"], False),
        (["validate"], False),
        ([], False),
    ],
)
def test_only_lines_click_would_accept_skip_click(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: bool
) -> None:
    (tmp_path / "a-directory").mkdir()
    monkeypatch.chdir(tmp_path)
    assert hookrun.handles(argv) is expected


def test_shell_completion_goes_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_GIT_TRAIN_COMPLETE", "bash_complete")
    assert not hookrun.handles(["hook", "pre-commit"])


def test_lines_left_to_click_get_clicks_answers(repo: Repo) -> None:
    (repo.root / "a-directory").mkdir()
    helped = run(["git-train", "hook", "pre-commit", "-h"], repo.root)
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: git train hook pre-commit")
    extra = run(["git-train", "hook", "pre-commit", "extra"], repo.root)
    assert extra.returncode == 2 and "Got unexpected extra argument (extra)" in extra.stderr
    directory = run(["git-train", "hook", "prepare-commit-msg", "a-directory"], repo.root)
    assert directory.returncode == 2 and "is a directory" in directory.stderr


def test_outside_a_repository_the_hook_says_so_in_one_line(tmp_path: Path) -> None:
    proc = run(["git-train", "hook", "pre-commit"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"error: not inside a git work tree: {tmp_path.resolve()}"]


def test_a_parse_of_other_bytes_is_never_reused(repo: Repo) -> None:
    real = GOOD_JOB.format(name="a", dataset="data/x.jsonl").encode()
    other = GOOD_JOB.format(name="a", dataset="data/other.jsonl").encode()
    conf = settings.load(repo.root)
    stale = {"jobs/a.yaml": (other, yamlio.load_bytes(other, "jobs/a.yaml"))}
    result = check_jobs(repo.root, conf, {"jobs/a.yaml": real}, Lockfile(), parsed=stale)
    assert [p.render() for p in result.problems] == [UNLOCKED]
    same = {"jobs/a.yaml": (real, yamlio.load_bytes(real, "jobs/a.yaml"))}
    reused = check_jobs(repo.root, conf, {"jobs/a.yaml": real}, Lockfile(), parsed=same)
    assert [p.render() for p in reused.problems] == [UNLOCKED]


def test_a_good_job_commits_through_the_installed_hooks(repo: Repo) -> None:
    assert run(["git-train", "install", "--hooks"], repo.root).returncode == 0
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert run(["git-train", "data", "add", "data/x.jsonl"], repo.root).returncode == 0
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.git("add", "-A")
    proc = subprocess.run(
        ["git", "-C", str(repo.root), "commit", "-q", "-m", "good job"],
        capture_output=True,
        text=True,
        check=False,
        env=env_with_path(),
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    body = repo.git("log", "-1", "--format=%B")
    assert "Config-Changes:" in body and "jobs/a.yaml: added" in body


def _hook_git_calls(repo: Repo, hook: str, *args: str, index: bool = True) -> list[str]:
    """The git commands ``hook`` runs, started as git starts it: at the top of the work
    tree, with GIT_INDEX_FILE exported (or, ``index=False``, as a user would by hand)."""
    trace = repo.root.parent / "git-trace.txt"
    trace.unlink(missing_ok=True)
    env = {**env_with_path(), "GIT_TRACE": str(trace)}
    if index:
        env["GIT_INDEX_FILE"] = str(repo.root / ".git" / "index")
    proc = run([str(repo.root / ".git" / "hooks" / hook), *args], repo.root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    marker = "trace: built-in: git "
    return [
        line.split(marker, 1)[1].split()[0]
        for line in trace.read_text().splitlines()
        if marker in line
    ]


def test_the_fast_path_is_one_git_call_and_staged_configs_still_sync_the_driver(
    repo: Repo,
) -> None:
    assert run(["git-train", "install"], repo.root).returncode == 0
    repo.write("notes.md", "no config here\n")
    repo.git("add", "notes.md")
    assert _hook_git_calls(repo, "pre-commit") == ["diff"]
    # Run by hand (no GIT_INDEX_FILE), the root of a plain repository is read from .git
    # (gittrain/adapters/gitdir.py); anything unusual asks git (tests/test_gitdir.py).
    assert _hook_git_calls(repo, "pre-commit", index=False) == ["diff"]
    # A staged config is checked, and the textconv driver's fingerprint is kept current.
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert run(["git-train", "data", "add", "data/x.jsonl"], repo.root).returncode == 0
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.git("add", "-A")
    calls = _hook_git_calls(repo, "pre-commit")
    assert calls[0] == "diff" and "config" in calls
