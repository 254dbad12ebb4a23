"""The few job-file fields dataset commands need: dataset references, status and times."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.core.confine import escape
from gittrain.document import Document, format_path
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.parsecache import ParseCache

JOB_SUFFIXES = (".yaml", ".yml")


# A NamedTuple, not a dataclass: `data status` imports this module (see gittrain/document.py).
class JobRefs(NamedTuple):
    """A job's ``datasets`` (role -> lock name or path) and its ``result`` summary."""

    name: str
    source: str
    datasets: dict[str, str]
    status: str | None
    started_at: str | None
    finished_at: str | None


def is_job_path(path: str, jobs_dir: str) -> bool:
    """``jobs/NAME.yaml``: a direct child of the jobs directory."""
    prefix = jobs_dir.rstrip("/") + "/"
    return (
        path.startswith(prefix) and "/" not in path[len(prefix) :] and path.endswith(JOB_SUFFIXES)
    )


def job_name(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def from_doc(doc: Document, path: str) -> tuple[JobRefs, list[str]]:
    """Narrow a parsed job; returns the refs and one message per unusable reference."""
    data = doc.data
    assert isinstance(data, dict)
    problems: list[str] = []
    refs: dict[str, str] = {}
    datasets = data.get("datasets", {})
    if isinstance(datasets, dict):
        for role, ref in datasets.items():
            if isinstance(ref, str) and ref.strip():
                refs[role] = ref.strip()
            else:
                where = ("datasets", role)
                problems.append(
                    f"{doc.where(where)}: {format_path(where)}: expected a dataset name or path"
                )
    elif datasets is not None:
        problems.append(f"{doc.where(('datasets',))}: datasets: expected a mapping")
    result = data.get("result")
    result = result if isinstance(result, dict) else {}

    def text(key: str) -> str | None:
        value = result.get(key)
        return value if isinstance(value, str) else None

    refs_record = JobRefs(
        job_name(path), path, refs, text("status"), text("started_at"), text("finished_at")
    )
    return refs_record, problems


def parse(raw: bytes, path: str) -> tuple[JobRefs, list[str]]:
    """Strictly parse one job file's bytes; raises ``GittrainError`` when it does not parse."""
    from gittrain.adapters import yamlio  # PyYAML loads only when a job is parsed

    return from_doc(yamlio.load_bytes(raw, path), path)


def _parse_cached(raw: bytes, path: str, cache: ParseCache) -> tuple[JobRefs, list[str]]:
    """:func:`parse`, through ``cache``: only jobs without a problem are stored, so a
    cached one narrows to the same refs and no problem."""
    name = f"job:{path}"
    data = cache.get(name, raw)
    if data is not None:
        try:
            found = from_doc(Document(path, data), path)
        except Exception:  # a hostile entry that narrows badly: parse the file itself
            pass
        else:
            if not found[1]:
                return found
    from gittrain.adapters import yamlio

    doc = yamlio.load_bytes(raw, path)
    found = from_doc(doc, path)
    if not found[1]:
        cache.put(name, raw, doc.data)
    return found


def scan_worktree(
    root: Path, jobs_dir: str, cache: ParseCache | None = None
) -> tuple[list[JobRefs], list[str]]:
    """Every job in the work tree; files that do not parse are reported, not fatal.
    With ``cache``, unchanged jobs are not parsed again."""
    jobs: list[JobRefs] = []
    problems: list[str] = []
    directory = root / jobs_dir
    if not directory.is_dir():
        return jobs, problems
    for file in sorted(directory.iterdir()):
        if not file.name.endswith(JOB_SUFFIXES) or not file.is_file():
            continue
        rel = f"{jobs_dir}/{file.name}"
        outside = escape(root, file)
        if outside is not None:
            problems.append(f"{rel}: {outside}")
            continue
        try:
            raw = file.read_bytes()
            job, issues = parse(raw, rel) if cache is None else _parse_cached(raw, rel, cache)
        except GittrainError as exc:
            problems.append(exc.message)
            continue
        except OSError as exc:
            problems.append(f"{rel}: cannot read: {exc.strerror}")
            continue
        jobs.append(job)
        problems.extend(issues)
    return jobs, problems
