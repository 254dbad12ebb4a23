"""`git train data ...` and `git train merge-lock`: the dataset lockfile commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from gittrain.cli import data_render as render
from gittrain.cli.common import repo_root
from gittrain.cli.options import CONTEXT, TEXT, emit_json, format_option
from gittrain.cli.progress import ByteProgress
from gittrain.errors import usage_error

if TYPE_CHECKING:
    pass


@contextmanager
def _progress(label: str, unit: str | None = None) -> Iterator[ByteProgress]:
    progress = ByteProgress(label, unit=unit)
    try:
        yield progress
    finally:
        progress.close()


@click.group(context_settings=CONTEXT)
def data() -> None:
    """Lock datasets in gittrain.lock: what bytes, how many samples, which jobs used them.

    `data add PATH` takes a path relative to the current directory; the lockfile
    records it relative to the repository root.
    """


@data.command(context_settings=CONTEXT)
@click.argument("path", metavar="PATH|URL")
@click.option(
    "--name", type=TEXT, help="Dataset name (default: the file or directory name, no suffix)."
)
@click.option("--description", type=TEXT, help="Free text stored with the dataset.")
@click.option(
    "--tag", "tags", multiple=True, type=TEXT, help="A tag (repeatable); replaces existing tags."
)
@click.option(
    "--hash",
    "hash_bytes",
    is_flag=True,
    help="URL: stream every object to compute its sha256 and count JSONL/CSV samples "
    "(nothing is stored locally).",
)
@click.option(
    "--executor",
    default="local",
    show_default=True,
    metavar="local|dask[=ADDRESS]",
    help="URL: where objects are read and hashed: threads here, a dask cluster started "
    "on this machine, or the dask scheduler at ADDRESS (tcp://HOST:PORT), whose workers "
    "need the storage credentials themselves.",
)
@format_option()
def add(  # noqa: PLR0917 - one parameter per click option
    path: str,
    name: str | None,
    description: str | None,
    tags: tuple[str, ...],
    hash_bytes: bool,
    executor: str,
    fmt: str,
) -> None:
    """Snapshot PATH (a file or a directory of shards) or a remote URL; an existing NAME
    is updated.

    URL is s3://BUCKET/KEY, s3://BUCKET/PREFIX/, gs://..., https://...,
    hf://datasets/ORG/NAME[@REV][/PATH] or a bare Hub id ORG/NAME.  Without --hash a
    remote dataset is recorded from its metadata (and Parquet footers); its sha256 is
    the provider's when the provider has a real one.
    """
    import time

    from gittrain.cli.common import workspace
    from gittrain.commands.data_add import add as run
    from gittrain.commands.data_add import add_remote, remote_target

    ws = workspace()
    root = ws.require_root()
    url = remote_target(path, ws.cwd)
    if url is None and executor != "local":
        raise usage_error(f"--executor {executor}: only remote URLs are read on an executor")
    if url is not None:
        with _progress("listing", unit="objects") as listed, _progress("reading") as progress:

            def reading(n: int) -> None:
                if listed.enabled:  # the first bytes: listing is over, the rate starts now
                    listed.close()
                    listed.enabled = False
                    progress.start = time.monotonic()
                progress(n)

            result = add_remote(
                root,
                url,
                name=name,
                description=description,
                tags=tags or None,
                hash=hash_bytes,
                executor=executor,
                progress=reading,
                listed=listed,
            )
    else:
        rel = ws.rel(path)  # PATH is relative to the current directory
        with _progress("hashing") as progress:
            result = run(
                root,
                rel,
                name=name,
                description=description,
                tags=tags or None,
                progress=progress,
            )
    render.add(result, fmt)


@data.command(context_settings=CONTEXT)
@click.argument("names", nargs=-1)
@click.option(
    "--offline", is_flag=True, help="Skip remote datasets (s3, gs, hf, https); say how many."
)
@format_option()
def status(names: tuple[str, ...], offline: bool, fmt: str) -> None:
    """ok, modified, missing or unlocked for each dataset; exits 1 on any drift.

    Unchanged files are verified from the stat cache without being read.  Remote
    datasets are verified from their provider's metadata (one request per object,
    concurrently; nothing is downloaded).
    """
    from gittrain.commands.data_status import status as run

    with _progress("verifying") as progress:
        result = run(repo_root()[0], names, progress, offline=offline)
    render.status(result, fmt)
    if result.drift:
        click.get_current_context().exit(1)


@data.command(context_settings=CONTEXT)
@click.argument("names", nargs=-1)
@format_option()
def update(names: tuple[str, ...], fmt: str) -> None:
    """Re-snapshot the named datasets (all when none are named)."""
    from gittrain.commands.data_update import update as run

    with _progress("hashing") as progress:
        result = run(repo_root()[0], names, progress)
    render.update(result, fmt)


@data.command(context_settings=CONTEXT)
@click.argument("name")
@format_option()
def remove(name: str, fmt: str) -> None:
    """Remove NAME from the lockfile (the data itself is not touched)."""
    from gittrain.commands.data_remove import remove as run

    result = run(repo_root()[0], name)
    if fmt == "json":
        emit_json({"removed": result.entry.name, "path": result.entry.path})
    else:
        click.echo(f"removed {result.entry.name} ({result.entry.path})")


@data.command(context_settings=CONTEXT)
@click.argument("name")
@format_option()
def log(name: str, fmt: str) -> None:
    """Every version of NAME in the lockfile's history, newest first."""
    from gittrain.commands.data_log import log as run

    render.log(run(repo_root()[0], name), fmt)


@data.command("list", context_settings=CONTEXT)
@format_option()
def list_(fmt: str) -> None:
    """Every locked dataset: format, samples, size, where it lives (local, s3, gs, hf,
    https) and the last commit that changed its entry."""
    from gittrain.cli import data_catalog
    from gittrain.commands.data_list import list_datasets

    data_catalog.listing(list_datasets(repo_root()[0]), fmt)


@data.command(context_settings=CONTEXT)
@click.argument("dataset", metavar="NAME[@REV]|VERSION")
@format_option()
def show(dataset: str, fmt: str) -> None:
    """One dataset version in full: every lockfile field, the commit that introduced it,
    and the jobs that trained on it.

    VERSION is 7 to 64 hex digits of its version (its sha256, or for remote data
    without one, the digest `data list --format json` shows), looked up in the
    lockfile, then in its history.
    """
    from gittrain.cli import data_catalog
    from gittrain.commands.data_show import show as run

    data_catalog.show(run(repo_root()[0], dataset), fmt)


@data.command(context_settings=CONTEXT)
@click.argument("dataset", metavar="NAME[@REV]|SHA256")
@click.option("--all", "all_refs", is_flag=True, help="Search every ref, not only HEAD.")
@format_option()
def lineage(dataset: str, all_refs: bool, fmt: str) -> None:
    """Every job in history (deleted ones too) that used this dataset version."""
    from gittrain.commands.data_lineage import lineage as run

    render.lineage(run(repo_root()[0], dataset, all_refs=all_refs), fmt)


@data.command(context_settings=CONTEXT)
@click.argument("a")
@click.argument("b")
@format_option()
def compare(a: str, b: str, fmt: str) -> None:
    """Compare two dataset versions: each is NAME, NAME@REV, a sha256 or a path."""
    from gittrain.commands.data_compare import compare as run

    render.compare(run(repo_root()[0], a, b), fmt)


@click.command("merge-lock", context_settings=CONTEXT, hidden=True)  # run by git
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("ours", type=click.Path(dir_okay=False))
@click.argument("theirs", type=click.Path(dir_okay=False))
def merge_lock(base: str, ours: str, theirs: str) -> None:
    """Git merge driver for gittrain.lock: `git train merge-lock %O %A %B`.

    Unions datasets by name; exits 1 when both sides changed one dataset
    differently (the conflict is written into OURS with markers).
    """
    from pathlib import Path

    from gittrain.commands.merge_lock import merge_lock as run

    result = run(Path(base), Path(ours), Path(theirs))
    if result.conflicts:
        click.echo(
            f"error: gittrain.lock: conflicting changes to {', '.join(result.conflicts)}", err=True
        )
        click.get_current_context().exit(1)
