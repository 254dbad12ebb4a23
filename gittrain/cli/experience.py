"""`git train experience ...`: what worked, from the outcome of every job in history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gittrain.cli.common import emit_json, workspace
from gittrain.cli.options import CONTEXT, TEXT, format_option
from gittrain.core.words import counted

if TYPE_CHECKING:
    from gittrain.commands.experience import Mined
    from gittrain.core.experience import Stat
    from gittrain.core.history import RunRecord


@click.group(context_settings=CONTEXT)
def experience() -> None:
    """Recommendations, best runs, suggestions and similar jobs mined from git history.

    Every number cites the runs behind it as job@commit.
    """


@experience.command(context_settings=CONTEXT)
@click.option("--algorithm", help="Only runs of this algorithm (sft, dpo, grpo, ppo, ...).")
@click.option("--task-type", help="Only recipes of this task type.")
@click.option("--min-success-count", type=int, default=0, help="Only recipes with N completed.")
@click.option("--limit", type=int, help="Show at most K recipes.")
@format_option()
def recommend(
    algorithm: str | None,
    task_type: str | None,
    min_success_count: int,
    limit: int | None,
    fmt: str,
) -> None:
    """Recipes ranked by success rate, then by number of runs."""
    from gittrain.commands.experience import recommend as run

    result = run(
        workspace(),
        algorithm=algorithm,
        task_type=task_type,
        min_success=min_success_count,
        limit=limit,
    )
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.mined),
                "recipes": [
                    {
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
                    for s in result.recipes
                ],
            }
        )
        return
    _history_header(result.mined)
    if not result.recipes:
        click.echo("no recipe has finished runs matching these filters")
    for s in result.recipes:
        click.echo(
            f"{s.recipe}: {counted(s.total, 'run')}, {s.completed} completed, {s.failed} failed, "
            f"{s.cancelled} cancelled; success {s.success_rate:.0%}"
        )
        for label, stat in (("learning rate", s.learning_rate), ("batch", s.batch_size)):
            if stat is not None:
                _wrapped(
                    f"{label} of successful runs: mean {stat.mean:.4g}, median "
                    f"{stat.median:.4g} ({', '.join(stat.runs)})",
                    "  ",
                )
        _wrapped(f"runs: {', '.join(s.runs)}", "  ")


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
@format_option()
def best(  # noqa: PLR0917 - one parameter per click option
    recipe: str | None,
    algorithm: str | None,
    metric: str | None,
    minimize: bool | None,
    top: int,
    fmt: str,
) -> None:
    """The best completed runs by a metric, with their key parameters."""
    from gittrain.commands.experience import best as run

    result = run(
        workspace(), recipe=recipe, algorithm=algorithm, metric=metric, minimize=minimize, top=top
    )
    ranked = result.ranked
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.mined),
                "metric": ranked.metric,
                "minimize": ranked.minimize,
                "runs": [
                    {**_run_json(run), "value": run.version.metrics[ranked.metric], "key": key}
                    for run, key in result.rows
                ],
                "shared": result.shared,
            }
        )
        return
    _history_header(result.mined)
    how = "lowest" if ranked.minimize else "highest"
    picked = " (the most recorded metric)" if ranked.chosen else ""
    click.echo(f"best runs by {ranked.metric}{picked}, {how} first:")
    names = list(dict.fromkeys(k for _, key in result.rows for k in key))
    for i, (record, key) in enumerate(result.rows, 1):
        value = record.version.metrics[ranked.metric]
        click.echo(f"{i}. {ranked.metric}={value:g}  {record.cite}  {record.date}  {record.author}")
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
@format_option()
def suggest(job: str, fmt: str) -> None:
    """Adjustments to JOB from the best runs of its recipe, each with evidence."""
    from gittrain.commands.experience import suggest as run

    result = run(workspace(), job)
    advice = result.advice
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.mined),
                "job": result.job,
                "recipe": advice.recipe,
                "metric": advice.ranked.metric if advice.ranked else None,
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
                "note": advice.note or None,
            }
        )
        return
    _history_header(result.mined)
    if advice.ranked is not None:
        click.echo(
            f"{result.job}: compared with the top {counted(len(advice.top), 'run')} "
            f"of {advice.recipe} "
            f"by {advice.ranked.metric} ({', '.join(r.cite for r in advice.top)})"
        )
    for s in advice.suggestions:
        click.echo(f"- {s.reason}")
    if advice.note:
        click.echo(advice.note)


@experience.command(context_settings=CONTEXT)
@click.argument("job", metavar="JOB[@REV]")
@click.option("--top", type=int, default=5, show_default=True, help="How many matches.")
@format_option()
def similar(job: str, top: int, fmt: str) -> None:
    """Finished jobs most like JOB (importance-weighted, numbers on a log scale)."""
    from gittrain.commands.experience import find_similar

    result = find_similar(workspace(), job, top)
    if fmt == "json":
        emit_json(
            {
                **_history_json(result.mined),
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
            }
        )
        return
    _history_header(result.mined)
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


def _history_header(mined: Mined) -> None:
    """What the answer rests on, and its limits, on stderr (stdout stays the answer)."""
    h = mined.history
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


def _history_json(mined: Mined) -> dict[str, object]:
    h = mined.history
    return {
        "head": h.head,
        "runs_mined": len(h.runs),
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
        "metrics": dict(run.version.metrics),
        "datasets": [
            {"role": d.role, "ref": d.ref, "name": d.name, "sha256": d.sha256} for d in run.datasets
        ],
        "at_shallow_boundary": run.at_boundary,
    }


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
