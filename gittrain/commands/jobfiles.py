"""Finding a job file by name, in the work tree or at a revision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.commands.workspace import Workspace
from gittrain.core.jobrefs import JOB_SUFFIXES
from gittrain.core.revspec import split_at
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import confine

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


@dataclass(frozen=True, slots=True)
class JobSource:
    """A job's bytes and where they came from; ``commit`` is None for the work tree."""

    name: str
    rel: str
    raw: bytes
    commit: str | None

    @property
    def shown(self) -> str:
        return f"{self.commit[:7]}:{self.rel}" if self.commit else self.rel


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise usage_error(f"job name {name!r}: use letters, digits, '.', '_' and '-'")
    return name


def read_job(ws: Workspace, spec: str) -> JobSource:
    """``NAME`` (the work tree) or ``NAME@REV`` (that commit); a usage error when unknown."""
    root = ws.require_root()
    name, rev = split_at(spec)
    check_name(name)
    jobs_dir = ws.settings.jobs_dir
    if rev is not None:
        commit = gitrepo.resolve_commit(root, rev)
        with gitrepo.CatFile(root) as cat:
            for suffix in JOB_SUFFIXES:
                rel = f"{jobs_dir}/{name}{suffix}"
                raw = cat.read(f"{commit}:{rel}")
                if raw is not None:
                    return JobSource(name, rel, raw, commit)
        raise GittrainError(f"no job {name!r} at {rev} ({jobs_dir}/{name}.yaml)")
    for suffix in JOB_SUFFIXES:
        rel = f"{jobs_dir}/{name}{suffix}"
        path = root / rel
        if path.is_file():
            return JobSource(name, rel, _read(confine(root, path, rel), rel), None)
    raise GittrainError(f"no job {name!r} ({jobs_dir}/{name}.yaml does not exist)")


def _read(path: Path, rel: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise usage_error(f"{rel}: cannot read: {exc.strerror}") from None
