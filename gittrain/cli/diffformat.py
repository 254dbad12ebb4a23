"""Rendering semantic diffs as text and JSON (markdown: ``diffmarkdown``); shapes in README."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from gittrain.commands.diff import DiffReport, SideInfo
    from gittrain.core.diff import Change
    from gittrain.core.filediff import DatasetChange, DerivedChange, FileDiff, RatedChange
    from gittrain.core.importance import Tier

JSON_VERSION = 1
MARK = {"added": "[+]", "removed": "[-]", "modified": "[~]", "reordered": "[~]"}
COLOUR = {"added": "green", "removed": "red", "modified": "yellow", "reordered": "yellow"}
STATUS_MARK = {"added": "[+]", "deleted": "[-]", "modified": "[~]", "renamed": "[>]"}


# Records here are NamedTuples, not dataclasses: prepare-commit-msg renders its summary with
# this module (see gittrain/document.py).
class Row(NamedTuple):
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
        if file.contents is not None:
            continue  # an added or deleted file is summarised, not listed key by key
        for rated in file.changes:
            if rated.tier is Tier.NOISE and not show_all:
                continue
            out.append(_change_row(file, rated))
        out.extend(_derived_row(file, d) for d in file.derived if d.old != d.new)
    return out


def hidden_noise(files: Sequence[FileDiff]) -> int:
    from gittrain.core.importance import Tier

    return sum(1 for f in files if f.contents is None for r in f.changes if r.tier is Tier.NOISE)


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

    # Only a changed value is ever a row (``rows`` drops the rest), so no "(unchanged)".
    text = f"{format_number(derived.old)} → {format_number(derived.new)}"
    if derived.ratio is not None:
        text += f" ({_ratio(derived.ratio, (derived.ratio - 1) * 100)})"
    return Row(file, derived.tier, "modified", derived.name, text, derived=True)


def critical_count(files: Sequence[FileDiff], all_rows: Iterable[Row]) -> int:
    """Critical rows, plus every lockfile dataset that changed (data is critical)."""
    datasets = sum(len(f.datasets) for f in files)
    return datasets + sum(1 for r in all_rows if r.tier.value == "critical")


class Tally(NamedTuple):
    """The headline counts: changes (keys, whole files, datasets) and the files they are in."""

    files: int
    modified: int = 0  # keys
    added: int = 0
    removed: int = 0
    files_added: int = 0  # each one change, summarised
    files_deleted: int = 0
    renamed: int = 0
    datasets: int = 0  # lockfile datasets added, removed or changed
    unreadable: int = 0  # files that could not be parsed: no change counted

    @property
    def changes(self) -> int:
        return (
            self.modified
            + self.added
            + self.removed
            + self.files_added
            + self.files_deleted
            + self.renamed
            + self.datasets
        )

    def headline(self) -> str:
        """``3 changes in 1 file: 2 modified, 1 added``; zero counts are left out."""
        parts = [
            f"{n} {what}"
            for n, what in (
                (self.modified, "modified"),
                (self.added, "added"),
                (self.removed, "removed"),
                (self.files_added, _plural(self.files_added, "file") + " added"),
                (self.files_deleted, _plural(self.files_deleted, "file") + " deleted"),
                (self.renamed, "renamed"),
                (self.datasets, _plural(self.datasets, "dataset") + " changed"),
                (self.unreadable, "unreadable"),
            )
            if n
        ]
        text = f"{self.changes} {_plural(self.changes, 'change')} in {self.files} "
        text += _plural(self.files, "file")
        return text + (f": {', '.join(parts)}" if parts else "")

    def json(self) -> dict[str, int]:
        return {
            "changes": self.changes,
            "files": self.files,
            "modified": self.modified,
            "added": self.added,
            "removed": self.removed,
            "files_added": self.files_added,
            "files_deleted": self.files_deleted,
            "renamed": self.renamed,
            "datasets": self.datasets,
            "unreadable": self.unreadable,
        }


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def tally(files: Sequence[FileDiff], all_rows: Iterable[Row]) -> Tally:
    """Count changes, not files: each key, each added or deleted file, each dataset."""
    keys = {"modified": 0, "added": 0, "removed": 0}
    by_file: dict[int, int] = {}
    for row in all_rows:
        by_file[id(row.file)] = by_file.get(id(row.file), 0) + 1
        if not row.derived:
            keys["modified" if row.kind == "reordered" else row.kind] += 1
    shown = [f for f in files if f.error or by_file.get(id(f)) or _shown_anyway(f)]
    status = [f.status.value for f in shown if not f.error]
    whole = [f.status.value for f in shown if f.contents is not None]
    return Tally(
        files=len(shown),
        **keys,
        files_added=whole.count("added"),
        files_deleted=whole.count("deleted"),
        renamed=status.count("renamed"),
        datasets=sum(len(f.datasets) for f in shown),
        unreadable=sum(1 for f in shown if f.error),
    )


def is_shown(file: FileDiff, file_rows: Sequence[Row]) -> bool:
    """Skip files whose edits were comments or formatting only."""
    return bool(file_rows or file.error or _shown_anyway(file))


def _shown_anyway(file: FileDiff) -> bool:
    return bool(file.datasets or file.status.value != "modified" or file.old_path != file.new_path)


def contents_head(file: FileDiff) -> str:
    """``verl, 212 keys`` for an added or deleted file."""
    if file.contents is None:
        return ""
    keys = f"{file.contents.keys} {_plural(file.contents.keys, 'key')}"
    return f"{file.dialect}, {keys}" if file.dialect else keys


def contents_values(file: FileDiff) -> str:
    """``algorithm grpo, learning rate 1e-06, model Qwen/Qwen2-7B``: its critical values."""
    from gittrain.core.diff import render

    if file.contents is None:
        return ""
    return ", ".join(
        f"{idea.replace('_', ' ')} "
        + (_short(value) if isinstance(value, str) else render(value, limit=60))
        for idea, value in file.contents.critical
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(text: str) -> str:
    return code(text)


def skipped_note(skipped: Sequence[str], *, code: bool = False) -> str:
    """What the configured paths left out, and how to include it; "" when nothing was."""
    if not skipped:
        return ""
    quote = _code if code else (lambda p: p)
    names = ", ".join(quote(p) for p in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
    n = len(skipped)
    return (
        f"{n} YAML {_plural(n, 'file')} changed outside the configured paths ({names}); "
        f"add {'it' if n == 1 else 'them'} with `diff: paths:` in .gittrain.yaml "
        f"or name {'it' if n == 1 else 'them'} after --"
    )


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
    if report.skipped:
        lines += ["", skipped_note(report.skipped)]
    return "\n".join(lines) + "\n"


def text_body(
    files: Sequence[FileDiff], all_rows: list[Row], *, show_all: bool, style: Styler
) -> list[str]:
    from gittrain.core.importance import SHOWN_TIERS

    shown_files = [f for f in files if is_shown(f, [r for r in all_rows if r.file is f])]
    lines = [tally(files, all_rows).headline()]
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
    """``[+] configs/grpo.yaml (config, added; verl, 212 keys: algorithm grpo, ...)``."""
    mark = STATUS_MARK[file.status.value]
    what = file_what(file)
    if file.contents is not None:
        what += f"; {contents_head(file)}"
    line = f"{mark} {file_name(file)} ({what})"
    values = contents_values(file)
    if values:
        line += f": {values}"
    if file.error:
        line += f"\n      error: {file.error}"
    return line


def file_name(file: FileDiff) -> str:
    if file.old_path and file.new_path and file.old_path != file.new_path:
        return f"{file.old_path} → {file.new_path}"
    return file.path


def file_what(file: FileDiff) -> str:
    """``config, verl`` or ``job, added``: the kind, a framework config's dialect, the status."""
    parts = [file.kind.value]
    if file.kind.value == "config" and file.dialect and file.contents is None:
        parts.append(file.dialect)  # an added file names it with its key count
    if file.status.value != "modified":
        parts.append(file.status.value)
    return ", ".join(parts)


# What identifies a dataset version that appeared or vanished; the rest is in the JSON.
_IDENTITY_FIELDS = ("path", "format", "num_samples", "size", "files", "sha256")


def dataset_line(change: DatasetChange) -> str:
    from gittrain.core.diff import format_path, render

    parts = []
    for field in change.fields:
        label = format_path(field.path) if field.path else "value"
        if change.kind.value == "modified":
            if label == "sha256":  # 12 digits, as everywhere else; the JSON has all 64
                parts.append(f"sha256 {_short_sha(field.old)} → {_short_sha(field.new)}")
            elif label not in ("modified_at", "size_mb"):  # they follow from the other changes
                parts.append(f"{label} {describe(field)}")
        elif label in _IDENTITY_FIELDS or not field.path:
            value = field.new if change.kind.value == "added" else field.old
            shown = _short_sha(value) if label == "sha256" else value
            parts.append(f"{label}={render(shown, limit=40)}")
    verb = {"added": "added", "removed": "removed", "modified": "changed"}[change.kind.value]
    return f"{change.name} {verb}: " + "; ".join(parts)


def _short_sha(sha: object) -> object:
    return sha[:12] if isinstance(sha, str) else sha


Styler = Callable[..., str]


def styler(colour: bool) -> Styler:
    def style(text: str, **kwargs: Any) -> str:
        if not colour:
            return text
        import click  # here: the prepare-commit-msg hook renders rows without Click

        return click.style(text, **kwargs)

    return style


# What file names and values must not carry into markdown as syntax: `<` (HTML), a
# backtick (a code span), `[` (a link or image), `|` (a table cell's end), `\\` (an escape).
_MARKDOWN_SPECIAL = re.compile(r"([\\`<\[|])")
_LINE_BREAK = re.compile(r"[\r\n]+")


def cell(text: str) -> str:
    """``text`` (a value, a message, a name) as plain markdown text: shown, never parsed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAK.sub(" ", text))


def code(text: str, *, table: bool = False) -> str:
    """``text`` as one code span whatever it holds (HTML stays literal inside one).

    The fence is one backtick longer than any run inside; ``table``: a ``|`` is
    escaped, which GitHub undoes inside a table cell (and only there).
    """
    text = _LINE_BREAK.sub(" ", text)
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


# ----------------------------------------------------------------------------- json


def json_report(report: DiffReport, *, show_all: bool = False) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "old": json_side(report.old),
        "new": json_side(report.new),
        "summary": json_summary(report.files, show_all=show_all),
        "files": [json_file(f) for f in report.files],
        "skipped": list(report.skipped),
    }


def json_summary(files: Sequence[FileDiff], *, show_all: bool) -> dict[str, int]:
    """The headline's counts, and the critical count of the warning line."""
    all_rows = rows(files, show_all)
    return dict(tally(files, all_rows).json(), critical=critical_count(files, all_rows))


def json_side(side: SideInfo) -> dict[str, object]:
    return {"kind": side.kind.value, "label": side.label, "commit": side.commit}


def json_file(file: FileDiff) -> dict[str, object]:
    return {
        "status": file.status.value,
        "kind": file.kind.value,
        "old_path": file.old_path,
        "new_path": file.new_path,
        "error": file.error,
        "dialect": file.dialect,
        "contents": None
        if file.contents is None
        else {"keys": file.contents.keys, "critical": dict(file.contents.critical)},
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
