"""The README stays true: every command it names exists, and every command is in it."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _all_commands() -> list[tuple[str, ...]]:
    import click

    from gittrain.cli import cli

    ctx = click.Context(cli)
    found: list[tuple[str, ...]] = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found.extend((name, sub) for sub in command.list_commands(ctx))
        else:
            found.append((name,))
    return found


def test_quick_start_is_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_every_command_is_documented() -> None:
    for command in _all_commands():
        assert f"git train {' '.join(command)}" in README or (
            len(command) == 2 and f"{command[0]} {command[1]}" in README
        ), command


def test_every_documented_command_exists(cli: Cli, tmp_path: Path) -> None:
    known = {" ".join(c) for c in _all_commands()}
    groups = {c[0] for c in _all_commands() if len(c) == 2}
    mentioned = set(re.findall(r"git train ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", README))
    for text in mentioned:
        words = text.split()
        name = " ".join(words[:2]) if words[0] in groups and len(words) > 1 else words[0]
        assert name in known, text
        assert cli(*name.split(), "-h", cwd=tmp_path).code == 0


def _walk(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    import click

    assert isinstance(group, click.Group)
    ctx = click.Context(group)
    out: list[tuple[tuple[str, ...], object]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            out.extend(_walk(command, (*prefix, name)))
        else:
            out.append(((*prefix, name), command))
    return out


def _reference_rows() -> list[str]:
    section = README.split("## Command reference", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `git train ")]


def test_reference_lists_every_option_of_every_command() -> None:
    """The reference table is checked against each command's own -h, so it cannot drift."""
    import click

    from gittrain.cli import cli

    rows = _reference_rows()
    for path, command in _walk(cli):
        assert isinstance(command, click.Command)
        name = " ".join(path)
        mine = [
            r for r in rows if f"git train {name}" in r or f"`{name} " in r or f"/ `{name}" in r
        ]
        assert mine, f"no reference row for git train {name}"
        text = " ".join(mine)
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden or "--help" in param.opts:
                continue
            spelled = param.opts + param.secondary_opts
            found = any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text) for o in spelled)
            assert found, f"git train {name}: {spelled[0]} undocumented"


def _collected(*files: str) -> int:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *(f"tests/{f}" for f in files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return sum(1 for line in proc.stdout.splitlines() if "::" in line)


def test_reliability_counts_match_the_suite() -> None:
    section = README.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    counts = {
        row.split("|")[-2].strip(): int(row.split("|")[-3])
        for row in section.splitlines()
        if row.startswith("| ") and row.split("|")[-3].strip().isdigit()
    }
    import test_bad_input

    assert counts["`tests/test_bad_input.py`"] == len(test_bad_input.CASES)
    faults = "`tests/test_data_faults.py`, `tests/test_faults.py`, `tests/test_experience.py`"
    assert counts[faults] == _collected("test_data_faults.py", "test_faults.py") + 1  # + Ctrl-C
    assert counts["`tests/test_repo_shapes.py`"] == _collected("test_repo_shapes.py")
    assert counts["`tests/test_soak.py`"] == _collected("test_soak.py")
    assert counts["`tests/test_gitdir.py`"] == _collected("test_gitdir.py")
    hooks = "`tests/test_hooks_native.py`, `tests/test_hooks_precommit.py`"
    assert counts[hooks] == _collected("test_hooks_native.py", "test_hooks_precommit.py")
