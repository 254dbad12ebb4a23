"""`git train experience ...`: what worked, from the outcome of every job in history."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from gittrain.cli.common import emit_json, workspace
from gittrain.cli.options import CONTEXT, TEXT, F, format_option
from gittrain.core.words import counted

if TYPE_CHECKING:
    from gittrain.core.runs.experience import RecipeStats, Stat
    from gittrain.core.runs.history import RunRecord, Summary
    from gittrain.core.runs.peers import Failure

SIZES = "a size or range: 7B, 3B-14B, >=7B, <=3B"


def _size_option(help_text: str) -> Callable[[F], F]:
    return click.option("--model-size", metavar="SIZE", type=TEXT, help=help_text)


@click.group(context_settings=CONTEXT)
def experience() -> None:
    """Recommendations, best runs, suggestions and similar jobs mined from git history.

    Every number cites the runs behind it as job@commit.
    """


@experience.command(context_settings=CONTEXT)
@click.option("--algorithm", help="Only runs of this algorithm (sft, dpo, grpo, ppo, ...).")
@click.option("--task-type", help="Only recipes of this task type.")
@click.option("--min-success-count", type=int, default=0, help="Only recipes with N completed.")
@click.option("--limit", type=int, help="Show at most K recipes (in each size bucket).")
@_size_option(f"Only runs of this model size ({SIZES}).")
@format_option()
def recommend(  # noqa: PLR0917 - one parameter per click option
    algorithm: str | None,
    task_type: str | None,
    min_success_count: int,
    limit: int | None,
    model_size: str | None,
    fmt: str,
) -> None:
    """Recipes ranked by success rate, then by number of runs, per model size bucket."""
    from gittrain.commands.experience import recommend as run

    result = run(
        workspace(),
        algorithm=algorithm,
        task_type=task_type,
        min_success=min_success_count,
        limit=limit,
        model_size=model_size,
    )
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.history),
                "model_size": result.sizes.text if result.sizes else None,
                "recipes": [_recipe_json(s) for s in result.recipes],
                "by_size": [
                    {
                        "bucket": b.label,
                        "runs": b.runs,
                        "recipes": [_recipe_json(s) for s in b.recipes],
                    }
                    for b in result.buckets
                ],
                # The REST platform's recommendation fields, for tools written against it.
                "recommendations": [_platform_json(s) for s in result.recipes],
            }
        )
        return
    _history_header(result.history)
    if not result.buckets:
        click.echo("no recipe has finished runs matching these filters")
    for bucket in result.buckets:
        label = bucket.label if bucket.label.startswith("size") else f"model size {bucket.label}"
        click.echo(f"{label} ({counted(bucket.runs, 'run')}):")
        for s in bucket.recipes:
            click.echo(
                f"  {s.recipe}: {counted(s.total, 'run')}, {s.completed} completed, "
                f"{s.failed} failed, "
                f"{s.cancelled} cancelled; success {s.success_rate:.0%}"
            )
            for label, stat in (("learning rate", s.learning_rate), ("batch", s.batch_size)):
                if stat is not None:
                    _wrapped(
                        f"{label} of successful runs: mean {stat.mean:.4g}, median "
                        f"{stat.median:.4g} ({', '.join(stat.runs)})",
                        "    ",
                    )
            _wrapped(f"runs: {', '.join(s.runs)}", "    ")


def _recipe_json(s: RecipeStats) -> dict[str, object]:
    return {
        "recipe": s.recipe,
        "total": s.total,
        "completed": s.completed,
        "failed": s.failed,
        "cancelled": s.cancelled,
        "success_rate": round(s.success_rate, 4),
        "learning_rate": _stat_json(s.learning_rate),
        "global_batch_size": _stat_json(s.batch_size),
        "runs": list(s.runs),
    }


def _platform_json(s: RecipeStats) -> dict[str, object]:
    """One recipe under the REST platform's names: success in percent, means of completed runs."""
    return {
        "recipe_id": s.recipe,
        "success_rate": round(100 * s.success_rate, 2),
        "total_jobs": s.total,
        "completed_jobs": s.completed,
        "failed_jobs": s.failed,
        "avg_learning_rate": s.learning_rate.mean if s.learning_rate else None,
        "avg_batch_size": s.batch_size.mean if s.batch_size else None,
    }


@experience.command(context_settings=CONTEXT)
@click.option("--recipe", help="Runs of this recipe.")
@click.option("--algorithm", help="Runs of this algorithm.")
@click.option("--metric", type=TEXT, help="The metric to rank by (default: the most recorded one).")
@click.option(
    "--minimize",
    is_flag=True,
    default=None,
    help="Lower is better (default: only for loss, perplexity and error metrics).",
)
@click.option("--top", type=int, default=5, show_default=True, help="How many runs.")
@_size_option(f"Only runs of this model size ({SIZES}).")
@format_option()
def best(  # noqa: PLR0917 - one parameter per click option
    recipe: str | None,
    algorithm: str | None,
    metric: str | None,
    minimize: bool | None,
    top: int,
    model_size: str | None,
    fmt: str,
) -> None:
    """The best completed runs by a metric, with their key parameters."""
    from gittrain.commands.experience import best as run

    result = run(
        workspace(),
        recipe=recipe,
        algorithm=algorithm,
        metric=metric,
        minimize=minimize,
        top=top,
        model_size=model_size,
    )
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.history),
                "metric": result.metric,
                "minimize": result.minimize,
                "runs": [
                    {**_run_json(run), "value": run.version.metrics[result.metric], "key": key}
                    for run, key in result.rows
                ],
                "shared": result.shared,
            }
        )
        return
    _history_header(result.history)
    how = "lowest" if result.minimize else "highest"
    picked = " (the most recorded metric)" if result.chosen else ""
    click.echo(f"best runs by {result.metric}{picked}, {how} first:")
    names = list(dict.fromkeys(k for _, key in result.rows for k in key))
    for i, (record, key) in enumerate(result.rows, 1):
        value = record.version.metrics[result.metric]
        size = record.version.model_size or "size unknown"
        click.echo(
            f"{i}. {result.metric}={value:g}  {record.cite}  {size}  {record.date}  {record.author}"
        )
        # What sets this run apart; what they all share is printed once, below.
        differs = [
            f"{k}={_value(key[k]) if k in key else '(unset)'}"
            for k in names
            if k not in result.shared
        ]
        empty = "(the same key parameters as the others)" if result.shared else "-"
        _wrapped(" ".join(differs) or empty, "   ")
    if result.shared:
        shared = " ".join(f"{k}={_value(v)}" for k, v in result.shared.items())
        _wrapped(f"all {counted(len(result.rows), 'run')}: {shared}", "")


@experience.command(context_settings=CONTEXT)
@click.argument("job", metavar="JOB[@REV]")
@_size_option(
    f"Compare with runs of this model size ({SIZES}; default: within 2x of the job's own, "
    "wider only when too few runs finished there, and said so)."
)
@format_option()
def suggest(job: str, model_size: str | None, fmt: str) -> None:
    """Adjustments to JOB from the best runs of its recipe, each with evidence."""
    from gittrain.commands.experience import suggest as run

    result = run(workspace(), job, model_size)
    advice = result.advice
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.history),
                "job": result.job,
                "recipe": advice.recipe,
                "model_size": result.model_size,
                "compared_sizes": _scope_json(result.scope.sizes),
                "widened": list(result.scope.notes),
                "metric": advice.metric,
                "top_runs": [_run_json(r) for r in advice.top],
                "suggestions": [
                    {
                        "key": s.key,
                        "current": s.current,
                        "proposed": s.proposed,
                        "reason": s.reason,
                        "evidence": list(s.evidence),
                    }
                    for s in advice.suggestions
                ],
                "failed_near": [_failure_json(f) for f in result.failures],
                "note": advice.note or None,
            }
        )
        return
    _history_header(result.history)
    for note in result.scope.notes:
        click.echo(note)
    if advice.metric is not None:
        cites = ", ".join(
            f"{r.cite} ({r.version.model_size or 'size unknown'})" for r in advice.top
        )
        click.echo(
            f"{result.job}: compared with the top {counted(len(advice.top), 'run')} "
            f"of {advice.recipe} {result.scope.text} by {advice.metric} ({cites})"
        )
    for s in advice.suggestions:
        click.echo(f"- {s.reason}")
    for failure in result.failures:
        click.echo(f"- {failure.reason}")
    if advice.note:
        click.echo(advice.note)


@experience.command(context_settings=CONTEXT)
@click.argument("job", metavar="JOB[@REV]")
@click.option("--top", type=int, default=5, show_default=True, help="How many matches.")
@_size_option(f"Only runs of this model size ({SIZES}).")
@format_option()
def similar(job: str, top: int, model_size: str | None, fmt: str) -> None:
    """Finished jobs most like JOB (importance-weighted, numbers on a log scale)."""
    from gittrain.commands.experience import find_similar

    result = find_similar(workspace(), job, top, model_size)
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.history),
                "job": result.job,
                "matches": [
                    {
                        **_run_json(m.run),
                        "score": round(m.score, 4),
                        "agree": [{"key": t.key, "value": t.mine} for t in m.agree],
                        "differ": [
                            {"key": t.key, "mine": _plain(t.mine), "theirs": _plain(t.theirs)}
                            for t in m.differ
                        ],
                    }
                    for m in result.matches
                ],
                "failed_near": [_failure_json(f) for f in result.failures],
            }
        )
        return
    _history_header(result.history)
    if not result.matches:
        click.echo(f"no other finished jobs to compare {result.job} with")
    for m in result.matches:
        click.echo(f"{m.score:.0%}  {m.run.cite}  {m.run.version.status}  {m.run.date}")
        if m.agree:
            click.echo("   same: " + ", ".join(f"{t.key}={_value(t.mine)}" for t in m.agree))
        if m.differ:
            click.echo(
                "   differs: "
                + ", ".join(f"{t.key} {_value(t.mine)} vs {_value(t.theirs)}" for t in m.differ)
            )
    for failure in result.failures:
        click.echo(failure.reason)


def _wrapped(text: str, indent: str) -> None:
    import textwrap

    click.echo(
        textwrap.fill(
            text,
            100,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_on_hyphens=False,
            break_long_words=False,
        )
    )


def _history_header(h: Summary) -> None:
    """What the answer rests on, and its limits, on stderr (stdout stays the answer)."""
    if h.head is None:
        click.echo("no history: the repository has no commits yet", err=True)
    elif not h.runs:
        click.echo(f"no finished runs in the history of {h.head[:7]}", err=True)
    for commit in h.shallow:
        click.echo(
            f"note: shallow clone: history is cut at {commit[:7]}; older runs are not counted",
            err=True,
        )
    if h.skipped:
        click.echo(
            f"note: skipped {counted(len(h.skipped), 'job version')} that could not be read:",
            err=True,
        )
        for item in h.skipped:
            click.echo(f"  {item.render()}", err=True)


def _history_json(h: Summary) -> dict[str, object]:
    return {
        "head": h.head,
        "runs_mined": h.runs,
        "shallow_boundary": list(h.shallow),
        "skipped": [{"path": s.path, "commit": s.commit, "message": s.message} for s in h.skipped],
    }


def _run_json(run: RunRecord) -> dict[str, object]:
    return {
        "job": run.job,
        "path": run.path,
        "commit": run.commit,
        "date": run.date,
        "author": run.author,
        "status": run.version.status,
        "recipe": run.version.recipe,
        "model_size": run.version.model_size,
        "metrics": dict(run.version.metrics),
        "datasets": [
            {"role": d.role, "ref": d.ref, "name": d.name, "sha256": d.sha256} for d in run.datasets
        ],
        "at_shallow_boundary": run.at_boundary,
    }


def _failure_json(failure: Failure) -> dict[str, object]:
    return {
        **_run_json(failure.run),
        "learning_rate": failure.learning_rate,
        "reason": failure.reason,
    }


def _scope_json(sizes: object) -> dict[str, object] | None:
    from gittrain.core.sizes import SizeRange

    if not isinstance(sizes, SizeRange):
        return None  # every size
    return {"text": sizes.text, "low": sizes.low, "high": sizes.high}


def _stat_json(stat: Stat | None) -> dict[str, object] | None:
    if stat is None:
        return None
    return {"mean": stat.mean, "median": stat.median, "runs": list(stat.runs)}


def _value(value: object) -> str:
    if _plain(value) is None and value is not None:
        return "(absent)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _plain(value: object) -> object:
    from gittrain.core.diff import MISSING

    return None if value is MISSING else value
