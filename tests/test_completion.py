"""`git train completion SHELL`, sourced in a real bash (issue 11, item 18)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

GIT_COMPLETION = Path("/usr/share/bash-completion/completions/git")


def complete(cli: Cli, tmp_path: Path, calls: str) -> list[str]:
    """Source the bash script, run ``calls`` (which echo COMPREPLY), return the lines."""
    result = cli("completion", "bash")
    assert result.code == 0, result
    script = tmp_path / "git-train.bash"
    script.write_text(result.out)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", f"source {script}\n{calls}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_git_train_and_git_dash_train_complete_in_bash(cli: Cli, tmp_path: Path) -> None:
    calls = (
        "COMP_WORDS=(git train da); COMP_CWORD=2; COMPREPLY=(); _git_train\n"
        'echo "${COMPREPLY[*]}"\n'
        "COMP_WORDS=(git-train recipe a); COMP_CWORD=2; COMPREPLY=()\n"
        '_git_train_completion git-train; echo "${COMPREPLY[*]}"\n'
        'COMP_WORDS=(git-train ""); COMP_CWORD=1; COMPREPLY=()\n'
        '_git_train_completion git-train; echo "${COMPREPLY[*]}"\n'
        "complete -p git-train\n"
    )
    data, apply, top, registered = complete(cli, tmp_path, calls)
    assert data == "data"
    assert apply == "apply"
    assert {"diff", "review", "recipe", "completion"} <= set(top.split())
    assert {"hook", "merge-lock", "textconv"}.isdisjoint(top.split())  # internal
    assert registered == "complete -o nosort -F _git_train_completion git-train"


@pytest.mark.skipif(not GIT_COMPLETION.is_file(), reason="git's bash completion is not installed")
def test_through_gits_own_bash_completion(cli: Cli, tmp_path: Path) -> None:
    calls = (
        f"source {GIT_COMPLETION}\n"
        'COMP_LINE="git train da"; COMP_WORDS=(git train da); COMP_CWORD=2\n'
        "COMP_POINT=${#COMP_LINE}; COMPREPLY=(); __git_wrap__git_main git da train\n"
        'echo "${COMPREPLY[*]}"\n'
        'COMP_LINE="git -C . train recipe a"; COMP_WORDS=(git -C . train recipe a)\n'
        "COMP_CWORD=5; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); __git_wrap__git_main git a recipe\n"
        'echo "${COMPREPLY[*]}"\n'
    )
    assert complete(cli, tmp_path, calls) == ["data", "apply"]


@pytest.mark.parametrize(
    ("shell", "needles"),
    [
        ("zsh", ["#compdef git-train", "_git-train() {", "_GIT_TRAIN_COMPLETE=zsh_complete"]),
        ("fish", ["--command git-train", "__fish_seen_subcommand_from train", "fish_complete"]),
    ],
)
def test_zsh_and_fish_scripts(cli: Cli, tmp_path: Path, shell: str, needles: list[str]) -> None:
    result = cli("completion", shell)
    assert result.code == 0, result
    for needle in needles:
        assert needle in result.out
    binary = shutil.which(shell)
    if binary is not None:  # a syntax check where the shell is installed
        script = tmp_path / f"git-train.{shell}"
        script.write_text(result.out)
        proc = subprocess.run([binary, "-n", str(script)], capture_output=True, check=False)
        assert proc.returncode == 0, proc.stderr


def test_unknown_shell(cli: Cli) -> None:
    result = cli("completion", "tcsh")
    assert result.code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.err
