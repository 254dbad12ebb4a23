"""`git train recipe ...`: list, show, log, task-types, tags, apply, new, validate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from gittrain.cli.common import (
    counted,
    emit_json,
    print_problems,
    print_table,
    problems_json,
    workspace,
)
from gittrain.cli.options import CONTEXT, TEXT, apply_options, format_option

if TYPE_CHECKING:
    from gittrain.core.apply import Change
    from gittrain.core.problems import Problem
    from gittrain.core.recipes import Recipe


@click.group(context_settings=CONTEXT)
def recipe() -> None:
    """Browse, apply and create training recipes."""


@recipe.command("list", context_settings=CONTEXT)
@click.option(
    "--task-type", help="Only recipes of this task type (sft, rlhf, dpo, grpo, pretrain)."
)
@click.option("--tag", type=TEXT, help="Only recipes with this tag.")
@format_option()
def list_(task_type: str | None, tag: str | None, fmt: str) -> None:
    """List the built-in recipes and the repository's own (recipes/)."""
    from gittrain.commands.recipes import list_recipes

    listing = list_recipes(workspace(), task_type, tag)
    if fmt == "json":
        emit_json(
            {
                "recipes": [r.to_json() for r in listing.recipes],
                "problems": problems_json(listing.problems),
            }
        )
    else:
        rows = [("ID", "VERSION", "TASK", "ALGORITHM", "GPUS", "SIZES", "SOURCE")]
        for r in listing.recipes:
            source = "built-in" if r.origin.value == "builtin" else r.source
            if r.overrides_builtin:
                source += " (overrides built-in)"
            rows.append(
                (
                    r.id,
                    r.version,
                    r.task_type,
                    r.recommended_algorithm,
                    f"{r.min_gpus}-{r.recommended_gpus}",
                    r.model_size_hint,
                    source,
                )
            )
        print_table(rows)
        if not listing.recipes:
            click.echo("no recipes match", err=True)
        print_problems(listing.problems)
    raise SystemExit(_exit_code(listing.problems))


def _exit_code(problems: Sequence[Problem]) -> int:
    """1 for a broken recipe; 2 when one resolves outside the work tree (as everywhere)."""
    from gittrain.core.recipes import OUTSIDE

    if any(p.rule == OUTSIDE for p in problems):
        return 2
    return 1 if problems else 0


@recipe.command(context_settings=CONTEXT)
@click.argument("recipe_id", metavar="ID[@REV]")
@format_option()
def show(recipe_id: str, fmt: str) -> None:
    """Show one recipe: requirements, default config, size adjustments and tips.

    ID@REV shows the recipe as it was at revision REV.
    """
    from gittrain.adapters.yamlio import dump
    from gittrain.commands.recipes import show_recipe

    r = show_recipe(workspace(), recipe_id)
    if fmt == "json":
        emit_json(r.to_json())
        return
    _show_text(r, dump(dict(r.default_config)))


@recipe.command(context_settings=CONTEXT)
@click.argument("recipe_id", metavar="ID")
@format_option()
def log(recipe_id: str, fmt: str) -> None:
    """Every version of team recipe ID in HEAD's first-parent history, renames followed.

    Each version shows its commit, date, author, `version` field and the ideas
    that changed from the previous version.
    """
    from gittrain.cli.recipelog import render_log
    from gittrain.commands.recipe_log import recipe_log

    render_log(recipe_log(workspace(), recipe_id), fmt)


@recipe.command("task-types", context_settings=CONTEXT)
@format_option()
def task_types(fmt: str) -> None:
    """List task types and how many recipes each has."""
    from gittrain.commands.recipes import task_types as run

    _counts(run(workspace()), "task_types", fmt)


@recipe.command(context_settings=CONTEXT)
@format_option()
def tags(fmt: str) -> None:
    """List tags and how many recipes carry each."""
    from gittrain.commands.recipes import tags as run

    _counts(run(workspace()), "tags", fmt)


@recipe.command(context_settings=CONTEXT)
@click.argument("recipe_id", metavar="ID[@REV]")
@apply_options
@click.option("--name", type=TEXT, help="Job name (default: from -o, else recipe-size-gpus).")
@click.option("-o", "--output", metavar="FILE", help="Write the job here (e.g. jobs/NAME.yaml).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@format_option()
def apply(recipe_id: str, fmt: str, **options: Any) -> None:
    """Adapt recipe ID to a model size and GPU count, with a reason for every change.

    The global batch is kept constant across GPU counts by adjusting the
    per-device batch and gradient accumulation.  Without -o the job is printed
    to stdout and the report goes to stderr.  The job is validated first and
    nothing is written when it has errors.  ID@REV applies the recipe as it was
    at revision REV, and the job is pinned to that commit.
    """
    from gittrain.commands.recipe_apply import ApplyOptions
    from gittrain.commands.recipe_apply import apply as run

    request = ApplyOptions(**options)
    argv = ["git train recipe apply", recipe_id, "--model-size", request.model_size]
    command = " ".join([*argv, "--gpus", str(request.gpus)])
    result = run(workspace(), recipe_id, request, command=command)
    gpus = request.gpus
    if fmt == "json":
        emit_json(
            {
                "recipe": {"id": result.recipe.id, "version": result.recipe.version},
                "job": result.applied.job,
                "changes": [_change_json(c) for c in result.applied.changes],
                "warnings": list(result.applied.warnings),
                "problems": problems_json(result.problems),
                "written": result.output,
            }
        )
    else:
        report_err = result.output is None
        click.echo(
            f"recipe {result.recipe.id} {result.recipe.version} for "
            f"{result.applied.job['model_size']} on {gpus} GPUs:",
            err=report_err,
        )
        for change in result.applied.changes:
            click.echo(f"  {_change_text(change)}", err=report_err)
        if not result.applied.changes:
            click.echo("  (the recipe's values fit as they are)", err=report_err)
        for warning in result.applied.warnings:
            click.echo(f"warning: {warning}", err=True)
        print_problems(result.problems)
        if result.errors:
            click.echo(f"not written: {counted(result.errors, 'error')}", err=True)
        elif result.output:
            click.echo(f"wrote {result.output}")
        else:
            click.echo(result.text, nl=False)
    raise SystemExit(1 if result.errors else 0)


@recipe.command(context_settings=CONTEXT)
@click.argument("recipe_id", metavar="ID")
@click.option("--from", "base", required=True, metavar="OTHER", help="The recipe to copy.")
@click.option(
    "--extends",
    is_flag=True,
    help="Write a small recipe that extends OTHER instead of a full copy.",
)
@click.option("--force", is_flag=True, help="Replace an existing recipe file.")
def new(recipe_id: str, base: str, extends: bool, force: bool) -> None:
    """Copy recipe OTHER into the repository's recipes/ as ID, for editing."""
    from gittrain.commands.recipe_new import new_recipe

    made = new_recipe(workspace(), recipe_id, base, extends=extends, force=force)
    how = "extending" if made.extends else "copied from"
    click.echo(f"wrote {made.path} ({how} {base})")


@recipe.command("validate", context_settings=CONTEXT)
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--recipe",
    "recipe_id",
    required=True,
    metavar="ID[@REV]",
    help="The recipe to check against (ID@REV: as it was at that revision).",
)
@click.option("--gpus", type=click.IntRange(min=1), help="GPU count (default: the job's num_gpus).")
@format_option()
def validate_(config: str, recipe_id: str, gpus: int | None, fmt: str) -> None:
    """Check CONFIG (a job or a plain config) against recipe ID's rules and defaults."""
    from gittrain.commands.recipe_check import check_against_recipe

    result = check_against_recipe(workspace(), config, recipe_id, gpus)
    if fmt == "json":
        emit_json(
            {
                "file": result.path,
                "recipe": result.recipe.id,
                "problems": problems_json(result.problems),
            }
        )
    else:
        print_problems(result.problems)
        if not result.problems:
            click.echo(f"{result.path}: fits recipe {result.recipe.id}")
    raise SystemExit(1 if result.errors else 0)


def _counts(counts: dict[str, int], key: str, fmt: str) -> None:
    if fmt == "json":
        emit_json({key: counts})
        return
    for name, n in counts.items():
        click.echo(f"{name}\t{n}")


def _value(value: object) -> str:
    from gittrain.core.edits import MISSING

    if value is MISSING:
        return "(unset)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _change_text(change: Change) -> str:
    from gittrain.document import format_path

    return (
        f"{format_path(change.path)}: {_value(change.old)} -> {_value(change.new)}"
        f"  ({change.reason})"
    )


def _change_json(change: Change) -> dict[str, object]:
    from gittrain.core.edits import MISSING
    from gittrain.document import format_path

    return {
        "path": format_path(change.path),
        "old": None if change.old is MISSING else change.old,
        "new": None if change.new is MISSING else change.new,
        "old_missing": change.old is MISSING,
        "new_missing": change.new is MISSING,
        "reason": change.reason,
    }


def _show_text(r: Recipe, config_yaml: str) -> None:
    origin = "built-in" if r.origin.value == "builtin" else r.source
    if r.overrides_builtin:
        origin += ", overrides the built-in"
    if r.rev is not None and r.origin.value == "builtin":
        origin += f", as at {r.rev[:7]}"
    click.echo(f"{r.id} {r.version}  ({origin})")
    click.echo(f"  {r.description}")
    click.echo(
        f"task type: {r.task_type}   algorithm: {r.recommended_algorithm}   author: {r.author}"
    )
    click.echo(
        f"model sizes: {r.model_size_hint}   GPUs: min {r.min_gpus}, "
        f"recommended {r.recommended_gpus}"
    )
    if r.extends:
        click.echo(f"extends: {r.extends}")
    click.echo(f"tags: {', '.join(r.tags)}")
    reqs = r.data_requirements
    click.echo(f"data: {', '.join(reqs.formats)}; fields {', '.join(reqs.required_fields)}")
    if reqs.description:
        click.echo(f"  {reqs.description}")
    click.echo("default config:")
    for line in config_yaml.splitlines():
        click.echo(f"  {line}")
    if r.adjustments:
        click.echo("model-size adjustments:")
        for adj in r.adjustments:
            values = ", ".join(f"{k}={_value(v)}" for k, v in adj.values.items())
            click.echo(f"  {adj.describe_when()}: {values}  ({adj.reason})")
    if r.tips:
        click.echo("tips:")
        for tip in r.tips:
            click.echo(f"  - {tip}")
