"""`git train job ...`: new, clone, finish, list, show."""

from __future__ import annotations

from typing import Any

import click

from gittrain.cli.common import counted, emit_json, print_problems, print_table, workspace
from gittrain.cli.options import CONTEXT, TEXT, apply_options, edit_options, format_option


@click.group(context_settings=CONTEXT)
def job() -> None:
    """Create, clone, finish and list job files (jobs/NAME.yaml)."""


@job.command(context_settings=CONTEXT)
@click.argument("name")
@click.option(
    "--recipe",
    "recipe_id",
    required=True,
    metavar="ID[@REV]",
    help="The recipe to apply (ID@REV: as it was at that revision).",
)
@apply_options
@click.option("--force", is_flag=True, help="Replace an existing job file.")
def new(name: str, recipe_id: str, **options: Any) -> None:
    """Write jobs/NAME.yaml from a recipe (like `recipe apply`), validated first."""
    from gittrain.commands.job_new import new_job
    from gittrain.commands.recipe_apply import ApplyOptions

    result = new_job(workspace(), name, recipe_id, ApplyOptions(**options))
    for warning in result.applied.warnings:
        click.echo(f"warning: {warning}", err=True)
    print_problems(result.problems)
    if result.errors:
        click.echo(f"not written: {counted(result.errors, 'error')}", err=True)
        raise SystemExit(1)
    click.echo(f"wrote {result.output} (recipe {result.recipe.id} {result.recipe.version})")


@job.command(context_settings=CONTEXT)
@click.argument("source", metavar="SRC[@REV]")
@click.option("--name", "new_name", required=True, type=TEXT, help="The new job's name.")
@edit_options
@click.option("--force", is_flag=True, help="Replace an existing job file.")
def clone(
    source: str, new_name: str, sets: tuple[str, ...], unsets: tuple[str, ...], force: bool
) -> None:
    """Copy a job (from the work tree, or as it was at REV) with overrides.

    Comments are kept, `cloned_from` records the source and its commit, and
    the result is reset to pending.  Nothing is written when the copy is invalid.
    """
    from gittrain.commands.job_clone import clone as run

    result = run(workspace(), source, new_name, sets=sets, unsets=unsets, force=force)
    print_problems(result.problems)
    if not result.written:
        click.echo(f"not written: {counted(result.errors, 'error')}", err=True)
        raise SystemExit(1)
    click.echo(f"wrote {result.rel} (cloned from {result.source}@{result.commit[:7]})")


@job.command(context_settings=CONTEXT)
@click.argument("name")
@click.option(
    "--status",
    required=True,
    type=click.Choice(["completed", "failed", "cancelled"]),
    help="How the run ended.",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    type=TEXT,
    metavar="NAME=NUMBER",
    help="A metric (repeatable).",
)
@click.option("--note", type=TEXT, help="A note about the run.")
def finish(name: str, status: str, metrics: tuple[str, ...], note: str | None) -> None:
    """Record a run's result in jobs/NAME.yaml, editing it in place (comments survive)."""
    from gittrain.commands.job_finish import finish as run
    from gittrain.commands.job_finish import parse_metrics

    done = run(workspace(), name, status=status, metrics=parse_metrics(metrics), notes=note)
    shown = ", ".join(f"{k}={_num(v)}" for k, v in done.metrics.items())
    extra = f" ({shown})" if shown else ""
    click.echo(f"{done.rel}: {done.status} at {done.finished_at}{extra}")


@job.command("list", context_settings=CONTEXT)
@click.option("--status", help="Only jobs with this status (pending, running, completed, ...).")
@click.option("--recipe", help="Only jobs made from this recipe id.")
@format_option()
def list_(status: str | None, recipe: str | None, fmt: str) -> None:
    """The jobs in the work tree, with status and metrics."""
    from gittrain.commands.job_list import list_jobs

    listing = list_jobs(workspace(), status=status, recipe=recipe)
    if fmt == "json":
        emit_json(
            {
                "jobs": [
                    {
                        "name": row.job.name,
                        "path": row.path,
                        "recipe": str(row.job.recipe) if row.job.recipe else None,
                        "model_size": row.job.model_size,
                        "num_gpus": row.job.num_gpus,
                        "status": row.job.status,
                        "metrics": dict(row.job.metrics),
                        "finished_at": row.finished_at,
                    }
                    for row in listing.jobs
                ],
                "problems": list(listing.problems),
            }
        )
    else:
        table = [("NAME", "RECIPE", "SIZE", "GPUS", "STATUS", "METRICS")]
        for row in listing.jobs:
            j = row.job
            table.append(
                (
                    j.name or row.path,
                    str(j.recipe) if j.recipe else "-",
                    j.model_size or "-",
                    str(j.num_gpus or "-"),
                    j.status or "-",
                    " ".join(f"{k}={_num(v)}" for k, v in j.metrics.items()) or "-",
                )
            )
        print_table(table)
        if not listing.jobs:
            click.echo("no jobs match", err=True)
        for problem in listing.problems:
            click.echo(f"error: {problem}", err=True)
    raise SystemExit(1 if listing.problems else 0)


@job.command(context_settings=CONTEXT)
@click.argument("spec", metavar="NAME[@REV]")
@format_option()
def show(spec: str, fmt: str) -> None:
    """One job as stored in the work tree, or at REV."""
    from gittrain.commands.job_list import show_job

    shown = show_job(workspace(), spec)
    if fmt == "json":
        emit_json(
            {
                "name": shown.source.name,
                "path": shown.source.rel,
                "commit": shown.source.commit,
                "job": shown.data,
            }
        )
        return
    click.echo(f"# {shown.source.shown}")
    click.echo(shown.text, nl=not shown.text.endswith("\n"))


def _num(value: float) -> str:
    return f"{value:g}"


@job.command("export", context_settings=CONTEXT)
@click.argument("spec", metavar="NAME[@REV]")
@click.option(
    "--to",
    "framework",
    required=True,
    metavar="FRAMEWORK",
    help="verl, trl, llamafactory, axolotl or torchtune.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the config to FILE.")
@click.option("--force", is_flag=True, help="Replace an existing FILE.")
def export(spec: str, framework: str, output: str | None, force: bool) -> None:
    """Write a job as a config its trainer loads, with the command that runs it.

    Values the framework cannot express are listed, never dropped silently; an
    algorithm the framework does not run is refused (exit 1).  For verl the
    Hydra overrides for `python3 -m verl.trainer.main_ppo` are printed.
    """
    from gittrain.commands.job_export import export_job

    result = export_job(workspace(), spec, framework, output=output, force=force)
    for idea, value in result.exported.unexpressed:
        click.echo(
            f"note: {result.dialect.title} has no key for {idea} ({value!r}); not exported",
            err=True,
        )
    if result.written is None:
        click.echo(result.text, nl=False)
    else:
        click.echo(f"wrote {result.written} ({result.dialect.title})")
        click.echo(f"run: {result.command}")
