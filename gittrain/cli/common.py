"""Helpers every CLI module shares: the workspace, problem reports, path display."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import click

from gittrain.cli.options import emit_json
from gittrain.cli.rootdir import repo_root
from gittrain.core.words import counted

if TYPE_CHECKING:
    from gittrain.commands.workspace import Workspace
    from gittrain.core.problems import Problem


def workspace() -> Workspace:
    from pathlib import Path  # lazily: `git train -h` imports this module

    from gittrain.commands.workspace import open_workspace

    return open_workspace(Path.cwd())


def print_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(problem.render())


def problems_json(problems: Sequence[Problem]) -> list[dict[str, object]]:
    return [p.to_json() for p in problems]


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Rows of cells in left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


__all__ = [
    "counted",
    "emit_json",
    "print_problems",
    "print_table",
    "problems_json",
    "repo_root",
    "workspace",
]
