"""The `git train` Click group: argument parsing, output and exit codes.

Subcommands load lazily from the table below so `git train -h` and the hooks
never import GitPython, jsonschema or pyarrow unless a command needs them.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from gittrain import __version__
from gittrain.cli.options import CONTEXT
from gittrain.errors import EXIT_BUG, EXIT_USAGE, GittrainError

# name -> "module:attribute"; the modules import only click and the standard library.
_COMMANDS: dict[str, str] = {
    "recipe": "gittrain.cli.recipe:recipe",
    "validate": "gittrain.cli.validate:validate",
    "schema": "gittrain.cli.validate:schema",
    "data": "gittrain.cli.data:data",
    "merge-lock": "gittrain.cli.data:merge_lock",
    "diff": "gittrain.cli.diff:diff",
    "textconv": "gittrain.cli.diff:textconv",
    "review": "gittrain.cli.diff:review",
    "install": "gittrain.cli.hooks:install",
    "uninstall": "gittrain.cli.hooks:uninstall",
    "init": "gittrain.cli.hooks:init",
    "lint-yaml": "gittrain.cli.hooks:lint_yaml",
    "check-data": "gittrain.cli.hooks:check_data",
    "hook": "gittrain.cli.hooks:hook",
    "job": "gittrain.cli.job:job",
    "experience": "gittrain.cli.experience:experience",
    "completion": "gittrain.cli.completion:completion",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


class RootGroup(LazyGroup):
    """Maps every failure to gittrain's exit-code contract."""

    def invoke(self, ctx: click.Context) -> Any:
        # A file name git gives us that is not UTF-8 holds surrogates; print its bytes
        # as they are rather than fail on them.
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="surrogateescape")
        try:
            return super().invoke(ctx)
        except GittrainError as exc:
            click.echo(f"error: {exc.message}", err=True)
            ctx.exit(exc.code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`git train ... | head`); not an error of ours.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except Exception:
            import traceback  # only on the error path: it costs start-up time

            click.echo(
                "internal error, please report it with the traceback below:\n"
                + traceback.format_exc(),
                err=True,
                nl=False,
            )
            ctx.exit(EXIT_BUG)


@click.group(cls=RootGroup, lazy=_COMMANDS, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="gittrain")
def cli() -> None:
    """Git-native recipes, validation, diffs, dataset lineage and experience for LLM training.

    Run `git train COMMAND -h` for a command's options.  Not listed: what git
    and the hooks run (hook, merge-lock, textconv); `-h` still describes them.
    """


def main(argv: list[str] | None = None) -> None:
    """Run the Click group (`gittrain.cli.main` sends every command line but the hooks' here)."""
    try:
        # Click would derive the completion variable from the program name, which has a space.
        cli.main(args=argv, prog_name="git train", complete_var="_GIT_TRAIN_COMPLETE")
    except KeyboardInterrupt:  # raised while click itself was parsing
        sys.exit(130)
    except click.exceptions.Exit as exc:  # pragma: no cover - standalone mode handles it
        sys.exit(exc.exit_code or 0)
    sys.exit(EXIT_USAGE)  # pragma: no cover - cli.main always exits
