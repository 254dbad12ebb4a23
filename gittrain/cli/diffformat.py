"""Rendering semantic diffs as text, markdown and JSON (the shapes are documented in README)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from gittrain.commands.diff import DiffReport, SideInfo
    from gittrain.core.diff import Change
    from gittrain.core.filediff import DatasetChange, DerivedChange, FileDiff, RatedChange
    from gittrain.core.importance import Tier

JSON_VERSION = 1
MARK = {"added": "[+]", "removed": "[-]", "modified": "[~]", "reordered": "[~]"}
COLOUR = {"added": "green", "removed": "red", "modified": "yellow", "reordered": "yellow"}
STATUS_MARK = {"added": "[+]", "deleted": "[-]", "modified": "[~]", "renamed": "[>]"}


@dataclass(frozen=True, slots=True)
class Row:
    """One printed change, already filtered by tier."""

    file: FileDiff
    tier: Tier
    kind: str  # added / removed / modified / reordered
    label: str  # the dotted path, or a derived quantity's name
    text: str  # "1e-06 → 5e-07 (×0.5, -50%)" and the like
    derived: bool = False


def rows(report_files: Sequence[FileDiff], show_all: bool) -> list[Row]:
    """Every change to show, in file order; noise only with ``--all``."""
    from gittrain.core.importance import Tier

    out: list[Row] = []
    for file in report_files:
        for rated in file.changes:
            if rated.tier is Tier.NOISE and not show_all:
                continue
            out.append(_change_row(file, rated))
        out.extend(_derived_row(file, d) for d in file.derived)
    return out


def hidden_noise(files: Sequence[FileDiff]) -> int:
    from gittrain.core.importance import Tier

    return sum(1 for f in files for r in f.changes if r.tier is Tier.NOISE)


def _change_row(file: FileDiff, rated: RatedChange) -> Row:
    from gittrain.core.diff import format_path

    change = rated.change
    return Row(file, rated.tier, change.kind.value, format_path(change.path), describe(change))


def describe(change: Change) -> str:
    """``1e-06 → 5e-07 (×0.5, -50%)``, ``= 64`` for additions, ``(was 64)`` for removals."""
    from gittrain.core.diff import ChangeKind, render

    if change.kind is ChangeKind.ADDED:
        return f"= {render(change.new)}"
    if change.kind is ChangeKind.REMOVED:
        return f"(was {render(change.old)})"
    if change.kind is ChangeKind.REORDERED:
        return f"order {render(change.old)} → {render(change.new)}"
    text = f"{render(change.old)} → {render(change.new)}"
    if change.ratio is not None:
        text += f" ({_ratio(change.ratio, change.percent)})"
    return text


def _ratio(ratio: float, percent: float | None) -> str:
    times = f"×{ratio:.4g}"
    return times if percent is None else f"{times}, {percent:+.4g}%"


def _derived_row(file: FileDiff, derived: DerivedChange) -> Row:
    from gittrain.core.filediff import format_number

    text = f"{format_number(derived.old)} → {format_number(derived.new)}"
    if derived.ratio is not None and derived.old is not None and derived.new is not None:
        if derived.ratio == 1:
            text += " (unchanged)"
        else:
            text += f" ({_ratio(derived.ratio, (derived.ratio - 1) * 100)})"
    return Row(file, derived.tier, "modified", derived.name, text, derived=True)


def critical_count(files: Sequence[FileDiff], all_rows: Iterable[Row]) -> int:
    """Critical rows, plus every lockfile dataset that changed (data is critical)."""
    datasets = sum(len(f.datasets) for f in files)
    return datasets + sum(1 for r in all_rows if r.tier.value == "critical")


def counts(all_rows: Iterable[Row], files: Sequence[FileDiff] = ()) -> dict[str, int]:
    from gittrain.core.filediff import dataset_counts

    tally = dataset_counts(files)
    for row in all_rows:
        if not row.derived:
            key = "modified" if row.kind == "reordered" else row.kind
            tally[key] += 1
    return tally


def is_shown(file: FileDiff, file_rows: Sequence[Row]) -> bool:
    """Skip files whose edits were comments or formatting only."""
    return bool(file_rows or file.datasets or file.error or file.status.value != "modified")


def critical_warning(
    files: Sequence[FileDiff], all_rows: Sequence[Row], style: Styler
) -> list[str]:
    """The red `WARNING: N critical changes` line, or nothing."""
    critical = critical_count(files, all_rows)
    if not critical:
        return []
    text = f"WARNING: {critical} critical change{'s' if critical != 1 else ''}"
    return [style(text, fg="red", bold=True)]


def side_label(side: SideInfo) -> str:
    return f"{side.label} ({side.commit[:7]})" if side.commit else side.label


# ----------------------------------------------------------------------------- text


def text_report(report: DiffReport, *, show_all: bool, colour: bool, title: str = "") -> str:
    style = styler(colour)
    all_rows = rows(report.files, show_all)
    lines = [
        style(
            title or f"git train diff: {side_label(report.old)} → {side_label(report.new)}",
            bold=True,
        )
    ]
    lines += text_body(report.files, all_rows, show_all=show_all, style=style)
    return "\n".join(lines) + "\n"


def text_body(
    files: Sequence[FileDiff], all_rows: list[Row], *, show_all: bool, style: Styler
) -> list[str]:
    from gittrain.core.importance import SHOWN_TIERS

    tally = counts(all_rows, files)
    shown_files = [f for f in files if is_shown(f, [r for r in all_rows if r.file is f])]
    lines = [
        f"{len(shown_files)} file{'s' if len(shown_files) != 1 else ''}: "
        f"{tally['modified']} modified, {tally['added']} added, {tally['removed']} removed"
    ]
    lines += critical_warning(files, all_rows, style)
    noise = hidden_noise(files)
    if noise and not show_all:
        lines.append(f"({noise} noise change{'s' if noise != 1 else ''} hidden; --all shows them)")
    if not shown_files:
        return [*lines, "", "no config changes"]
    lines += ["", style("Files", bold=True)]
    lines += [f"  {file_line(f)}" for f in shown_files]
    for tier in SHOWN_TIERS:
        tier_rows = [r for r in all_rows if r.tier is tier]
        if not tier_rows:
            continue
        lines += ["", style(tier.value.capitalize(), bold=True)]
        current: FileDiff | None = None
        for row in tier_rows:
            if row.file is not current:
                current = row.file
                lines.append(f"  {row.file.path}")
            mark = style(MARK[row.kind], fg=COLOUR[row.kind])
            suffix = "  (derived)" if row.derived else ""
            sep = " " if row.kind in ("added", "removed") else ": "
            lines.append(f"    {mark} {row.label}{sep}{row.text}{suffix}")
    for file in files:
        if file.datasets:
            lines += ["", style(f"Datasets ({file.path})", bold=True)]
            lines += [
                f"  {style(MARK[d.kind.value], fg=COLOUR[d.kind.value])} {dataset_line(d)}"
                for d in file.datasets
            ]
    return lines


def file_line(file: FileDiff) -> str:
    mark = STATUS_MARK[file.status.value]
    name = file.path
    if file.status.value == "renamed":
        name = f"{file.old_path} → {file.new_path}"
    status = "" if file.status.value == "modified" else f", {file.status.value}"
    line = f"{mark} {name} ({file.kind.value}{status})"
    if file.error:
        line += f"\n      error: {file.error}"
    return line


# What identifies a dataset version that appeared or vanished; the rest is in the JSON.
_IDENTITY_FIELDS = ("path", "format", "num_samples", "size", "files", "sha256")


def dataset_line(change: DatasetChange) -> str:
    from gittrain.core.diff import format_path, render

    parts = []
    for field in change.fields:
        label = format_path(field.path) if field.path else "value"
        if change.kind.value == "modified":
            if label not in ("modified_at", "size_mb"):  # they follow from the other changes
                parts.append(f"{label} {describe(field)}")
        elif label in _IDENTITY_FIELDS or not field.path:
            value = field.new if change.kind.value == "added" else field.old
            shown = value[:12] if label == "sha256" and isinstance(value, str) else value
            parts.append(f"{label}={render(shown, limit=40)}")
    verb = {"added": "added", "removed": "removed", "modified": "changed"}[change.kind.value]
    return f"{change.name} {verb}: " + "; ".join(parts)


Styler = Callable[..., str]


def styler(colour: bool) -> Styler:
    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if colour else text

    return style


# ------------------------------------------------------------------------- markdown


def markdown_report(report: DiffReport, *, show_all: bool, title: str = "") -> str:
    heading = title or (f"gittrain diff: `{side_label(report.old)}` → `{side_label(report.new)}`")
    lines = [f"### {heading}", ""]
    lines += markdown_body(report.files, rows(report.files, show_all), show_all=show_all)
    return "\n".join(lines) + "\n"


def markdown_body(files: Sequence[FileDiff], all_rows: list[Row], *, show_all: bool) -> list[str]:
    from gittrain.core.importance import SHOWN_TIERS

    tally = counts(all_rows, files)
    shown_files = [f for f in files if is_shown(f, [r for r in all_rows if r.file is f])]
    lines = [
        f"**{tally['modified']} modified, {tally['added']} added, {tally['removed']} removed** "
        f"in {len(shown_files)} file{'s' if len(shown_files) != 1 else ''}"
    ]
    critical = critical_count(files, all_rows)
    if critical:
        lines += ["", f"> **Warning:** {critical} critical change{'s' if critical != 1 else ''}"]
    noise = hidden_noise(files)
    if noise and not show_all:
        lines += ["", f"_{noise} noise change{'s' if noise != 1 else ''} hidden._"]
    errors = [f for f in files if f.error]
    for file in errors:
        lines += ["", f"- :x: `{file.path}`: {cell(file.error or '')}"]
    for tier in SHOWN_TIERS:
        tier_rows = [r for r in all_rows if r.tier is tier]
        if not tier_rows:
            continue
        lines += [
            "",
            f"#### {tier.value.capitalize()}",
            "",
            "| | file | key | change |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {MARK[r.kind]} | `{r.file.path}` | `{cell(r.label)}` | {cell(r.text)} |"
            for r in tier_rows
        ]
    for file in files:
        if file.datasets:
            lines += ["", f"#### Datasets (`{file.path}`)", ""]
            lines += [f"- {MARK[d.kind.value]} {cell(dataset_line(d))}" for d in file.datasets]
    return lines


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# ----------------------------------------------------------------------------- json


def json_report(report: DiffReport) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "old": json_side(report.old),
        "new": json_side(report.new),
        "files": [json_file(f) for f in report.files],
    }


def json_side(side: SideInfo) -> dict[str, object]:
    return {"kind": side.kind.value, "label": side.label, "commit": side.commit}


def json_file(file: FileDiff) -> dict[str, object]:
    return {
        "status": file.status.value,
        "kind": file.kind.value,
        "old_path": file.old_path,
        "new_path": file.new_path,
        "error": file.error,
        "changes": [
            dict(json_change(r.change), tier=r.tier.value, idea=r.idea) for r in file.changes
        ],
        "derived": [
            {"name": d.name, "tier": d.tier.value, "old": d.old, "new": d.new, "ratio": d.ratio}
            for d in file.derived
        ],
        "datasets": [json_dataset(d) for d in file.datasets],
    }


def json_dataset(change: DatasetChange) -> dict[str, object]:
    return {
        "name": change.name,
        "kind": change.kind.value,
        "changes": [json_change(c) for c in change.fields],
    }


def json_change(change: Change) -> dict[str, object]:
    from gittrain.core.diff import MISSING, ItemKey, format_path, render

    def value(v: object) -> object:
        if isinstance(v, tuple):  # a reorder: the identities in order
            return [i.value if isinstance(i, ItemKey) else i for i in v]
        if isinstance(v, (dict, list)) and len(render(v, limit=10_000)) > 2_000:
            return {"summary": render(v)}  # bounded: never a whole huge subtree
        return v

    out: dict[str, object] = {
        "kind": change.kind.value,
        "path": [
            {"key": p.field, "value": p.value, "index": p.index} if isinstance(p, ItemKey) else p
            for p in change.path
        ],
        "display_path": format_path(change.path),
    }
    if change.old is not MISSING:
        out["old"] = value(change.old)
    if change.new is not MISSING:
        out["new"] = value(change.new)
    if change.ratio is not None:
        out["ratio"] = change.ratio
        out["percent"] = change.percent
    return out
