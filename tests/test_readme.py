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
