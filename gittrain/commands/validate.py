"""`git train validate [FILE...]`: schema and sanity checks of recipes, jobs and configs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import yamlio
from gittrain.commands.workspace import Workspace
from gittrain.core.problems import Problem, Severity
from gittrain.core.recipes import builtin_files, repo_files
from gittrain.core.validation import Checker, FileReport, is_config_path


@dataclass(frozen=True, slots=True)
class ValidationResult:
    reports: tuple[FileReport, ...]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.reports)

    @property
    def warnings(self) -> int:
        return sum(r.warnings for r in self.reports)


def checker(ws: Workspace) -> Checker:
    team = {item.id: item for item in repo_files(ws.root, ws.settings)}
    builtins = {f.id: f for f in builtin_files()}
    return Checker(ws.settings, ws.registry(), team, builtins)


def default_files(ws: Workspace) -> list[str]:
    """Every file validation covers when none is named: the configured directories."""
    base = ws.base
    found: set[str] = set()
    for directory in ws.settings.watched_dirs:
        top = base / directory
        if top.is_dir():
            for path in top.rglob("*"):
                rel = path.relative_to(base).as_posix()
                if path.is_file() and is_config_path(rel, ws.settings):
                    found.add(rel)
    for name in (ws.settings.lockfile, ".gittrain.yaml"):
        if (base / name).is_file():
            found.add(name)
    return sorted(found)


def validate(ws: Workspace, files: Sequence[str] = ()) -> ValidationResult:
    """Check ``files`` (repository-relative) or, when empty, everything configured."""
    targets = list(files) or default_files(ws)
    check = checker(ws)
    reports = []
    for rel in targets:
        raw = _read(ws.base / rel, rel)
        if isinstance(raw, Problem):
            reports.append(FileReport(rel, None, (raw,)))
        else:
            reports.append(check.check(rel, raw))
    return ValidationResult(tuple(reports))


def _read(path: Path, rel: str) -> bytes | Problem:
    try:
        size = path.stat().st_size
        if size > yamlio.MAX_BYTES and path.is_file():
            message = f"file is {size} bytes; the limit is {yamlio.MAX_BYTES}"
            return Problem(rel, None, (), Severity.ERROR, message, "yaml")
        return path.read_bytes()
    except FileNotFoundError:
        message = "no such file"
    except IsADirectoryError:
        message = "is a directory; name files, or give no arguments to check everything"
    except OSError as exc:
        message = f"cannot read: {exc.strerror}"
    return Problem(rel, None, (), Severity.ERROR, message, "io")
