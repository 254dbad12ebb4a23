"""Option decorators shared by several commands, and the output helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def format_option(*choices: str) -> Callable[[F], F]:
    """`--format text|json[|markdown]`, text by default."""
    names = choices or FORMATS
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(names),
        default=names[0],
        show_default=True,
        help="Output format.",
    )


def emit_json(payload: object) -> None:
    import json  # not at the top: `git train -h` imports this module

    click.echo(json.dumps(payload, indent=2, sort_keys=False, ensure_ascii=False))


def echo(text: str = "", *, err: bool = False) -> None:
    click.echo(text, err=err)
