"""`git train job ...`: new, clone, finish, run, list, show."""

from __future__ import annotations

from typing import Any

import click

from gittrain.cli.common import counted, emit_json, print_problems, print_table, workspace
from gittrain.cli.options import (
    CONTEXT,
    TEXT,
    apply_options,
    edit_options,
    format_option,
    metric_options,
)


@click.group(context_settings=CONTEXT)
def job() -> None:
    """Create, clone, run, finish and list job files (jobs/NAME.yaml)."""


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
    type=click.Choice(["completed", "failed", "cancelled"]),
    help="How the run ended (default with --from: completed).",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    type=TEXT,
    metavar="NAME=NUMBER",
    help="A metric (repeatable; wins over --from).",
)
@click.option(
    "--from",
    "from_path",
    type=TEXT,
    metavar="PATH",
    help="Read the metrics a trainer wrote: trainer_state.json, all_results.json, "
    "train_results.json, eval_results.json, an output directory holding them, "
    "or any JSON or JSONL metrics file.",
)
@metric_options("--from")
@click.option("--note", type=TEXT, help="A note about the run.")
def finish(
    name: str,
    *,
    status: str | None,
    metrics: tuple[str, ...],
    from_path: str | None,
    metric_prefix: str | None,
    select: tuple[str, ...],
    note: str | None,
) -> None:
    """Record a run's result in jobs/NAME.yaml, editing it in place (comments survive)."""
    from gittrain.commands.job_finish import finish as run
    from gittrain.commands.job_finish import parse_metrics, read_results
    from gittrain.core.metricfiles import Selection
    from gittrain.errors import usage_error

    if from_path is None and (metric_prefix is not None or select):
        raise usage_error("--metric-prefix and --select need --from PATH")
    if status is None and from_path is None:
        raise usage_error("give --status completed|failed|cancelled, or --from PATH")
    ws = workspace()
    typed = parse_metrics(metrics)
    recorded: dict[str, float] = {}
    files: tuple[str, ...] = ()
    if from_path is not None:
        read = read_results(ws, from_path, Selection(metric_prefix, select))
        recorded.update(read.values)
        files = read.files
        _warn_skipped(read.skipped, files)
    recorded.update(typed)
    done = run(ws, name, status=status or "completed", metrics=recorded, notes=note)
    shown = ", ".join(f"{k}={_num(v)}" for k, v in done.metrics.items())
    extra = f" ({shown})" if shown else ""
    click.echo(f"{done.rel}: {done.status} at {done.finished_at}{extra}")
    if files:
        click.echo(f"metrics from {', '.join(files)}")


def _warn_skipped(skipped: tuple[str, ...], files: tuple[str, ...]) -> None:
    if skipped:
        names = ", ".join(repr(k) for k in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        click.echo(
            f"warning: {', '.join(files)}: left out keys that are not metric names: {names}",
            err=True,
        )


@job.command(context_settings=CONTEXT)
@click.argument("name")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="-- CMD [ARGS]...")
@click.option(
    "--results",
    type=TEXT,
    metavar="PATH",
    help="After the run, read its metrics from PATH (like `job finish --from`).",
)
@metric_options("--results")
@click.option("--commit", "commit", is_flag=True, help="Commit the job file alone afterwards.")
@click.option("--force", is_flag=True, help="Run even if the job is marked running.")
@click.option(
    "--to",
    "framework",
    metavar="FRAMEWORK",
    help="GITTRAIN_CONFIG in that trainer's keys (as `job export --to`).",
)
def run(
    name: str,
    *,
    command: tuple[str, ...],
    framework: str | None,
    results: str | None,
    metric_prefix: str | None,
    select: tuple[str, ...],
    commit: bool,
    force: bool,
) -> None:
    """Run a training command for jobs/NAME.yaml and record how it went.

    The command gets GITTRAIN_JOB (the name) and GITTRAIN_CONFIG (a file holding
    the job's config, in the trainer's own keys with --to) in its environment;
    its output streams as usual.  The job is marked running, then completed,
    failed (non-zero exit) or cancelled (Ctrl-C), with the wall time, the
    commit it ran at, and the metrics from --results.  Exits with the
    command's own exit code (130 after Ctrl-C).
    """
    from gittrain.commands import job_run
    from gittrain.core.metricfiles import Selection
    from gittrain.errors import usage_error

    if results is None and (metric_prefix is not None or select):
        raise usage_error("--metric-prefix and --select need --results PATH")
    ws = workspace()
    with job_run.interruptions() as stop:
        prepared = job_run.prepare(ws, name, command, force=force, framework=framework)
        dirty = " (uncommitted changes)" if prepared.dirty else ""
        at = f" at {prepared.commit[:7]}{dirty}" if prepared.commit else " (no commit yet)"
        click.echo(f"{prepared.rel}: running{at}; config in {prepared.config_path}", err=True)
        launched = job_run.launch(ws, prepared, command, stop)
        outcome = job_run.record(
            ws,
            prepared,
            launched,
            results=results,
            selection=Selection(metric_prefix, select),
            commit=commit,
        )
    shown = ", ".join(f"{k}={_num(v)}" for k, v in outcome.metrics.items())
    took = f" in {launched.wall_time_s:.1f}s"
    code = f", exit {launched.code}" if launched.code else ""
    click.echo(f"{outcome.rel}: {outcome.status}{took}{code}" + (f" ({shown})" if shown else ""))
    if outcome.files:
        click.echo(f"metrics from {', '.join(outcome.files)}")
    if outcome.committed:
        click.echo(f"committed {outcome.committed[:7]}")
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in outcome.problems:
        click.echo(f"error: {problem}", err=True)
    raise SystemExit(outcome.exit_code)


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


@job.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path())
@click.option("--name", required=True, type=TEXT, help="The job's name (jobs/NAME.yaml).")
@click.option(
    "--framework", metavar="FRAMEWORK", help="The file's dialect, when detection cannot tell."
)
@click.option("--recipe", "recipe_id", metavar="ID", help="The recipe the job follows.")
@click.option("--force", is_flag=True, help="Replace an existing job file.")
def import_(
    file: str, name: str, framework: str | None, recipe_id: str | None, force: bool
) -> None:
    """Make jobs/NAME.yaml from a config written for verl, TRL, LLaMA-Factory, axolotl or
    torchtune: its dialect is detected and its ideas are written in gittrain's keys.

    A recipe that runs the same algorithm is chosen (and the others named) unless --recipe
    says which; what a job config has no key for is listed.  Nothing is written when the
    job would not validate.
    """
    from gittrain.commands.job_import import import_job

    result = import_job(
        workspace(), file, name, framework=framework, recipe_id=recipe_id, force=force
    )
    print_problems(result.problems)
    for idea, value in result.left_out:
        click.echo(f"note: not carried over: {idea} = {value!r}", err=True)
    if not result.written:
        click.echo(f"not written: {counted(result.errors, 'error')}", err=True)
        raise SystemExit(1)
    others = f"; also: {', '.join(result.alternatives)}" if result.alternatives else ""
    click.echo(
        f"wrote {result.rel} from {result.source} ({result.framework}), "
        f"recipe {result.recipe}{others}"
    )
