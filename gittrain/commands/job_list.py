"""`git train job list` and `job show NAME[@REV]`: jobs in the work tree or at a revision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import yamlio
from gittrain.commands.jobfiles import JobSource, read_job
from gittrain.commands.workspace import Workspace
from gittrain.core import jobs
from gittrain.core.jobrefs import JOB_SUFFIXES
from gittrain.core.jobs import Job
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class JobRow:
    path: str
    job: Job
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class JobListing:
    jobs: tuple[JobRow, ...]
    problems: tuple[str, ...]  # files that do not parse, one line each


def list_jobs(ws: Workspace, *, status: str | None = None, recipe: str | None = None) -> JobListing:
    """The work tree's jobs, filtered by status and recipe id."""
    directory = ws.base / ws.settings.jobs_dir
    rows: list[JobRow] = []
    problems: list[str] = []
    files = sorted(directory.iterdir(), key=job_order) if directory.is_dir() else []
    for file in files:
        if not file.name.endswith(JOB_SUFFIXES) or not file.is_file():
            continue
        rel = f"{ws.settings.jobs_dir}/{file.name}"
        try:
            doc = yamlio.load_file(file, rel)
        except GittrainError as exc:
            problems.append(exc.message)
            continue
        job = jobs.from_doc(doc)
        if status is not None and job.status != status:
            continue
        if recipe is not None and (job.recipe is None or job.recipe.id != recipe):
            continue
        rows.append(JobRow(rel, job, _finished(doc.data)))
    return JobListing(tuple(rows), tuple(problems))


def job_order(file: Path) -> tuple[list[str | int], str]:
    """By job name, numbers by value: `a`, `a-seed2`, `a-seed10` (not by file name, where
    `a-seed2.yaml` sorts before `a.yaml`)."""
    stem = file.name.rsplit(".", 1)[0]
    split = re.split(r"([0-9]+)", stem)  # odd places hold the numbers
    parts: list[str | int] = [int(p) if i % 2 else p for i, p in enumerate(split)]
    return parts, file.name


def _finished(data: object) -> str | None:
    result = data.get("result") if isinstance(data, dict) else None
    value = result.get("finished_at") if isinstance(result, dict) else None
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class ShownJob:
    source: JobSource
    data: dict[str, object]
    text: str


def show_job(ws: Workspace, spec: str) -> ShownJob:
    """One job as stored (``NAME`` from the work tree, ``NAME@REV`` from a commit)."""
    source = read_job(ws, spec)
    doc = yamlio.load_bytes(source.raw, source.shown)
    assert isinstance(doc.data, dict)
    return ShownJob(source, doc.data, source.raw.decode("utf-8-sig"))
