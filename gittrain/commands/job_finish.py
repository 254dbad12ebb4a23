"""`git train job finish NAME`: record a result by editing the job file in place."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gittrain.adapters import gitrepo
from gittrain.adapters.scalars import resolve_plain
from gittrain.commands.jobfiles import read_job
from gittrain.commands.workspace import Workspace
from gittrain.core import yamledit
from gittrain.core.atomic import command_lock
from gittrain.core.edits import Assignment
from gittrain.core.jobs import TERMINAL
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import atomic_write

_METRIC = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}\Z")


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
    if not _METRIC.match(key):
        raise usage_error(f"{shown}: metric names are letters, digits, '_', '.', '/' and '-'")
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
    now: float | None = None,
) -> Finished:
    """Set status, metrics, notes and ``finished_at``; comments and key order survive."""
    if status not in TERMINAL:
        raise usage_error(f"status {status!r}: expected one of {', '.join(sorted(TERMINAL))}")
    checked = {k: _number(k, v, f"metric {k!r}") for k, v in (metrics or {}).items()}
    if name.endswith((".yaml", ".yml")):
        name = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    root = ws.require_root()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    edits = [Assignment(("result", "status"), status)]
    edits += [Assignment(("result", "metrics", k), v) for k, v in checked.items()]
    edits.append(Assignment(("result", "finished_at"), stamp))
    if notes is not None:
        edits.append(Assignment(("result", "notes"), notes))
    # Concurrent finishes of one job (parallel evals) each add their metrics: the
    # read-modify-write happens under one exclusive lock, as the lockfile's does.
    with command_lock(gitrepo.git_dir(root) / "gittrain" / "jobs.lock"):
        source = read_job(ws, name)
        try:
            text = source.raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GittrainError(f"{source.rel}: not valid UTF-8") from None
        new_text = yamledit.edit(text, source.rel, edits)
        data = new_text.encode("utf-8")
        atomic_write(root / source.rel, data, shown=source.rel, root=root, overwrite=True)
    return Finished(source.rel, status, checked, stamp, new_text)
