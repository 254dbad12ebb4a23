"""`git train job run NAME -- CMD ...`: run a training command and record how it went.

Three steps the CLI calls in order, inside :func:`interruptions`: :func:`prepare`
(write the config, mark the job running), :func:`launch` (run the command with
its output streaming), :func:`record` (status, metrics, wall time, commit).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from gittrain.adapters import gitrepo, yamlio
from gittrain.commands.job_finish import edit_job, finish, read_results, timestamp
from gittrain.commands.jobfiles import JobSource, check_name, read_job
from gittrain.commands.workspace import Workspace
from gittrain.core import yamledit
from gittrain.core.atomic import atomic_write
from gittrain.core.edits import Assignment
from gittrain.core.metricfiles import Selection
from gittrain.errors import GittrainError, usage_error

# Fields a run writes under `result`; a new run clears what an earlier one left.
_RUN_FIELDS = ("metrics", "finished_at", "wall_time_s", "exit_code", "commit", "dirty")


@dataclass
class Stop:
    """What :func:`interruptions` saw: the first signal, and the child to pass it to."""

    signum: int | None = None
    child: subprocess.Popen[bytes] | None = None
    forward: bool = True

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        child = self.child
        # returncode, not poll(): the handler may interrupt wait() inside Popen's own lock.
        if child is not None and self.forward and child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signum)


@contextlib.contextmanager
def interruptions() -> Iterator[Stop]:
    """Catch SIGINT and SIGTERM for the block, so the job is always recorded.

    A signal is noted (the run becomes ``cancelled``) and passed to the running
    command, unless a terminal Ctrl-C already reached it: the command is in our
    foreground process group, and a second SIGINT would cut its clean-up short.
    """
    stop = Stop()
    previous = {s: signal.signal(s, stop.handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@dataclass(frozen=True, slots=True)
class Prepared:
    name: str
    rel: str
    config_path: Path
    commit: str | None
    dirty: bool
    started_at: str


@dataclass(frozen=True, slots=True)
class Launched:
    """``code`` is None when the command never started (interrupted first)."""

    code: int | None
    signum: int | None
    wall_time_s: float


@dataclass(frozen=True, slots=True)
class Outcome:
    rel: str
    status: str
    exit_code: int  # what `git train job run` exits with
    metrics: Mapping[str, float]
    files: tuple[str, ...]
    committed: str | None
    problems: tuple[str, ...] = field(default=())  # errors: the exit code is at least 1
    warnings: tuple[str, ...] = field(default=())


def config_for_run(ws: Workspace, job: JobSource, framework: str | None = None) -> tuple[Path, str]:
    """Write the config the command reads, in ``.git/gittrain/run/``; returns its path and text.

    With ``framework``, the job exported in that trainer's keys (`job export`);
    otherwise the job's own ``config`` mapping.
    """
    root = ws.require_root()
    if framework is not None:
        from gittrain.commands.job_export import export_source

        body = export_source(ws, job, framework, file=True).text
        name = f"{job.name}.{framework}.yaml"
    else:
        doc = yamlio.load_bytes(job.raw, job.rel)
        assert isinstance(doc.data, dict)
        config = doc.data.get("config")
        if not isinstance(config, dict):
            raise GittrainError(f"{doc.where(('config',))}: config: expected a mapping")
        body = f"# job {job.name} ({job.rel}), written by `git train job run`\n" + yamlio.dump(
            config
        )
        name = f"{job.name}.yaml"
    path = gitrepo.git_dir(root) / "gittrain" / "run" / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, body.encode("utf-8"))
    except OSError as exc:
        raise usage_error(f"{path}: cannot write: {exc.strerror}") from None
    return path, body


def prepare(
    ws: Workspace,
    name: str,
    command: Sequence[str],
    *,
    force: bool,
    framework: str | None = None,
) -> Prepared:
    """Write the config and mark the job ``running``; nothing is written on error."""
    root = ws.require_root()
    check_name(name)
    if not command:
        raise usage_error("no command to run: put it after `--` (job run NAME -- CMD ...)")
    _check_command(ws, command[0])
    job = read_job(ws, name)
    _refuse_running(job, force=force)  # before the config file of a running job is replaced
    commit, changed = gitrepo.head_and_changes(root)
    dirty = commit is not None and any(path != job.rel for path in changed)
    started_at = timestamp()
    config_path, _ = config_for_run(ws, job, framework)

    def mark(text: str, rel: str) -> str:
        result = _refuse_running(JobSource(name, rel, text.encode("utf-8"), None), force=force)
        if isinstance(result, dict):
            for key in _RUN_FIELDS:
                if key in result:
                    text = yamledit.remove(text, rel, ("result", key))
        edits = [
            Assignment(("result", "status"), "running"),
            Assignment(("result", "started_at"), started_at),
        ]
        if commit:
            edits += [Assignment(("result", "commit"), commit)]
            edits += [Assignment(("result", "dirty"), dirty)]
        return yamledit.edit(text, rel, edits)

    rel, _ = edit_job(ws, name, mark)
    return Prepared(name, rel, config_path, commit, dirty, started_at)


def _refuse_running(job: JobSource, *, force: bool) -> object:
    """The job's ``result``; an error when it says ``running`` and ``force`` is not given."""
    doc = yamlio.load_bytes(job.raw, job.rel)
    assert isinstance(doc.data, dict)
    result = doc.data.get("result")
    if isinstance(result, dict) and result.get("status") == "running" and not force:
        since = result.get("started_at") or "an unknown time"
        raise GittrainError(
            f"{doc.where(('result', 'status'))}: job {job.name!r} is already running "
            f"(since {since}); use --force if it is not"
        )
    return result


def _check_command(ws: Workspace, program: str) -> None:
    if "\x00" in program:
        raise usage_error(f"{program!r}: contains a NUL byte")
    found = shutil.which(program) if "/" not in program else None
    path = ws.cwd / program if "/" in program else None
    if found is None and (path is None or not os.access(path, os.X_OK) or path.is_dir()):
        raise usage_error(f"{program}: command not found (nothing was run or changed)")


def launch(ws: Workspace, prepared: Prepared, command: Sequence[str], stop: Stop) -> Launched:
    """Run ``command`` with GITTRAIN_JOB and GITTRAIN_CONFIG set; its output streams."""
    if stop.signum is not None:  # interrupted while preparing: do not start it
        return Launched(None, stop.signum, 0.0)
    env = dict(os.environ)
    env["GITTRAIN_JOB"] = prepared.name
    env["GITTRAIN_CONFIG"] = str(prepared.config_path)
    stop.forward = not _terminal_reaches_child()
    start = time.monotonic()
    try:
        stop.child = subprocess.Popen(list(command), cwd=ws.cwd, env=env)
    except OSError as exc:
        # Found on PATH a moment ago, yet not runnable (no exec permission, a bad #! line).
        return Launched(126 if isinstance(exc, PermissionError) else 127, None, 0.0)
    child = stop.child
    if stop.signum is not None and stop.forward:  # it came while the child was starting
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, stop.signum)
    code = child.wait()
    stop.child = None
    wall = time.monotonic() - start
    return Launched(128 - code if code < 0 else code, stop.signum, round(wall, 3))


def _terminal_reaches_child() -> bool:
    """Whether a Ctrl-C typed now goes to our process group (the command's too)."""
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
    return False


def record(
    ws: Workspace,
    prepared: Prepared,
    launched: Launched,
    *,
    results: str | None,
    selection: Selection,
    commit: bool,
) -> Outcome:
    """Record the run's outcome in the job file (and commit it alone with ``commit``)."""
    problems: list[str] = []
    if launched.signum is not None:
        status, exit_code = "cancelled", 128 + launched.signum
    elif launched.code == 0:
        status, exit_code = "completed", 0
    else:
        status, exit_code = "failed", launched.code or 1
    metrics: Mapping[str, float] = {}
    files: tuple[str, ...] = ()
    warnings: list[str] = []
    if results is not None:
        try:
            read = read_results(ws, results, selection)
            metrics, files = read.values, read.files
        except GittrainError as exc:
            # A run that failed or was stopped may have written nothing, or half a file.
            if status == "completed":
                problems.append(f"--results: {exc.message}")
            elif (ws.cwd / results).exists():
                warnings.append(f"--results: {exc.message}")
    fields: dict[str, object] = {"wall_time_s": launched.wall_time_s}
    if launched.code is not None:
        fields["exit_code"] = launched.code
    done = finish(ws, prepared.name, status=status, metrics=metrics, fields=fields)
    committed = None
    if commit:
        try:
            committed = gitrepo.commit_only(
                ws.require_root(), done.rel, commit_message(prepared.name, status, metrics)
            )
        except GittrainError as exc:
            problems.append(f"{done.rel} is recorded but not committed: git commit: {exc.message}")
    if problems and exit_code == 0:
        exit_code = 1
    return Outcome(
        done.rel, status, exit_code, metrics, files, committed, tuple(problems), tuple(warnings)
    )


def commit_message(name: str, status: str, metrics: Mapping[str, float], shown: int = 3) -> str:
    """``job NAME: completed (eval_accuracy=0.71, ...)``: a few results first, then a count."""
    results = sorted(
        (k for k in metrics if not _BOOKKEEPING.search(k)),
        key=lambda k: not k.startswith(("eval", "val", "test")),
    )
    parts = [f"{k}={metrics[k]:g}" for k in results[:shown]]
    if len(metrics) > len(parts):
        parts.append(f"+{len(metrics) - len(parts)} more")
    return f"job {name}: {status}" + (f" ({', '.join(parts)})" if parts else "")


# Keys the Trainer logs about the run itself rather than the model.
_BOOKKEEPING = re.compile(
    r"(^|/)(epoch|global_step|step|total_flos|learning_rate|lr|grad_norm)$|_runtime$|_per_second$"
)
