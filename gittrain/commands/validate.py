"""`git train validate [FILE...]`: schema and sanity checks of recipes, jobs and configs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gittrain.adapters import gitrepo
from gittrain.commands.workspace import Workspace
from gittrain.core.problems import Problem, read_or_problem
from gittrain.core.recipes import builtin_files, repo_files
from gittrain.core.recipeversions import Pins
from gittrain.core.settings import is_config_path
from gittrain.core.validation import Checker, FileReport
from gittrain.fileio import confine


@dataclass(frozen=True, slots=True)
class ValidationResult:
    reports: tuple[FileReport, ...]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.reports)

    @property
    def warnings(self) -> int:
        return sum(r.warnings for r in self.reports)


def checker(ws: Workspace, *, strict: bool = False) -> Checker:
    team = {item.id: item for item in repo_files(ws.root, ws.settings)}
    builtins = {f.id: f for f in builtin_files()}
    pins = Pins(ws.root, ws.settings)
    return Checker(ws.settings, ws.registry(), team, builtins, strict, pins)


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


def _expand(ws: Workspace, names: Sequence[str]) -> list[str]:
    """Named files as they are; a named directory stands for its YAML and JSON files."""
    out: list[str] = []
    for rel in names:
        top = ws.base / rel
        if not top.is_dir():
            out.append(rel)
            continue
        confine(ws.base, top, rel)
        found = sorted(
            p.relative_to(ws.base).as_posix()
            for p in top.rglob("*")
            if p.suffix in (".yaml", ".yml", ".json") and p.is_file() and ".git" not in p.parts
        )
        out.extend(found)
    return list(dict.fromkeys(out))


def validate(ws: Workspace, files: Sequence[str] = (), *, strict: bool = False) -> ValidationResult:
    """Check ``files`` (repository-relative) or, when empty, everything configured.

    ``strict`` makes unknown keys errors.
    """
    targets = _expand(ws, files) if files else default_files(ws)
    check = checker(ws, strict=strict)
    reports = []
    for rel in targets:
        # A committed symlink must not make validate read (and echo) a file elsewhere.
        confine(ws.base, ws.base / rel, rel)
        raw = read_or_problem(ws.base / rel, rel)
        if isinstance(raw, Problem):
            reports.append(FileReport(rel, None, (raw,)))
        else:
            reports.append(check.check(rel, raw))
    return ValidationResult(tuple(reports))


def validate_staged(ws: Workspace, *, strict: bool = False) -> ValidationResult:
    """Check the staged content of every staged config file, as the next commit will hold it.

    Unstaged edits in the work tree are neither read nor touched.
    """
    root = ws.require_root()
    targets = [p for p in gitrepo.staged_paths(root) if is_config_path(p, ws.settings)]
    return validate_blobs(ws, gitrepo.read_staged(root, targets), strict=strict)


def validate_blobs(
    ws: Workspace, blobs: Mapping[str, bytes | None], *, strict: bool = False
) -> ValidationResult:
    """Check contents already read (path -> bytes; None for an entry that is not a blob)."""
    targets = list(blobs)
    if not targets:
        return ValidationResult(())
    check = checker(ws, strict=strict)
    reports = []
    for rel in targets:
        raw = blobs[rel]
        if raw is None:  # a submodule or symlink entry: no blob to check
            continue
        reports.append(check.check(rel, raw))
    return ValidationResult(tuple(reports))
