"""Rendering `git train review` as text, markdown (for PR comments) and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gittrain.cli import diffformat as fmt
from gittrain.cli.diffmarkdown import LIMIT, cuttable, fit, group, head, left_out

if TYPE_CHECKING:
    from gittrain.commands.review import RecipeUse, ReviewReport
    from gittrain.core.filediff import FileDiff


def _title(report: ReviewReport) -> str:
    return f"gittrain review: {fmt.side_label(report.base)} → {fmt.side_label(report.head)}"


def text_review(report: ReviewReport, *, colour: bool) -> str:
    style = fmt.styler(colour)
    lines = [style(_title(report), bold=True)]
    all_rows = fmt.rows(report.all_files, show_all=False)
    lines.append(fmt.tally(report.all_files, all_rows).headline())
    lines += fmt.critical_warning(report.all_files, all_rows, style)
    lines += ["", style("Changed config files", bold=True)]
    if not report.files:
        lines.append("  none with critical or important changes")
    for file in report.files:
        lines.append(f"  {fmt.file_line(file)}")
        for row in fmt.rows([file], show_all=False):
            sep = " " if row.kind in ("added", "removed") else ": "
            mark = style(fmt.MARK[row.kind], fg=fmt.COLOUR[row.kind])
            lines.append(f"    {mark} {row.label}{sep}{row.text}  ({row.tier.value})")
    minor = _minor(report, all_rows)
    if minor:
        lines.append(f"  ({minor}; `git train diff` shows them)")
    for title, items in _hook_sections(report):
        lines += ["", style(title, bold=True)]
        lines += [f"  {item}" for item in items] or ["  none"]
    if report.recipe_uses:
        lines += ["", style("Jobs that used the changed recipes", bold=True)]
        for use in report.recipe_uses:
            lines.append(f"  {use.recipe} ({use.path}): " + (_jobs(use) or "no jobs"))
            lines += [f"    {line}" for line in _pinned_older(use)]
            lines += [f"    {line}" for line in _outcomes(use)]
    if report.skipped:
        lines += ["", fmt.skipped_note(report.skipped)]
    return "\n".join(lines) + "\n"


def _minor(report: ReviewReport, all_rows: list[fmt.Row]) -> str:
    """``2 more files with only normal changes``, or "" when every changed file is listed."""
    listed = {f.path for f in report.files}
    rest = sum(
        1
        for f in report.all_files
        if f.kind.value != "lockfile"
        and f.path not in listed
        and fmt.is_shown(f, _rows_of(all_rows, f))
    )
    if not rest:
        return ""
    return f"{rest} more file{'s' if rest != 1 else ''} with only normal changes"


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
        line = f"{run.status}" + (f" {metrics}" if metrics else "")
        lines.append(f"{fmt.code(cite)} {fmt.cell(line)}" if code else f"{cite} {line}")
    return lines


def _pinned_older(use: RecipeUse, code: bool = False) -> list[str]:
    """The jobs still pinned to an older version of the changed recipe (one line, or none)."""
    pinned = [
        f"{fmt.code(j.name)} ({fmt.cell(j.pinned_older)})"
        if code
        else f"{j.name} ({j.pinned_older})"
        for j in use.jobs
        if j.pinned_older
    ]
    return [f"pinned to an older version: {', '.join(pinned)}"] if pinned else []


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
        notes = [n for n in (job.status, None if job.present else "deleted") if n]
        tail = f" ({', '.join(notes)})" if notes else ""
        return fmt.code(job.name) + fmt.cell(tail) if code else job.name + tail

    return ", ".join(one(job) for job in use.jobs)


def markdown_review(report: ReviewReport, *, command: str = "", limit: int = LIMIT) -> str:
    """The PR comment: it fits one GitHub comment, cut at a file boundary when it must."""
    command = command or "git train review BASE...HEAD --format text"
    all_rows = fmt.rows(report.all_files, show_all=False)
    groups, singles = group(fmt.rows(report.files, show_all=False))
    order = cuttable(report.files, singles)

    def render(k: int, names: int | None) -> list[str]:
        lines = [f"## {fmt.cell(_title(report))}", ""]
        lines += head(report.all_files, all_rows, show_all=False, skipped=report.skipped)
        lines += ["", "### Changed config files", ""]
        if not report.files:
            lines.append("_None with critical or important changes._")
        for g in groups:
            lines.append(f"- {_row_item(g.row)} — in {g.files(names)}")
        for file in order[:k]:
            lines += _file_items(file, [r for r in singles if r.file is file])
        lines += left_out(len(order) - k, command)
        minor = _minor(report, all_rows)
        if minor:
            lines += ["", f"_{minor}; `git train diff` shows them._"]
        lines += _markdown_sections(report)
        return lines

    return fit(render, len(order), command, limit)


def _row_item(row: fmt.Row) -> str:
    return f"{fmt.MARK[row.kind]} {fmt.code(row.label)} {fmt.cell(row.text)} — _{row.tier.value}_"


def _file_items(file: FileDiff, file_rows: list[fmt.Row]) -> list[str]:
    what = fmt.file_what(file)
    if file.contents is not None:
        what += f"; {fmt.contents_head(file)}"
    values = fmt.contents_values(file)
    lines = [
        f"- **{fmt.code(file.path)}** ({fmt.cell(what)})"
        + (f": {fmt.cell(values)}" if values else "")
    ]
    if file.error:
        lines.append(f"  - :x: {fmt.cell(file.error)}")
    lines += [f"  - {_row_item(row)}" for row in file_rows]
    return lines


# Validation problems shown in a PR comment; a 100-file PR can have thousands.
MARKDOWN_PROBLEMS = 50


def _markdown_sections(report: ReviewReport) -> list[str]:
    lines: list[str] = []
    for title, items in _hook_sections(report):
        lines += ["", f"### {title}", ""]
        lines += [f"- {fmt.cell(item)}" for item in items[:MARKDOWN_PROBLEMS]] or ["_None._"]
        if len(items) > MARKDOWN_PROBLEMS:
            more = len(items) - MARKDOWN_PROBLEMS
            tool = "`git train validate`" if items is report.validation else "`--format text`"
            lines.append(f"- _{more} more problems; {tool} lists them all._")
    if report.recipe_uses:
        lines += ["", "### Jobs that used the changed recipes", ""]
        for use in report.recipe_uses:
            lines.append(f"- {fmt.code(use.recipe)}: " + (_jobs(use, code=True) or "_no jobs_"))
            lines += [f"  - {line}" for line in _pinned_older(use, code=True)]
            lines += [f"  - {line}" for line in _outcomes(use, code=True)]
    return lines


def json_review(report: ReviewReport) -> dict[str, object]:
    out: dict[str, object] = {
        "version": fmt.JSON_VERSION,
        "base": fmt.json_side(report.base),
        "head": fmt.json_side(report.head),
        "summary": fmt.json_summary(report.all_files, show_all=False),
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
                        "pinned_older": j.pinned_older,
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
    out["skipped"] = list(report.skipped)
    return out
