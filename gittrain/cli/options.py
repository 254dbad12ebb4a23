"""Option decorators shared by several commands, and the output helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Text(click.ParamType):  # type: ignore[type-arg]
    """A string option value that must be valid UTF-8 (it ends up in files gittrain writes)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from gittrain.errors import usage_error

        text = str(click.STRING.convert(value, param, ctx))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            shown = param.opts[0] if param is not None and param.opts else "value"
            raw = text.encode("utf-8", "surrogateescape")
            raise usage_error(f"{shown} {raw!r}: not valid UTF-8") from None
        return text


TEXT = _Text()


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
        type=TEXT,
        metavar="KEY.PATH",
        help="Remove a config value (repeatable).",
    )(f)
    return click.option(
        "--set",
        "sets",
        multiple=True,
        type=TEXT,
        metavar="KEY.PATH=VALUE",
        help="Set a config value (repeatable); VALUE is YAML (2e-5 is a number).",
    )(f)


def apply_options(f: F) -> F:
    """What applying a recipe needs: size, GPUs, edits, datasets, model (recipe apply, job new)."""
    f = click.option("--model", type=TEXT, help="Base model, e.g. Qwen/Qwen2.5-7B-Instruct.")(f)
    f = click.option(
        "--dataset",
        "datasets",
        multiple=True,
        type=TEXT,
        metavar="ROLE=NAME",
        help="A dataset by lockfile name or path, e.g. train=gsm8k (repeatable).",
    )(f)
    f = edit_options(f)
    f = click.option(
        "--framework",
        metavar="FRAMEWORK",
        help="Write the config in this trainer's keys (verl, trl, llamafactory, axolotl, "
        "torchtune).",
    )(f)
    f = click.option("--gpus", type=int, required=True, help="Number of GPUs.")(f)
    return click.option(
        "--model-size", required=True, help="Parameter count: 135M, 0.5B, 7B, 70B, 8x7B."
    )(f)


def emit_json(payload: object) -> None:
    import json  # not at the top: `git train -h` imports this module

    click.echo(json.dumps(payload, indent=2, sort_keys=False, ensure_ascii=False))


def echo(text: str = "", *, err: bool = False) -> None:
    click.echo(text, err=err)


def metric_options(results_option: str) -> Callable[[F], F]:
    """`--metric-prefix P` and `--select KEY`: which keys of a results file are recorded."""

    def decorate(f: F) -> F:
        f = click.option(
            "--select",
            "select",
            multiple=True,
            type=TEXT,
            metavar="KEY",
            help=f"Record only this key of {results_option} (repeatable).",
        )(f)
        return click.option(
            "--metric-prefix",
            type=TEXT,
            metavar="P",
            help=f"Record only the keys of {results_option} that start with P (e.g. eval_).",
        )(f)

    return decorate
