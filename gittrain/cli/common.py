"""Helpers every CLI module shares: the workspace, problem reports, path display."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import click

from gittrain.cli.options import emit_json
from gittrain.core.words import counted

if TYPE_CHECKING:
    from pathlib import Path

    from gittrain.commands.workspace import Workspace
    from gittrain.core.problems import Problem


def workspace() -> Workspace:
    from pathlib import Path  # lazily: `git train -h` imports this module

    from gittrain.commands.workspace import open_workspace

    return open_workspace(Path.cwd())


def repo_root() -> tuple[Path, str]:
    """The work tree root and the current directory relative to it (POSIX, '' at the root).

    Outside a work tree (or in a bare repository) this is a usage error, exit 2.
    """
    from pathlib import Path  # lazily: `git train -h` imports this module

    from gittrain.adapters import gitrepo
    from gittrain.errors import usage_error

    cwd = Path.cwd().resolve()
    root = gitrepo.toplevel(cwd)
    if root is None:
        raise usage_error(f"not inside a git work tree: {cwd}")
    root = root.resolve()
    if cwd != root and root not in cwd.parents:  # GIT_DIR and GIT_WORK_TREE point elsewhere
        raise usage_error(f"the current directory {cwd} is outside the work tree {root}")
    prefix = cwd.relative_to(root).as_posix() if cwd != root else ""
    return root, "" if prefix == "." else prefix


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


__all__ = ["counted", "emit_json", "print_problems", "print_table", "problems_json", "workspace"]
