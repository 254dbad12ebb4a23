"""`git train diff`, `textconv` and `review`: the semantic diff commands."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from gittrain.cli.common import repo_root
from gittrain.cli.options import CONTEXT, emit_json, format_option

if TYPE_CHECKING:
    pass

TIERS = ("critical", "important", "normal", "noise")


class DashDashCommand(click.Command):
    """Keeps what follows ``--`` apart (as pathspecs), the way ``git diff`` does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta["gittrain.pathspecs"] = tuple(args[cut + 1 :])
            args = args[:cut]
        return super().parse_args(ctx, args)


def use_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command(cls=DashDashCommand, context_settings=CONTEXT)
@click.argument("revisions", nargs=-1)
@click.option("--cached", "--staged", "cached", is_flag=True, help="Compare the index with HEAD.")
@click.option("--jobs", "jobs", is_flag=True, help="Compare two jobs: NAME[@REV] NAME[@REV].")
@click.option("--recipes", "recipes", is_flag=True, help="Compare two recipes: ID[@REV] ID[@REV].")
@click.option("--no-index", "no_index", is_flag=True, help="Compare two files outside git: A B.")
@format_option("text", "markdown", "json")
@click.option("--all", "show_all", is_flag=True, help="Also show noise (output_dir, wandb_*, ...).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences.")
@click.option("--fail-on", type=click.Choice(TIERS), help="Exit 1 on a change at or above TIER.")
@click.pass_context
def diff(
    ctx: click.Context,
    *,
    revisions: tuple[str, ...],
    cached: bool,
    jobs: bool,
    recipes: bool,
    no_index: bool,
    fmt: str,
    show_all: bool,
    exit_code: bool,
    fail_on: str | None,
) -> None:
    """Semantic diff of training configs, with the revision forms of `git diff`.

    \b
      git train diff                 work tree vs index
      git train diff --cached        index vs HEAD
      git train diff REV             REV vs work tree
      git train diff A B | A..B      A vs B
      git train diff A...B           merge base of A and B vs B
      git train diff ... -- PATHS    only these paths (any YAML/JSON file)
      git train diff --jobs A B      two jobs, each NAME or NAME@REV
      git train diff --no-index A B  two files, in or outside a repository
    """
    from gittrain.errors import usage_error

    pathspecs: tuple[str, ...] | None = ctx.meta.get("gittrain.pathspecs")
    if no_index:
        files = (*revisions, *(pathspecs or ()))
        if jobs or recipes or cached or len(files) != 2:
            raise usage_error("--no-index takes exactly two files: A B")
        from pathlib import Path

        from gittrain.commands.compare import compare_files

        report = compare_files(Path.cwd(), files[0], files[1])
        show(report, fmt=fmt, show_all=show_all, more=_more("diff", "--no-index", *files))
        ctx.exit(exit_status(report.files, show_all=show_all, exit_code=exit_code, fail_on=fail_on))
    root, prefix = repo_root()
    if jobs or recipes:
        if jobs and recipes:
            raise usage_error("--jobs and --recipes cannot be combined")
        if len(revisions) != 2 or pathspecs or cached:
            raise usage_error(f"--{'jobs' if jobs else 'recipes'} takes exactly two names: A B")
        from gittrain.commands.compare import compare_named
        from gittrain.core.filediff import FileKind

        kind = FileKind.JOB if jobs else FileKind.RECIPE
        report = compare_named(root, kind, revisions[0], revisions[1])
    else:
        from gittrain.commands.diff import DiffRequest, run_diff

        request = DiffRequest(revisions, pathspecs, cached=cached, prefix=prefix)
        report = run_diff(root, request)
    flags = [f for f, on in (("--jobs", jobs), ("--recipes", recipes), ("--cached", cached)) if on]
    paths = ["--", *pathspecs] if pathspecs else []
    show(report, fmt=fmt, show_all=show_all, more=_more("diff", *flags, *revisions, *paths))
    ctx.exit(exit_status(report.files, show_all=show_all, exit_code=exit_code, fail_on=fail_on))


def _more(*words: str) -> str:
    """The command that shows all a cut markdown output left out: the same, as text."""
    import shlex

    return shlex.join(["git", "train", *words, "--format", "text"])


def show(report: Any, *, fmt: str, show_all: bool, more: str = "") -> None:
    from gittrain.cli import diffformat

    if fmt == "json":
        emit_json(diffformat.json_report(report, show_all=show_all))
    elif fmt == "markdown":
        from gittrain.cli.diffmarkdown import markdown_report

        command = more or "git train diff --format text"
        click.echo(markdown_report(report, show_all=show_all, command=command), nl=False)
    else:
        colour = use_colour()
        click.echo(
            diffformat.text_report(report, show_all=show_all, colour=colour), nl=False, color=colour
        )


def exit_status(files: Any, *, show_all: bool, exit_code: bool, fail_on: str | None) -> int:
    """1 for unreadable files, a gate that tripped, or (with --exit-code) any difference."""
    from gittrain.cli import diffformat
    from gittrain.core.filediff import FILE_TIER
    from gittrain.core.importance import Tier

    if any(f.error for f in files):
        return 1
    visible = diffformat.rows(files, show_all or fail_on == "noise")
    if fail_on is not None and (
        any(f.datasets for f in files)  # a lockfile dataset changed: critical
        or any(r.tier.at_least(Tier(fail_on)) for r in visible)
        # an added or deleted file is one change at FILE_TIER, never one per key
        or (FILE_TIER.at_least(Tier(fail_on)) and any(f.contents for f in files))
    ):
        return 1
    if exit_code and any(
        diffformat.is_shown(f, [r for r in visible if r.file is f]) for f in files
    ):
        return 1
    return 0


@click.command(context_settings=CONTEXT, hidden=True)  # run by git
@click.argument("file", type=click.Path(dir_okay=False))
def textconv(file: str) -> None:
    """Print FILE as one `path = value  # tier` line per leaf (a git textconv driver).

    Anything that is not a parsable config is printed unchanged, so git never fails.
    """
    from gittrain.commands.textconv import settings_policy
    from gittrain.commands.textconv import textconv as convert
    from gittrain.errors import usage_error

    try:
        result = convert(file, settings_policy(os.getcwd()))
    except OSError as exc:
        raise usage_error(f"{file}: cannot read: {exc.strerror}") from None
    if result.text is None:
        sys.stdout.buffer.write(result.raw)
    else:
        click.echo(result.text, nl=False)


@click.command(context_settings=CONTEXT)
@click.argument("revisions", nargs=-1, required=True)
@format_option("markdown", "text", "json")
@click.option("--fail-on", type=click.Choice(TIERS), help="Exit 1 on a change at or above TIER.")
@click.pass_context
def review(ctx: click.Context, revisions: tuple[str, ...], fmt: str, fail_on: str | None) -> None:
    """Summarise a pull request's config changes: git train review BASE...HEAD.

    Lists each changed recipe and job with its critical and important changes,
    and for each changed recipe the jobs in HEAD's history that used it.
    """
    from gittrain.cli import reviewformat
    from gittrain.commands.review import run_review

    root, _prefix = repo_root()
    report = run_review(root, revisions)
    if fmt == "json":
        emit_json(reviewformat.json_review(report))
    elif fmt == "text":
        colour = use_colour()
        click.echo(reviewformat.text_review(report, colour=colour), nl=False, color=colour)
    else:
        more = _more("review", *revisions)
        click.echo(reviewformat.markdown_review(report, command=more), nl=False)
    ctx.exit(exit_status(report.all_files, show_all=False, exit_code=False, fail_on=fail_on))
