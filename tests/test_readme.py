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
