"""The CLI contract: help everywhere, version, entry points and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

GIT_TRAIN = Path(sys.executable).parent / "git-train"


def test_help_short_flag_at_top_level(cli: Cli, tmp_path: Path) -> None:
    result = cli("-h", cwd=tmp_path)
    assert result.code == 0
    assert "Usage: git train" in result.out
    for command in ("recipe", "validate", "schema"):
        assert command in result.out


@pytest.mark.parametrize(
    "args",
    [
        ["recipe", "-h"],
        ["recipe", "list", "-h"],
        ["recipe", "show", "-h"],
        ["recipe", "apply", "-h"],
        ["recipe", "new", "-h"],
        ["recipe", "validate", "-h"],
        ["recipe", "tags", "-h"],
        ["recipe", "task-types", "-h"],
        ["validate", "-h"],
        ["schema", "-h"],
    ],
)
def test_help_short_flag_everywhere(cli: Cli, tmp_path: Path, args: list[str]) -> None:
    result = cli(*args, cwd=tmp_path)
    assert result.code == 0, result
    assert "Usage:" in result.out


def test_version(cli: Cli, tmp_path: Path) -> None:
    from gittrain import __version__

    result = cli("--version", cwd=tmp_path)
    assert result.code == 0
    assert result.out.strip() == f"gittrain, version {__version__}"


def test_unknown_command_is_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("frobnicate", cwd=tmp_path)
    assert result.code == 2
    assert "No such command" in result.err


def test_bad_option_is_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("recipe", "list", "--format", "xml", cwd=tmp_path)
    assert result.code == 2
    assert "Traceback" not in result.err


def test_internal_error_exits_3_with_traceback(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.commands import recipes

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(recipes, "list_recipes", broken)
    result = cli("recipe", "list", cwd=tmp_path)
    assert result.code == 3
    assert "internal error, please report" in result.err
    assert "Traceback" in result.err
    assert "RuntimeError: boom" in result.err


@pytest.mark.parametrize(
    "argv",
    [
        [str(GIT_TRAIN)],
        [str(Path(sys.executable).parent / "gittrain")],
        [sys.executable, "-m", "gittrain"],
    ],
)
def test_entry_points(argv: list[str], tmp_path: Path) -> None:
    proc = subprocess.run([*argv, "-h"], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout


def test_git_runs_it_as_a_subcommand(tmp_path: Path) -> None:
    env_path = f"{GIT_TRAIN.parent}:/usr/bin:/bin"
    proc = subprocess.run(
        ["git", "train", "recipe", "list", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": env_path, "HOME": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"grpo_basic"' in proc.stdout


def test_help_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from gittrain.cli import main\n"
        "try:\n"
        "    main(['-h'])\n"
        "except SystemExit:\n"
        "    pass\n"
        # -h loads every cli module (for the command list): they keep even json,
        # pathlib and dataclasses for inside their callbacks.
        "heavy = ('yaml', 'jsonschema', 'git', 'pyarrow', 'json', 'pathlib', 'dataclasses')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY="


def test_outside_a_repository_builtins_still_work(cli: Cli, tmp_path: Path) -> None:
    result = cli("recipe", "show", "grpo_basic", cwd=tmp_path)
    assert result.code == 0
    assert result.out.startswith("grpo_basic ")
