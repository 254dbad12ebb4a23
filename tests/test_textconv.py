"""`git train textconv` and `git train install --diff`, down to a real `git diff`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Repo

from gittrain.cli import cli
from gittrain.commands import install

DRIVER = str(Path(sys.executable).parent / "git-train-textconv")
# The `.gitattributes` block for the default settings.
SCOPED = [
    f"{directory}/**/*.{suffix} diff=gittrain"
    for directory in ("recipes", "jobs", "configs")
    for suffix in ("yaml", "yml")
] + ["gittrain.lock diff=gittrain"]


def textconv(path: Path, cwd: Path | None = None) -> Result:
    """`git train textconv`, checked against the click-free driver git runs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd or path.parent)
        result = CliRunner().invoke(cli, ["textconv", str(path)])
    driver = subprocess.run(
        [DRIVER, str(path)], cwd=cwd or path.parent, capture_output=True, check=False
    )
    assert (driver.returncode, driver.stdout) == (result.exit_code, result.stdout_bytes)
    return result


def test_driver_usage_and_unreadable_file(tmp_path: Path) -> None:
    usage = subprocess.run([DRIVER], capture_output=True, text=True, check=False)
    assert (usage.returncode, usage.stderr) == (
        2,
        "usage: git-train-textconv [--rules=FINGERPRINT] FILE\n",
    )
    missing = subprocess.run(
        [DRIVER, str(tmp_path / "nope.yaml")], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2
    assert (
        missing.stderr
        == f"error: {tmp_path / 'nope.yaml'}: cannot read: No such file or directory\n"
    )
    assert "Traceback" not in missing.stderr


def test_canonical_lines(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        "# comment\n"
        "config:\n"
        "  learning_rate: 1.0e-6\n"
        "  lora_rank: 64\n"
        "  flag: yes\n"
        "  output_dir: out\n"
        "datasets:\n"
        "  - {name: gsm8k, path: data/g.parquet}\n"
        "tags: [a, 1, true, null]\n"
        "empty: {}\n"
    )
    result = textconv(path)
    assert result.exit_code == 0
    assert result.stdout == (
        "config.learning_rate = 1e-06  # critical\n"
        "config.lora_rank = 64  # important\n"
        'config.flag = "yes"\n'
        'config.output_dir = "out"  # noise\n'
        'datasets[name=gsm8k].name = "gsm8k"  # critical\n'
        'datasets[name=gsm8k].path = "data/g.parquet"  # critical\n'
        'tags[0] = "a"\n'
        "tags[1] = 1\n"
        "tags[2] = true\n"
        "tags[3] = null\n"
        "empty = {}\n"
    )


@pytest.mark.parametrize(
    "content",
    [b"a: [unclosed\n", b"\x00\x01binary\xff", b"", b"a: 1\na: 2\n", b"\xff\xfe bad utf8"],
)
def test_unparsable_files_come_back_raw(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    result = textconv(path)
    assert result.exit_code == 0
    assert result.stdout_bytes == content


def test_broken_settings_do_not_break_textconv(tmp_path: Path) -> None:
    (tmp_path / ".gittrain.yaml").write_text("diff: [\n")
    path = tmp_path / "x.yaml"
    path.write_text("lr: 0.1\n")
    result = textconv(path, cwd=tmp_path)
    assert (result.exit_code, result.stdout) == (0, "lr = 0.1  # critical\n")


def test_settings_rules_apply(tmp_path: Path) -> None:
    (tmp_path / ".gittrain.yaml").write_text("diff:\n  rules: [{match: seed, tier: critical}]\n")
    path = tmp_path / "x.yaml"
    path.write_text("seed: 3\n")
    assert textconv(path, cwd=tmp_path).stdout == "seed = 3  # critical\n"


def test_install_is_idempotent(repo: Repo) -> None:
    repo.write(".gitattributes", "*.png binary")  # no trailing newline
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo.root)
        first = CliRunner().invoke(cli, ["install", "--diff"])
        second = CliRunner().invoke(cli, ["install", "--diff"])
        bare = CliRunner().invoke(cli, ["install"])
    assert first.exit_code == 0
    command = install.command(repo.root)
    assert first.stdout == (
        f"set diff.gittrain.textconv={command}\n"
        "set diff.gittrain.cachetextconv=true\n"
        + "".join(f"added to .gitattributes: {line}\n" for line in SCOPED)
    )
    assert (second.exit_code, second.stdout) == (0, "already installed\n")
    # No flags installs all three (issue 6): the diff part is already there.
    assert bare.exit_code == 0
    assert "added to .gitattributes: recipes" not in bare.stdout
    assert "installed hook" in bare.stdout
    assert (repo.root / ".gitattributes").read_text() == (
        "*.png binary\n" + "\n".join([install.BEGIN, *SCOPED, install.END]) + "\n"
        "gittrain.lock merge=gittrain-lock\n"
    )
    assert repo.git("config", "--local", "diff.gittrain.textconv").strip() == command
    assert command.startswith("git-train-textconv --rules=")


def test_install_outside_a_repository_writes_nothing(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["install", "--diff"])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_real_git_diff_goes_through_textconv(repo: Repo) -> None:
    repo.write(".gittrain.yaml", "diff:\n  rules: [{match: seed, tier: critical}]\n")
    repo.write("jobs/a.yaml", "config:\n  learning_rate: 1.0e-6\n  seed: 1\n")
    repo.commit("base")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo.root)
        assert CliRunner().invoke(cli, ["install", "--diff"]).exit_code == 0
    repo.write("jobs/a.yaml", "config:\n  learning_rate: 0.0000005  # halved\n  seed: 1\n")
    repo.write("jobs/broken.yaml", "a: [\n")
    repo.git("add", "jobs/broken.yaml")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(
        ["git", "diff", "HEAD", "--no-color"],
        cwd=repo.root / "jobs",  # from a subdirectory: the repository's rules still apply
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "-config.learning_rate = 1e-06  # critical\n" in proc.stdout
    assert "+config.learning_rate = 5e-07  # critical\n" in proc.stdout
    assert " config.seed = 1  # critical\n" in proc.stdout
    assert "+a: [\n" in proc.stdout  # unparsable: raw text, and git still succeeds
    assert proc.stderr == ""
