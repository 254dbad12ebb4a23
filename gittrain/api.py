"""The Python API for training scripts: lock or verify a dataset, record a job's result."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gittrain.adapters import gitdir, gitrepo
from gittrain.commands.data_add import add
from gittrain.commands.data_status import DatasetStatus, State, check
from gittrain.commands.job_finish import Finished, finish
from gittrain.commands.workspace import open_workspace
from gittrain.core import settings
from gittrain.core.data import lockstore
from gittrain.core.data.hashing import Progress
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.statcache import StatCache
from gittrain.errors import GittrainError, usage_error


def snapshot_dataset(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    description: str | None = None,
    tags: tuple[str, ...] | list[str] | None = None,
    progress: Progress | None = None,
) -> DatasetEntry:
    """Hash and count ``path`` and record it in the lockfile (like `git train data add`).

    A relative ``path`` is relative to the current directory, as on the command line
    (or to ``root`` when given, like ``git -C ROOT``); the lockfile records it
    relative to the repository root.
    """
    _check_path("path", path)
    _check_optional_str("name", name)
    _check_optional_str("description", description)
    if tags is not None and (
        not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags)
    ):
        raise usage_error(f"tags: expected a list of strings, not {tags!r}")
    top, rel = _locate(path, root)
    result = add(
        top,
        rel,
        name=name,
        description=description,
        tags=tuple(tags) if tags is not None else None,
        progress=progress,
    )
    return result.entry


def verify_dataset(
    name_or_path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    strict: bool = True,
) -> DatasetStatus:
    """Check a locked dataset (by lock name, or path as :func:`snapshot_dataset` reads one).

    With ``strict`` (the default) anything but ``ok`` raises ``GittrainError``,
    so a training script can refuse to start on data that drifted.
    """
    _check_path("name_or_path", name_or_path)
    top, ref = _locate(name_or_path, root)
    conf = settings.load(top)
    lock = lockstore.read(top, conf.lockfile)
    entry = lock.get(str(name_or_path)) or lock.by_path(ref)
    if entry is None:
        raise GittrainError(f"{conf.lockfile}: no dataset named or at {str(name_or_path)!r}")
    cache = StatCache.load(gitrepo.git_dir(top))
    result = check(top, entry, cache, None)
    cache.save()
    if strict and result.state is not State.OK:
        detail = "; ".join(f"{d.field} {d.locked} -> {d.current}" for d in result.differences)
        raise GittrainError(
            f"{entry.path}: dataset {entry.name!r} is {result.state.value}"
            + (f" ({detail})" if detail else "")
        )
    return result


def _check_path(what: str, value: object) -> None:
    if not isinstance(value, (str, os.PathLike)) or "\x00" in os.fspath(value):
        raise usage_error(f"{what}: expected a path (str or os.PathLike), not {value!r}")


def _check_optional_str(what: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise usage_error(f"{what}: expected a string or None, not {value!r}")


def _locate(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """The repository and ``path`` relative to its root.

    A relative ``path`` is read from the current directory, as `git train data add`
    reads it, or from ``root`` when one is given (like ``git -C ROOT``).
    """
    if root is not None:
        _check_path("root", root)
    base = (Path(root) if root is not None else Path.cwd()).resolve()
    top = gitdir.toplevel(base)
    if top is None:
        raise usage_error(f"{base}: not inside a git repository")
    given = Path(path)
    absolute = Path(os.path.normpath(given if given.is_absolute() else base / given))
    for candidate in (absolute, Path(os.path.realpath(absolute.parent)) / absolute.name):
        try:
            return top, candidate.relative_to(top).as_posix()
        except ValueError:
            continue
    raise usage_error(f"{os.fspath(path)}: outside the repository {top}")


def record_result(
    job: str,
    *,
    status: str,
    metrics: Mapping[str, float] | None = None,
    notes: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> Finished:
    """Record a training run's outcome in ``jobs/<job>.yaml`` (like `git train job finish`).

    ``status`` is completed, failed or cancelled; the file is edited in place so
    its comments and key order survive.  ``root`` defaults to the repository
    containing the current directory.
    """
    if not isinstance(job, str):
        raise usage_error(f"job: expected a job name, not {job!r}")
    if not isinstance(status, str):
        raise usage_error(f"status: expected a string, not {status!r}")
    _check_optional_str("notes", notes)
    if metrics is not None and (
        not isinstance(metrics, Mapping) or not all(isinstance(k, str) for k in metrics)
    ):
        raise usage_error(f"metrics: expected a mapping of name to number, not {metrics!r}")
    if root is not None:
        _check_path("root", root)
    start = Path(root) if root is not None else Path.cwd()
    return finish(open_workspace(start), job, status=status, metrics=metrics, notes=notes)
