"""Mining run records from first-parent history: one `git log`, one `cat-file`, a blob cache.

A run record is a job at the commit where its status became terminal
(completed, failed or cancelled), or where a terminal result was recorded
again with a new ``finished_at``.  Deleted jobs keep their records; renames
are followed; merges count as the change they made to their first parent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittrain.adapters import gitrepo, yamlio
from gittrain.core import lockstore
from gittrain.core.historycache import BlobCache
from gittrain.core.jobrefs import is_job_path, job_name
from gittrain.core.jobs import STATUSES, TERMINAL
from gittrain.core.settings import Settings
from gittrain.document import Document, format_path
from gittrain.errors import GittrainError, usage_error

_JOB = "job"
_LOCK = "lock"


@dataclass(frozen=True, slots=True)
class Version:
    """What mining needs from one version of a job file."""

    recipe: str | None
    recipe_version: str | None
    model: str | None
    model_size: str | None
    num_gpus: int | None
    status: str | None
    finished_at: str | None
    metrics: Mapping[str, float]
    config: Mapping[str, Any]
    datasets: Mapping[str, str]

    @property
    def algorithm(self) -> str | None:
        value = self.config.get("algorithm")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """A job's dataset reference resolved against the lockfile of the run's commit."""

    role: str
    ref: str
    name: str | None  # the lock name, when the lockfile had it
    sha256: str | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    job: str
    path: str
    commit: str
    author: str
    timestamp: int
    version: Version
    datasets: tuple[DatasetVersion, ...]
    at_boundary: bool  # first seen at a shallow clone's cut: it may be older

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.timestamp))

    @property
    def cite(self) -> str:
        """``job@1a2b3c4``: how every number is traced back to its commit."""
        return f"{self.job}@{self.commit[:7]}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A job version mining could not use; reported, never fatal."""

    path: str
    commit: str
    message: str

    def render(self) -> str:
        return f"{self.commit[:7]}:{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class History:
    head: str | None  # None: the repository has no commits yet
    runs: tuple[RunRecord, ...]  # oldest first
    skipped: tuple[Skipped, ...]
    shallow: tuple[str, ...]  # commits where a shallow clone's history is cut
    versions: int  # job file versions seen


def narrow(doc: Document) -> Version:
    """A job document as a :class:`Version`; ``GittrainError`` (with a mark) when unusable."""
    data = doc.data
    assert isinstance(data, dict)

    def bad(path: tuple[str, ...], message: str) -> GittrainError:
        return GittrainError(
            f"{format_path(path)}: {message}", source=doc.source, mark=doc.mark_of(path)
        )

    result = data.get("result", {})
    if not isinstance(result, dict):
        raise bad(("result",), "expected a mapping")
    status = result.get("status")
    if status is not None and status not in STATUSES:
        raise bad(("result", "status"), f"expected one of {', '.join(STATUSES)}")
    metrics = result.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise bad(("result", "metrics"), "expected a mapping of name to number")
    for key, value in metrics.items():
        if not _is_number(value):
            raise bad(("result", "metrics", key), f"expected a number, not {value!r}")
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise bad(("config",), "expected a mapping")
    datasets = data.get("datasets") or {}
    recipe = data.get("recipe")
    recipe_id = recipe.get("id") if isinstance(recipe, dict) else recipe
    version = recipe.get("version") if isinstance(recipe, dict) else None
    gpus = data.get("num_gpus")
    return Version(
        recipe=recipe_id.partition("@")[0] if isinstance(recipe_id, str) else None,
        recipe_version=version if isinstance(version, str) else None,
        model=_text(data.get("model")),
        model_size=_text(data.get("model_size")),
        num_gpus=gpus if _is_number(gpus) and isinstance(gpus, int) else None,
        status=status,
        finished_at=_text(result.get("finished_at")),
        metrics={k: float(v) for k, v in metrics.items()},
        config=config,
        datasets={k: v for k, v in datasets.items() if isinstance(v, str)}
        if isinstance(datasets, dict)
        else {},
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _version_entry(v: Version) -> dict[str, Any]:
    return {
        "k": _JOB,
        "recipe": v.recipe,
        "rv": v.recipe_version,
        "model": v.model,
        "size": v.model_size,
        "gpus": v.num_gpus,
        "status": v.status,
        "fin": v.finished_at,
        "metrics": dict(v.metrics),
        "config": dict(v.config),
        "datasets": dict(v.datasets),
    }


def _version_from(entry: Mapping[str, Any]) -> Version:
    return Version(
        entry["recipe"],
        entry["rv"],
        entry["model"],
        entry["size"],
        entry["gpus"],
        entry["status"],
        entry["fin"],
        entry["metrics"],
        entry["config"],
        entry["datasets"],
    )


def _parse_job(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        return {"k": "error", "message": "the blob is missing from the repository"}
    try:
        return _version_entry(narrow(yamlio.load_bytes(raw, "")))
    except GittrainError as exc:
        where = f"{exc.mark.line}:{exc.mark.column}: " if exc.mark else ""
        return {"k": "error", "message": where + exc.detail}


def _parse_lock(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        return {"k": _LOCK, "names": {}, "paths": {}}
    try:
        lock = lockstore.parse_bytes(raw, "lockfile")
    except GittrainError:
        return {"k": _LOCK, "names": {}, "paths": {}}  # an unreadable lockfile resolves nothing
    names = {name: entry.sha256 for name, entry in lock.datasets.items()}
    paths = {entry.path: name for name, entry in lock.datasets.items()}
    return {"k": _LOCK, "names": names, "paths": paths}


_JOB_KEYS = frozenset(_version_entry(narrow(Document("", {}))))
_LOCK_KEYS = frozenset({"k", "names", "paths"})
_ERROR_KEYS = frozenset({"k", "message"})


def _usable(entry: object, keys: frozenset[str]) -> bool:
    """A cache entry of the expected shape (anything else is parsed again)."""
    if not isinstance(entry, dict):
        return False
    if entry.get("k") == "error":
        return entry.keys() == _ERROR_KEYS and isinstance(entry["message"], str)
    return entry.keys() == keys and all(
        isinstance(entry[k], dict)
        for k in ("metrics", "config", "datasets", "names", "paths")
        if k in keys
    )


class _Entries:
    """Cached entries by blob: parsed on first sight, through one ``cat-file --batch``."""

    def __init__(self, root: Path, cache: BlobCache) -> None:
        self.root = root
        self.cache = cache

    def fill(self, jobs: Iterable[str], locks: Iterable[str]) -> None:
        wanted = {b: _parse_job for b in jobs if not _usable(self.cache.get(b), _JOB_KEYS)}
        wanted.update({b: _parse_lock for b in locks if not _usable(self.cache.get(b), _LOCK_KEYS)})
        if not wanted:
            return
        blobs = gitrepo.read_blobs(self.root, list(wanted))
        for blob, parse in wanted.items():
            self.cache.put(blob, parse(blobs.get(blob)))

    def get(self, blob: str) -> Mapping[str, Any]:
        entry: Mapping[str, Any] = self.cache.get(blob)
        return entry


def mine(root: Path, conf: Settings, rev: str = "HEAD") -> History:
    """Every run record on ``rev``'s first-parent history."""
    head = gitrepo.rev_parse(root, rev)
    if head is None:
        if rev == "HEAD":  # inside a repository, an unborn HEAD: no commits yet
            return History(None, (), (), (), 0)
        raise usage_error(f"unknown revision {rev!r}")
    jobs_dir = conf.jobs_dir.rstrip("/")
    commits = list(
        gitrepo.iter_log(
            root,
            [head],
            [jobs_dir, conf.lockfile],
            raw=True,
            renames=True,
            extra=["--first-parent"],
        )
    )
    commits.reverse()
    cache = BlobCache.load(gitrepo.git_dir(root))
    entries = _Entries(root, cache)
    job_blobs, lock_blobs = [], []
    for commit in commits:
        for change in commit.changes:
            new = change.new_path
            if new is None or change.status == "D":
                continue
            if new == conf.lockfile:
                lock_blobs.append(change.new_sha)
            elif is_job_path(new, jobs_dir):
                job_blobs.append(change.new_sha)
    entries.fill(job_blobs, lock_blobs)
    shallow = gitrepo.shallow_boundary(root)
    history = _walk(commits, entries, conf, jobs_dir, frozenset(shallow))
    cache.save()
    return History(head, history[0], history[1], shallow, len(job_blobs))


def _walk(
    commits: list[gitrepo.LogCommit],
    entries: _Entries,
    conf: Settings,
    jobs_dir: str,
    shallow: frozenset[str],
) -> tuple[tuple[RunRecord, ...], tuple[Skipped, ...]]:
    state: dict[str, tuple[str, str | None] | None] = {}  # path -> (status, finished_at)
    lock: Mapping[str, Any] = {"names": {}, "paths": {}}
    runs: list[RunRecord] = []
    skipped: list[Skipped] = []
    for commit in commits:
        for change in commit.changes:
            if conf.lockfile in (change.new_path, change.old_path):
                deleted = change.status == "D" or change.new_path != conf.lockfile
                lock = {"names": {}, "paths": {}} if deleted else entries.get(change.new_sha)
        for change in commit.changes:
            old, new = change.old_path, change.new_path
            if conf.lockfile in (old, new):
                continue
            if change.status == "D" or new is None:
                state.pop(old or "", None)
                continue
            # A rename carries the job's state to its new path.
            before = state.pop(old, None) if old is not None and old != new else state.get(new)
            if not is_job_path(new, jobs_dir):
                continue
            entry = entries.get(change.new_sha)
            if entry["k"] != _JOB:
                skipped.append(Skipped(new, commit.sha, entry["message"]))
                state[new] = None
                continue
            version = _version_from(entry)
            now = (version.status, version.finished_at) if version.status else None
            state[new] = now
            if now is None or now[0] not in TERMINAL or now == before:
                continue
            runs.append(
                RunRecord(
                    job=job_name(new),
                    path=new,
                    commit=commit.sha,
                    author=commit.author,
                    timestamp=commit.timestamp,
                    version=version,
                    datasets=_resolve(version.datasets, lock),
                    at_boundary=commit.sha in shallow,
                )
            )
    return tuple(runs), tuple(skipped)


def _resolve(datasets: Mapping[str, str], lock: Mapping[str, Any]) -> tuple[DatasetVersion, ...]:
    out = []
    names: Mapping[str, str] = lock["names"]
    paths: Mapping[str, str] = lock["paths"]
    for role, ref in datasets.items():
        name = ref if ref in names else paths.get(ref.strip("/").removeprefix("./"))
        out.append(DatasetVersion(role, ref, name, names.get(name) if name else None))
    return tuple(out)
