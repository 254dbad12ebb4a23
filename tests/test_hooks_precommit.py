"""The pre-commit framework hooks (.pre-commit-hooks.yaml), run by the real `pre-commit`.

pre-commit builds a virtualenv and pip-installs this project into it.  The
session fixture builds a wheelhouse once (from pip's cache) and every
pre-commit run installs from it with ``PIP_NO_INDEX=1``: no index is used.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Repo
from hookhelp import BAD_JOB, BAD_MESSAGE, GOOD_JOB, env_with_path, git_commit, run

PROJECT = Path(__file__).resolve().parent.parent
PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")


def _runtime_dependencies() -> list[str]:
    """pyproject.toml's [project] dependencies (read as text: tomllib needs Python 3.11)."""
    text = (PROJECT / "pyproject.toml").read_text()
    block = text.split("\ndependencies = [", 1)[1].split("\n]", 1)[0]
    return re.findall(r'^\s*"([^"]+)"', block, re.MULTILINE)


BUILD_AND_RUNTIME = ["hatchling", *_runtime_dependencies()]


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels for everything `pip install <this project>` needs, hatchling included."""
    out = tmp_path_factory.mktemp("wheelhouse")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "-w", str(out), *BUILD_AND_RUNTIME],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as it is now (uncommitted work included), as a repository and a commit."""
    target = tmp_path_factory.mktemp("project")
    listed = subprocess.run(
        ["git", "-C", str(PROJECT), "ls-files", "-z", "-co", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    for rel in filter(None, listed.decode().split("\0")):
        source = PROJECT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    for argv in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", "-C", str(target), *argv], check=True, env=env, capture_output=True)
    sha = subprocess.run(
        ["git", "-C", str(target), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return target, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def pc_env(wheelhouse: Path, pre_commit_home: Path) -> dict[str, str]:
    """Offline: pip sees only the wheelhouse; git-train is NOT on PATH (pre-commit's env has it)."""
    return env_with_path(
        gittrain=False,
        extra={
            "PRE_COMMIT_HOME": str(pre_commit_home),
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
            "PIP_CONFIG_FILE": os.devnull,
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "PRE_COMMIT_COLOR": "never",
        },
    )


def _config(project: tuple[Path, str]) -> str:
    path, sha = project
    return (
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n"
        "      - id: gittrain-validate\n      - id: gittrain-data\n"
        "      - id: gittrain-yaml-numbers\n"
    )


def test_try_repo_runs_the_hooks_against_this_project(
    repo: Repo, project: tuple[Path, str], pc_env: dict[str, str]
) -> None:
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.write("configs/sft.yaml", "learning_rate: 2e-5\n")
    repo.git("add", "-A")
    path, sha = project
    proc = run([PRE_COMMIT, "try-repo", str(path), "--ref", sha, "--all-files"], repo.root, pc_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert BAD_MESSAGE.format(name="a") in out
    assert (
        "jobs/a.yaml:6:3: error: datasets.train: dataset 'data/x.jsonl' is not in gittrain.lock"
        in out
    )
    assert (
        "configs/sft.yaml:1:16: error: 2e-5 is read as the string '2e-5' by YAML 1.1 tools "
        "(PyYAML); write 2.0e-5 [yaml11-float]" in out
    )
    assert "Traceback" not in out


def test_a_real_commit_is_blocked_then_passes_once_fixed(
    repo: Repo, project: tuple[Path, str], pc_env: dict[str, str]
) -> None:
    repo.write(".pre-commit-config.yaml", _config(project))
    proc = run([PRE_COMMIT, "install"], repo.root, pc_env)
    assert proc.returncode == 0, proc.stderr
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    proc = run(
        [str(Path(sys.executable).parent / "git-train"), "data", "add", "data/x.jsonl"], repo.root
    )
    assert proc.returncode == 0, proc.stderr
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="x"))
    repo.git("add", "-A")
    proc = git_commit(repo.root, "-m", "bad", env=pc_env)
    out = proc.stderr  # git sends a hook's stdout to stderr
    assert proc.returncode == 1, out
    assert "gittrain validate" in out and "Failed" in out
    assert "- exit code: 1" in out
    assert BAD_MESSAGE.format(name="a") in out
    assert repo.git("rev-list", "--all") == ""
    # Fixed, and with an unstaged bad edit that pre-commit must leave alone.
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.git("add", "-A")
    unstaged = BAD_JOB.format(name="a", dataset="x") + "# work in progress\n"
    repo.write("jobs/a.yaml", unstaged)
    proc = git_commit(repo.root, "-m", "good", env=pc_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gittrain validate" in proc.stderr and "Passed" in proc.stderr
    assert "rollout_n: 8" in repo.git("show", "HEAD:jobs/a.yaml")
    assert (repo.root / "jobs/a.yaml").read_text() == unstaged


@pytest.mark.parametrize("order", ["init-then-pre-commit", "pre-commit-then-install"])
def test_gittrain_and_pre_commit_together_check_once(
    repo: Repo, pre_commit_home: Path, order: str
) -> None:
    """`git train init` writes a pre-commit config and installs the native hooks; with the
    pre-commit framework installed too (either order), each check runs once, not twice."""
    env = env_with_path(
        extra={"PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}
    )
    git_train = str(Path(sys.executable).parent / "git-train")
    if order == "init-then-pre-commit":
        steps = [[git_train, "init"], [PRE_COMMIT, "install"]]
    else:
        steps = [[git_train, "init"], [PRE_COMMIT, "install"], [git_train, "install"]]
    for argv in steps:
        proc = run(argv, repo.root, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="x"))
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-m", "bad", env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert out.count(BAD_MESSAGE.format(name="a")) == 1, out
    assert "gittrain validate" in out  # the framework's hook is the one that ran
