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


def edit_options(f: F) -> F:
    """`--set KEY.PATH=VALUE` and `--unset KEY.PATH`, both repeatable (apply, job new/clone)."""
    f = click.option(
        "--unset",
        "unsets",
        multiple=True,
        metavar="KEY.PATH",
        help="Remove a config value (repeatable).",
    )(f)
    return click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="KEY.PATH=VALUE",
        help="Set a config value (repeatable); VALUE is YAML (2e-5 is a number).",
    )(f)


def apply_options(f: F) -> F:
    """What applying a recipe needs: size, GPUs, edits, datasets, model (recipe apply, job new)."""
    f = click.option("--model", help="Base model, e.g. Qwen/Qwen2.5-7B-Instruct.")(f)
    f = click.option(
        "--dataset",
        "datasets",
        multiple=True,
        metavar="ROLE=NAME",
        help="A dataset by lockfile name or path, e.g. train=gsm8k (repeatable).",
    )(f)
    f = edit_options(f)
    f = click.option("--gpus", type=int, required=True, help="Number of GPUs.")(f)
    return click.option(
        "--model-size", required=True, help="Parameter count: 135M, 0.5B, 7B, 70B, 8x7B."
    )(f)


def emit_json(payload: object) -> None:
    import json  # not at the top: `git train -h` imports this module

    click.echo(json.dumps(payload, indent=2, sort_keys=False, ensure_ascii=False))


def echo(text: str = "", *, err: bool = False) -> None:
    click.echo(text, err=err)
