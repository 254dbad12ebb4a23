"""Rendering `git train review` as text, markdown (for PR comments) and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gittrain.cli import diffformat as fmt

if TYPE_CHECKING:
    from gittrain.commands.review import RecipeUse, ReviewReport


def _title(report: ReviewReport) -> str:
    return f"gittrain review: {fmt.side_label(report.base)} → {fmt.side_label(report.head)}"


def text_review(report: ReviewReport, *, colour: bool) -> str:
    style = fmt.styler(colour)
    lines = [style(_title(report), bold=True)]
    all_rows = fmt.rows(report.all_files, show_all=False)
    tally = fmt.counts(all_rows, report.all_files)
    changed = sum(1 for f in report.all_files if fmt.is_shown(f, _rows_of(all_rows, f)))
    lines.append(
        f"{tally['modified']} modified, {tally['added']} added, {tally['removed']} removed "
        f"across {changed} config file{'' if changed == 1 else 's'}"
    )
    lines += fmt.critical_warning(report.all_files, all_rows, style)
    lines += ["", style("Changed recipes and jobs", bold=True)]
    if not report.files:
        lines.append("  none with critical or important changes")
    for file in report.files:
        lines.append(f"  {fmt.file_line(file)}")
        for row in fmt.rows([file], show_all=False):
            sep = " " if row.kind in ("added", "removed") else ": "
            mark = style(fmt.MARK[row.kind], fg=fmt.COLOUR[row.kind])
            lines.append(f"    {mark} {row.label}{sep}{row.text}  ({row.tier.value})")
    for title, items in _hook_sections(report):
        lines += ["", style(title, bold=True)]
        lines += [f"  {item}" for item in items] or ["  none"]
    if report.recipe_uses:
        lines += ["", style("Jobs that used the changed recipes", bold=True)]
        for use in report.recipe_uses:
            lines.append(f"  {use.recipe} ({use.path}): " + (_jobs(use) or "no jobs"))
            lines += [f"    {line}" for line in _outcomes(use)]
    return "\n".join(lines) + "\n"


def _outcomes(use: RecipeUse, code: bool = False) -> list[str]:
    """The finished runs of a changed recipe: a tally, then each run with its metrics."""
    if not use.outcomes:
        return ["no finished runs in the history"]
    tally: dict[str, int] = {}
    for run in use.outcomes:
        tally[run.status] = tally.get(run.status, 0) + 1
    counts = ", ".join(f"{n} {status}" for status, n in sorted(tally.items()))
    lines = [f"{len(use.outcomes)} finished run{'s' if len(use.outcomes) != 1 else ''}: {counts}"]
    for run in use.outcomes:
        cite = f"{run.job}@{run.commit[:7]}"
        metrics = " ".join(f"{k}={v:g}" for k, v in run.metrics.items())
        lines.append(
            f"{'`' + cite + '`' if code else cite} {run.status}"
            + (f" {metrics}" if metrics else "")
        )
    return lines


def _rows_of(all_rows: list[fmt.Row], file: object) -> list[fmt.Row]:
    return [r for r in all_rows if r.file is file]


def _hook_sections(report: ReviewReport) -> list[tuple[str, tuple[str, ...]]]:
    return [
        ("Validation problems in the changed files", report.validation),
        ("Dataset changes (lockfile)", tuple(fmt.dataset_line(d) for d in report.datasets)),
    ]


def _jobs(use: RecipeUse, code: bool = False) -> str:
    def one(job: object) -> str:
        from gittrain.commands.review import JobUse

        assert isinstance(job, JobUse)
        name = f"`{job.name}`" if code else job.name
        notes = [n for n in (job.status, None if job.present else "deleted") if n]
        return name + (f" ({', '.join(notes)})" if notes else "")

    return ", ".join(one(job) for job in use.jobs)


def markdown_review(report: ReviewReport) -> str:
    all_rows = fmt.rows(report.all_files, show_all=False)
    tally = fmt.counts(all_rows, report.all_files)
    lines = [f"## {_title(report)}", ""]
    lines.append(
        f"**{tally['modified']} modified, {tally['added']} added, {tally['removed']} removed**"
    )
    critical = fmt.critical_count(report.all_files, all_rows)
    if critical:
        lines += ["", f"> **Warning:** {critical} critical change{'s' if critical != 1 else ''}"]
    lines += ["", "### Changed recipes and jobs", ""]
    if not report.files:
        lines.append("_None with critical or important changes._")
    for file in report.files:
        status = "" if file.status.value == "modified" else f", {file.status.value}"
        lines.append(f"- **`{file.path}`** ({file.kind.value}{status})")
        if file.error:
            lines.append(f"  - :x: {fmt.cell(file.error)}")
        for row in fmt.rows([file], show_all=False):
            lines.append(
                f"  - {fmt.MARK[row.kind]} `{fmt.cell(row.label)}` {fmt.cell(row.text)}"
                f" — _{row.tier.value}_"
            )
    for title, items in _hook_sections(report):
        lines += ["", f"### {title}", ""]
        lines += [f"- {fmt.cell(item)}" for item in items] or ["_None._"]
    if report.recipe_uses:
        lines += ["", "### Jobs that used the changed recipes", ""]
        for use in report.recipe_uses:
            lines.append(f"- `{use.recipe}`: " + (_jobs(use, code=True) or "_no jobs_"))
            lines += [f"  - {line}" for line in _outcomes(use, code=True)]
    return "\n".join(lines) + "\n"


def json_review(report: ReviewReport) -> dict[str, object]:
    out: dict[str, object] = {
        "version": fmt.JSON_VERSION,
        "base": fmt.json_side(report.base),
        "head": fmt.json_side(report.head),
        "files": [fmt.json_file(f) for f in report.files],
        "recipe_uses": [
            {
                "recipe": use.recipe,
                "path": use.path,
                "jobs": [
                    {
                        "name": j.name,
                        "path": j.path,
                        "commit": j.commit,
                        "status": j.status,
                        "present": j.present,
                    }
                    for j in use.jobs
                ],
                "outcomes": [
                    {
                        "job": o.job,
                        "commit": o.commit,
                        "status": o.status,
                        "metrics": dict(o.metrics),
                    }
                    for o in use.outcomes
                ],
            }
            for use in report.recipe_uses
        ],
    }
    out["validation"] = list(report.validation)
    out["datasets"] = [fmt.json_dataset(d) for d in report.datasets]
    return out
