"""`git train job finish NAME`: record a result by editing the job file in place."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gittrain.adapters import gitrepo
from gittrain.adapters.scalars import resolve_plain
from gittrain.commands.jobfiles import read_job
from gittrain.commands.workspace import Workspace
from gittrain.core import yamledit
from gittrain.core.atomic import command_lock
from gittrain.core.edits import Assignment
from gittrain.core.jobs import TERMINAL
from gittrain.core.metricfiles import METRIC_NAME, Metrics, Selection, read_metrics
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import atomic_write


@dataclass(frozen=True, slots=True)
class Finished:
    rel: str
    status: str
    metrics: Mapping[str, float]
    finished_at: str
    text: str


def parse_metrics(items: Sequence[str]) -> dict[str, float]:
    """``acc=0.71`` pairs; a value that is not a number is a usage error."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise usage_error(f"--metric {item!r}: expected NAME=NUMBER")
        try:
            value = resolve_plain(raw.strip()) if raw.strip() else None
        except ValueError as exc:
            raise usage_error(f"--metric {item!r}: {exc}") from None
        out[key] = _number(key, value, f"--metric {item!r}")
    return out


def _number(key: str, value: object, shown: str) -> float:
    if not METRIC_NAME.match(key):
        raise usage_error(f"{shown}: metric names are letters, digits, '_', '.', '/', '@' and '-'")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise usage_error(f"{shown}: the value must be a number, not {value!r}")
    if not math.isfinite(value):
        raise usage_error(f"{shown}: the value must be a finite number")
    return value


def finish(
    ws: Workspace,
    name: str,
    *,
    status: str,
    metrics: Mapping[str, object] | None = None,
    notes: str | None = None,
    fields: Mapping[str, object] | None = None,
    now: float | None = None,
) -> Finished:
    """Set status, metrics, notes, other ``result`` fields and ``finished_at``.

    Comments and key order survive.
    """
    if status not in TERMINAL:
        raise usage_error(f"status {status!r}: expected one of {', '.join(sorted(TERMINAL))}")
    checked = {k: _number(k, v, f"metric {k!r}") for k, v in (metrics or {}).items()}
    stamp = timestamp(now)
    edits = [Assignment(("result", "status"), status)]
    edits += [Assignment(("result", "metrics", k), v) for k, v in checked.items()]
    edits += [Assignment(("result", k), v) for k, v in (fields or {}).items()]
    edits.append(Assignment(("result", "finished_at"), stamp))
    if notes is not None:
        edits.append(Assignment(("result", "notes"), notes))
    rel, text = edit_job(ws, name, lambda text, rel: yamledit.edit(text, rel, edits))
    return Finished(rel, status, checked, stamp, text)


def timestamp(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def edit_job(ws: Workspace, name: str, change: Callable[[str, str], str]) -> tuple[str, str]:
    """Rewrite jobs/NAME.yaml as ``change(text, rel)`` says; returns its path and new text.

    ``change`` may raise to leave the file as it was.
    """
    if name.endswith((".yaml", ".yml")):
        name = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    root = ws.require_root()
    # Concurrent finishes of one job (parallel evals) each add their metrics: the
    # read-modify-write happens under one exclusive lock, as the lockfile's does.
    with command_lock(gitrepo.git_dir(root) / "gittrain" / "jobs.lock"):
        source = read_job(ws, name)
        try:
            text = source.raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GittrainError(f"{source.rel}: not valid UTF-8") from None
        new_text = change(text, source.rel)
        data = new_text.encode("utf-8")
        atomic_write(root / source.rel, data, shown=source.rel, root=root, overwrite=True)
    return source.rel, new_text


def read_results(ws: Workspace, path: str, selection: Selection) -> Metrics:
    """The metrics in ``path`` (as typed, relative to where the user stands; may be outside
    the repository: output directories often are)."""
    if "\x00" in path:
        raise usage_error(f"{path!r}: path contains a NUL byte")
    return read_metrics(ws.cwd / path, path, selection)
