"""Text and JSON output for `data list` and `data show`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gittrain.cli.common import print_table
from gittrain.cli.options import emit_json
from gittrain.core.words import counted, size_text

if TYPE_CHECKING:
    from gittrain.commands.data_lineage import Use
    from gittrain.commands.data_list import Listed, ListResult
    from gittrain.commands.data_show import ShowResult
    from gittrain.core.data.lockfile import DatasetEntry
    from gittrain.core.data.lockhistory import Change


def _change_json(change: Change | None) -> dict[str, object] | None:
    if change is None:
        return None
    return {"commit": change.commit, "date": change.date, "author": change.author}


def entry_json(entry: DatasetEntry) -> dict[str, object]:
    """Every field, always present (null when unknown), plus where it lives and its version."""
    return {
        "name": entry.name,
        "path": entry.path,
        "location": entry.location,
        "format": entry.format,
        "version": entry.version,
        "sha256": entry.sha256,
        "hash_algorithm": entry.hash_algorithm,
        "sha256_from": entry.sha256_from or None,
        "size": entry.size,
        "size_mb": entry.size_mb,
        "files": entry.files,
        "num_samples": entry.num_samples,
        "columns": dict(entry.columns),
        "provider": {key: entry.provider[key] for key in sorted(entry.provider)},
        "description": entry.description,
        "tags": list(entry.tags),
        "created_at": entry.created_at or None,
        "modified_at": entry.modified_at or None,
    }


def _warn(problems: tuple[str, ...]) -> None:
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)


def listing(result: ListResult, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {
                "lockfile": result.lockfile,
                "datasets": [
                    {
                        "name": row.entry.name,
                        "path": row.entry.path,
                        "location": row.entry.location,
                        "format": row.entry.format,
                        "num_samples": row.entry.num_samples,
                        "size": row.entry.size,
                        "files": row.entry.files,
                        "version": row.entry.version,
                        "sha256": row.entry.sha256,
                        "last_commit": _change_json(row.change),
                        "uncommitted": row.uncommitted,
                    }
                    for row in result.datasets
                ],
                "problems": list(result.problems),
            }
        )
        return
    _warn(result.problems)
    if not result.datasets:
        click.echo(f"no datasets in {result.lockfile}; lock one with `git train data add PATH|URL`")
        return
    rows = [("NAME", "FORMAT", "SAMPLES", "SIZE", "WHERE", "LAST COMMIT", "PATH")]
    for row in result.datasets:
        e = row.entry
        samples = "?" if e.num_samples is None else f"{e.num_samples:,}"
        rows.append((e.name, e.format, samples, size_text(e.size), e.location, _last(row), e.path))
    print_table(rows)


def _last(row: Listed) -> str:
    if row.uncommitted:
        return "uncommitted"
    if row.change is None:
        return "-"
    return f"{row.change.commit[:12]} {row.change.date[:10]}"


def show(result: ShowResult, fmt: str) -> None:
    e = result.entry
    if fmt == "json":
        emit_json(
            {
                "spec": result.spec,
                "lockfile": result.lockfile,
                "revision": result.revision,
                "dataset": entry_json(e),
                "introduced": _change_json(result.introduced),
                "jobs": [_use_json(u) for u in result.uses],
                "problems": list(result.problems),
            }
        )
        return
    _warn(result.problems)
    where = result.lockfile
    if result.revision is not None:
        where = f"{result.revision[:12]}:{result.lockfile}"
    click.echo(f"dataset {e.name} ({where})")
    for key, value in _fields(e):
        lines = value if isinstance(value, list) else [value]
        click.echo(f"  {key + ':':<16}{lines[0] if lines else '-'}".rstrip())
        for line in lines[1:]:
            click.echo(f"  {'':<16}{line}")
    intro = result.introduced
    if intro is None:
        click.echo(f"  {'introduced:':<16}not committed")
    else:
        click.echo(f"  {'introduced:':<16}{intro.commit[:12]} {intro.date} {intro.author}")
    click.echo(f"  {'jobs:':<16}{counted(len(result.uses), 'job')}")
    for u in result.uses:
        gone = "  (deleted)" if u.deleted else ""
        click.echo(
            f"    {u.job:<24} {u.status or '-':<10} {u.time}  {u.commit[:12]}  "
            f"{','.join(u.roles)}{gone}"
        )


def _fields(e: DatasetEntry) -> list[tuple[str, str | list[str]]]:
    """Each lockfile field (and where the data lives), as it reads in text."""
    if e.sha256 is None:
        sha = "none (no sha256 known; the version is a digest of the provider identity)"
    elif e.sha256_from:
        sha = f"{e.sha256} (from {e.sha256_from})"
    else:
        sha = e.sha256
    samples = "unknown" if e.num_samples is None else f"{e.num_samples:,}"
    return [
        ("path", e.path),
        ("location", e.location),
        ("format", e.format),
        ("version", e.version),
        ("sha256", sha),
        ("hash_algorithm", e.hash_algorithm or "-"),
        ("size", _size(e.size)),
        ("files", "-" if e.files is None else f"{e.files:,}"),
        ("num_samples", samples),
        ("columns", [f"{name}: {kind}" for name, kind in e.columns.items()]),
        ("provider", [f"{key}: {e.provider[key]}" for key in sorted(e.provider)]),
        ("description", e.description or "-"),
        ("tags", ", ".join(e.tags) or "-"),
        ("created_at", e.created_at or "-"),
        ("modified_at", e.modified_at or "-"),
    ]


def _size(size: int) -> str:
    exact = counted(size, "byte", grouped=True)
    short = size_text(size)
    return exact if short == counted(size, "byte") else f"{exact} ({short})"


def _use_json(u: Use) -> dict[str, object]:
    return {
        "job": u.job,
        "path": u.path,
        "roles": list(u.roles),
        "commit": u.commit,
        "time": u.time,
        "status": u.status,
        "deleted": u.deleted,
    }
