"""Text and JSON output for the `data` commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gittrain.cli.options import emit_json
from gittrain.core.words import counted, size_text

if TYPE_CHECKING:
    from gittrain.commands.data_add import AddResult
    from gittrain.commands.data_compare import CompareResult, Side
    from gittrain.commands.data_lineage import LineageResult
    from gittrain.commands.data_log import LogResult
    from gittrain.commands.data_status import StatusResult
    from gittrain.commands.data_update import UpdateResult
    from gittrain.core.data.lockfile import DatasetEntry

_HEX = frozenset("0123456789abcdef")


def entry_json(entry: DatasetEntry) -> dict[str, object]:
    return {"name": entry.name, **entry.to_dict()}


def _samples(n: int | None) -> str:
    return "? samples" if n is None else counted(n, "sample", grouped=True)


def _signed(n: int | None, word: str) -> str:
    """``+12 samples``, ``-1 byte``; nothing when unknown."""
    return "" if n is None else f"{'+' if n >= 0 else '-'}{counted(abs(n), word, grouped=True)}"


def _version(entry: DatasetEntry) -> str:
    """``sha256 1a2b3c4d5e6f``, or for remote data nobody hashed, its identity version."""
    if entry.sha256 is not None:
        source = f" ({entry.sha256_from})" if entry.sha256_from else ""
        return f"sha256 {entry.sha256[:12]}{source}"
    return f"version {entry.version[:12]} (no sha256 known)"


def summary(entry: DatasetEntry) -> str:
    files = f", {counted(entry.files, 'file')}" if entry.files is not None else ""
    return (
        f"{entry.name}: {entry.path} ({entry.format}{files}), {_version(entry)}, "
        f"{_samples(entry.num_samples)}, {size_text(entry.size)}"
    )


def add_notes(result: AddResult) -> list[str]:
    """What a remote `data add` could not record without reading every byte."""
    notes = list(result.notes)
    if result.uncounted:
        formats = "/".join(f.upper() for f in result.uncounted)
        verb = "needs" if len(result.uncounted) == 1 else "need"
        notes.append(f"samples not counted: {formats} {verb} --hash")
    if result.entry.sha256 is None and result.entry.location == "hf":
        what = "some of its files are" if result.entry.format == "dir" else "this file is"
        notes.append(
            f"no sha256 known: {what} stored in git, not LFS, and the Hub keeps a sha256 "
            "for LFS files only, so the git blob id was recorded; --hash computes one"
        )
    elif result.entry.sha256 is None:
        notes.append(
            "no sha256 known: the provider has none for this data, so its identity "
            "(ETag, version) was recorded; --hash computes one"
        )
    return notes


def add(result: AddResult, fmt: str) -> None:
    verb = "added" if result.created else "updated" if result.changed else "unchanged"
    notes = add_notes(result) if result.entry.is_remote else []
    if fmt == "json":
        out: dict[str, object] = {"action": verb, "dataset": entry_json(result.entry)}
        if result.entry.is_remote:
            out["notes"] = notes
        emit_json(out)
    else:
        click.echo(f"{verb} {summary(result.entry)}")
        for note in notes:
            click.echo(f"note: {note}")


def status(result: StatusResult, fmt: str) -> None:
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)
    if fmt == "json":
        emit_json(
            {
                "drift": result.drift,
                "datasets": [
                    {
                        "name": d.name,
                        "path": d.path,
                        "state": d.state.value,
                        "differences": [
                            {"field": x.field, "locked": x.locked, "current": x.current}
                            for x in d.differences
                        ],
                        "jobs": list(d.jobs),
                    }
                    for d in result.datasets
                ],
                "problems": list(result.problems),
                "skipped_remote": result.skipped,
            }
        )
        return
    width = max((len(d.name) for d in result.datasets), default=0)
    for d in result.datasets:
        path = d.path if d.path and d.path != d.name else ""
        line = f"{d.state.value:<9} {d.name:<{width}}  {path}".rstrip()
        if d.differences:
            line += (
                "  ("
                + "; ".join(
                    f"{x.field}: {_short(x.locked)} -> {_short(x.current)}"
                    if x.field != "error"
                    else str(x.current)
                    for x in d.differences
                )
                + ")"
            )
        if d.jobs:
            line += f"  (used by {', '.join(d.jobs)})"
        click.echo(line)
    if result.skipped:
        click.echo(f"skipped {counted(result.skipped, 'remote dataset')} (--offline)")
    elif not result.datasets:
        click.echo("no datasets locked")


def _short(value: object) -> str:
    """A sha256 or a git id (a Hub commit, a blob id) as its first 12 hex digits."""
    if isinstance(value, str) and len(value) in (40, 64) and _HEX.issuperset(value):
        return value[:12]
    return "none" if value is None else str(value)


def update(result: UpdateResult, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {"datasets": [{"changed": u.changed, **entry_json(u.entry)} for u in result.datasets]}
        )
        return
    for u in result.datasets:
        click.echo(f"{'updated' if u.changed else 'unchanged'} {summary(u.entry)}")


def log(result: LogResult, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {
                "name": result.name,
                "versions": [
                    {
                        "commit": v.commit,
                        "date": v.date,
                        "author": v.author,
                        "event": v.event.value,
                        "sha256": v.entry.sha256 if v.entry else None,
                        "version": v.entry.version if v.entry else None,
                        "path": v.entry.path if v.entry else None,
                        "size": v.entry.size if v.entry else None,
                        "num_samples": v.entry.num_samples if v.entry else None,
                        "size_delta": v.size_delta,
                        "samples_delta": v.samples_delta,
                    }
                    for v in result.versions
                ],
                "errors": [{"commit": e.commit, "message": e.message} for e in result.errors],
            }
        )
        return
    for e in result.errors:
        click.echo(f"warning: {e.message}", err=True)
    for v in result.versions:
        head = f"{v.commit[:12]}  {v.date}  {v.author:<16} {v.event.value:<8}"
        if v.entry is None:
            click.echo(head)
            continue
        delta = ""
        if v.samples_delta is not None or v.size_delta is not None:
            parts = (_signed(v.samples_delta, "sample"), _signed(v.size_delta, "byte"))
            delta = f"  ({', '.join(p for p in parts if p)})"
        click.echo(f"{head} {v.entry.version[:12]}  {_samples(v.entry.num_samples)}{delta}")


def lineage(result: LineageResult, fmt: str) -> None:
    t = result.target
    if fmt == "json":
        emit_json(
            {
                "target": {
                    "spec": t.spec,
                    "name": t.name,
                    "revision": t.revision,
                    "sha256": t.sha256 if t.hashed else None,
                    "version": t.sha256,
                },
                "jobs": [
                    {
                        "job": u.job,
                        "path": u.path,
                        "roles": list(u.roles),
                        "commit": u.commit,
                        "time": u.time,
                        "status": u.status,
                        "deleted": u.deleted,
                    }
                    for u in result.uses
                ],
                "problems": list(result.problems),
            }
        )
        return
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)
    label = f"sha256 {t.sha256[:12]}" if t.hashed else f"version {t.sha256[:12]}, no sha256 known"
    click.echo(f"{t.spec} ({label}): {counted(len(result.uses), 'job')}")
    for u in result.uses:
        gone = "  (deleted)" if u.deleted else ""
        click.echo(
            f"  {u.job:<24} {u.status or '-':<10} {u.time}  {u.commit[:12]}  "
            f"{','.join(u.roles)}{gone}"
        )


def _side_json(s: Side) -> dict[str, object]:
    return {
        "spec": s.spec,
        "kind": s.kind,
        "name": s.name,
        "revision": s.revision,
        "path": s.path,
        "format": s.format,
        "sha256": s.sha256,
        "version": s.version,
        "size": s.size,
        "num_samples": s.num_samples,
        "columns": s.columns,
    }


def compare(result: CompareResult, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {
                "a": _side_json(result.a),
                "b": _side_json(result.b),
                "changed": result.changed,
                "size_delta": result.size_delta,
                "samples_delta": result.samples_delta,
                "columns": [
                    {
                        "column": c.column,
                        "change": c.kind.value,
                        "old_type": c.old_type,
                        "new_type": c.new_type,
                    }
                    for c in result.columns
                ],
            }
        )
        return
    a, b = result.a, result.b
    for side in (a, b):
        size = counted(side.size, "byte", grouped=True)
        version = (
            f"sha256 {side.sha256[:12]}"
            if side.sha256
            else f"version {side.version[:12]} (no sha256 known)"
        )
        click.echo(f"{side.spec}: {version}, {_samples(side.num_samples)}, {size}")
    if not result.changed:
        click.echo("data: identical")
        return
    click.echo(
        f"data: changed (size {_signed(result.size_delta, 'byte')}"
        + (f", samples {result.samples_delta:+,})" if result.samples_delta is not None else ")")
    )
    for c in result.columns:
        if c.kind.value == "added":
            click.echo(f"  + {c.column}: {c.new_type}")
        elif c.kind.value == "removed":
            click.echo(f"  - {c.column}: {c.old_type}")
        else:
            click.echo(f"  ~ {c.column}: {c.old_type} -> {c.new_type}")
