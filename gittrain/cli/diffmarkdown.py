"""Markdown for pull-request comments: identical changes grouped, cut to fit one comment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gittrain.cli import diffformat as fmt

if TYPE_CHECKING:
    from gittrain.commands.diff import DiffReport
    from gittrain.core.filediff import FileDiff

LIMIT = 65_536  # characters in one GitHub comment body
SHORT_LIST = 10  # file names per group when the full lists do not fit


@dataclass(frozen=True, slots=True)
class Group:
    """One change made identically in several files."""

    rows: tuple[fmt.Row, ...]

    @property
    def row(self) -> fmt.Row:
        return self.rows[0]

    def files(self, names: int | None, *, table: bool = False) -> str:
        """``21 files: `a.yaml`, `b.yaml`, ...``, at most ``names`` names when given."""
        paths = [fmt.code(r.file.path, table=table) for r in self.rows]
        shown = paths if names is None else paths[:names]
        more = f" and {len(paths) - len(shown)} more" if len(shown) < len(paths) else ""
        return f"{len(paths)} files: {', '.join(shown)}{more}"


def group(all_rows: Sequence[fmt.Row]) -> tuple[list[Group], list[fmt.Row]]:
    """Changes seen in two or more files (most files first), and the rest in file order."""
    buckets: dict[tuple[object, ...], list[fmt.Row]] = {}
    for row in all_rows:
        key = (row.tier, row.kind, row.label, row.text, row.derived)
        buckets.setdefault(key, []).append(row)
    groups = [Group(tuple(rows)) for rows in buckets.values() if len(rows) > 1]
    groups.sort(key=lambda g: -len(g.rows))  # stable: equal sizes keep their order
    grouped = {id(r) for g in groups for r in g.rows}
    return groups, [r for r in all_rows if id(r) not in grouped]


def fit(
    render: Callable[[int, int | None], list[str]],
    total: int,
    command: str,
    limit: int = LIMIT,
) -> str:
    """The longest rendering within ``limit``, cut at a file boundary.

    ``render(k, names)`` renders the first ``k`` of ``total`` cuttable files
    (and, when ``k < total``, says how many were left out); ``names`` caps the
    file names listed per group.  Full group lists are tried first.
    """

    def text(k: int, names: int | None) -> str:
        return "\n".join(render(k, names)) + "\n"

    full = text(total, None)
    if len(full) <= limit:
        return full
    for names in (None, SHORT_LIST):
        if len(text(0, names)) > limit:
            continue
        low, high = 0, total  # text(low) fits, text(high) does not
        while high - low > 1:
            middle = (low + high) // 2
            if len(text(middle, names)) <= limit:
                low = middle
            else:
                high = middle
        return text(low, names)
    # Even the groups alone are too long: cut at a line, and say so.
    notice = f"_Cut to fit one GitHub comment; `{command}` shows everything._"
    kept: list[str] = []
    size = len(notice) + 2
    for line in render(0, SHORT_LIST):
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "", notice]) + "\n"


def left_out(count: int, command: str) -> list[str]:
    """The line that says how many files a cut output leaves out."""
    if not count:
        return []
    files = "file" if count == 1 else "files"
    return [
        "",
        f"_{count} more {files} left out to fit one GitHub comment; `{command}` shows all._",
    ]


def cuttable(files: Sequence[FileDiff], singles: Sequence[fmt.Row]) -> list[FileDiff]:
    """Files with something of their own to show, in order: the cut drops them from the end."""
    own = {id(r.file) for r in singles}
    return [f for f in files if id(f) in own or f.contents or f.error or f.datasets]


def markdown_report(
    report: DiffReport,
    *,
    show_all: bool,
    title: str = "",
    command: str = "git train diff --format text",
    limit: int = LIMIT,
) -> str:
    heading = title or (
        f"gittrain diff: {fmt.code(fmt.side_label(report.old))} → "
        f"{fmt.code(fmt.side_label(report.new))}"
    )
    all_rows = fmt.rows(report.files, show_all)
    groups, singles = group(all_rows)
    order = cuttable(report.files, singles)

    def render(k: int, names: int | None) -> list[str]:
        kept = {id(f) for f in order[:k]}
        lines = [f"### {heading}", ""]
        lines += head(report.files, all_rows, show_all=show_all, skipped=report.skipped)
        lines += body(
            [f for f in report.files if id(f) in kept],
            groups,
            [r for r in singles if id(r.file) in kept],
            names,
        )
        return lines + left_out(len(order) - k, command)

    return fit(render, len(order), command, limit)


def head(
    files: Sequence[FileDiff],
    all_rows: Sequence[fmt.Row],
    *,
    show_all: bool,
    skipped: Sequence[str] = (),
) -> list[str]:
    """The counts, the critical warning and the notes: always shown whole."""
    lines = [f"**{fmt.tally(files, all_rows).headline()}**"]
    critical = fmt.critical_count(files, all_rows)
    if critical:
        lines += ["", f"> **Warning:** {critical} critical change{'s' if critical != 1 else ''}"]
    noise = fmt.hidden_noise(files)
    if noise and not show_all:
        lines += ["", f"_{noise} noise change{'s' if noise != 1 else ''} hidden._"]
    if skipped:
        lines += ["", f"_{fmt.skipped_note(skipped, code=True)}._"]
    return lines


def body(
    files: Sequence[FileDiff],
    groups: Sequence[Group],
    singles: Sequence[fmt.Row],
    names: int | None,
) -> list[str]:
    from gittrain.core.importance import SHOWN_TIERS

    lines: list[str] = []
    for file in files:
        if file.error:
            lines += ["", f"- :x: {fmt.code(file.path)}: {fmt.cell(file.error)}"]
    whole = [f for f in files if f.contents is not None]
    if whole:
        lines += ["", "#### Added and deleted files", ""]
        lines += [f"- {whole_file(f)}" for f in whole]
    for tier in SHOWN_TIERS:
        tier_groups = [g for g in groups if g.row.tier is tier]
        tier_rows = [r for r in singles if r.tier is tier]
        if not tier_groups and not tier_rows:
            continue
        lines += [
            "",
            f"#### {tier.value.capitalize()}",
            "",
            "| | file | key | change |",
            "|---|---|---|---|",
        ]
        lines += [row_line(g.row, g.files(names, table=True)) for g in tier_groups]
        lines += [row_line(r, fmt.code(r.file.path, table=True)) for r in tier_rows]
    for file in files:
        if file.datasets:
            lines += ["", f"#### Datasets ({fmt.code(file.path)})", ""]
            lines += [
                f"- {fmt.MARK[d.kind.value]} {fmt.cell(fmt.dataset_line(d))}" for d in file.datasets
            ]
    return lines


def row_line(row: fmt.Row, where: str) -> str:
    label = fmt.code(row.label, table=True) + (" _(derived)_" if row.derived else "")
    return f"| {fmt.MARK[row.kind]} | {where} | {label} | {fmt.cell(row.text)} |"


def whole_file(file: FileDiff) -> str:
    """``[+] `configs/grpo.yaml` (config, added; verl, 212 keys): algorithm grpo, ...``."""
    mark = fmt.STATUS_MARK[file.status.value]
    what = fmt.cell(f"{fmt.file_what(file)}; {fmt.contents_head(file)}")
    values = fmt.cell(fmt.contents_values(file))
    return f"{mark} {fmt.code(file.path)} ({what})" + (f": {values}" if values else "")
