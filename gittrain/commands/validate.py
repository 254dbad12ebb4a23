"""`git train validate [FILE...]`: schema and sanity checks of recipes, jobs and configs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gittrain.adapters import gitrepo
from gittrain.commands.workspace import Workspace
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import Lockfile
from gittrain.core.problems import Problem, read_or_problem
from gittrain.core.recipes import RecipeLookup, Resolver, builtin_files_by_id, repo_files
from gittrain.core.recipeversions import Pins
from gittrain.core.settings import is_config_path
from gittrain.core.validation import Checker, FileReport
from gittrain.document import Document
from gittrain.errors import GittrainError
from gittrain.fileio import confine


# A NamedTuple, not a dataclass: the pre-commit hook imports this module (gittrain/document.py).
class ValidationResult(NamedTuple):
    reports: tuple[FileReport, ...]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.reports)

    @property
    def warnings(self) -> int:
        return sum(r.warnings for r in self.reports)


def checker(
    ws: Workspace,
    *,
    strict: bool = False,
    lock: Callable[[], Lockfile] | None = None,
    files: Callable[[str], bytes] | None = None,
    parsed: dict[str, tuple[bytes, Document]] | None = None,
) -> Checker:
    """``lock`` is the lockfile jobs are checked against, ``files`` reads the trainer
    configs jobs name in ``config_file`` (defaults: the work tree's); ``parsed`` collects
    the documents parsed (:attr:`Checker.parsed`)."""
    broken: list[Problem] = []
    team = {item.id: item for item in repo_files(ws.root, ws.settings, broken)}
    builtins = builtin_files_by_id()  # only the recipes the jobs name are read
    pins = Pins(ws.root, ws.settings)
    if lock is None:
        lock = worktree_lock(ws.base, ws.settings.lockfile)
    if files is None:
        files = worktree_files(ws.base)
    # The registry (ws.registry()) as a lookup over the same files: only the recipes the
    # checked jobs name are resolved.
    resolver = Resolver(team, builtins)
    registry = RecipeLookup(broken, resolver)
    return Checker(ws.settings, registry, resolver, strict, pins, lock, files, parsed)


def worktree_files(base: Path) -> Callable[[str], bytes]:
    """A job's ``config_file`` from the work tree, confined to it."""

    def load(rel: str) -> bytes:
        path = confine(base, base / rel, rel)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise GittrainError(f"{rel}: no such file") from None
        except OSError as exc:
            raise GittrainError(f"{rel}: cannot read: {exc.strerror}") from None

    return load


def commit_files(root: Path, rev: str | None) -> Callable[[str], bytes]:
    """A job's ``config_file`` as the commit ``rev`` holds it (None: the index)."""

    def load(rel: str) -> bytes:
        if rev is None:
            raw = gitrepo.read_staged(root, [rel]).get(rel)
            where = "the index"
        else:
            raw = gitrepo.read_blobs(root, [f"{rev}:{rel}"]).get(f"{rev}:{rel}")
            where = rev[:12]
        if raw is None:
            raise GittrainError(f"{rel}: not in {where}")
        return raw

    return load


def worktree_lock(base: Path, rel: str) -> Callable[[], Lockfile]:
    def read() -> bytes | None:
        try:
            return (base / rel).read_bytes()
        except OSError:
            return None  # absent or unreadable: its own report (or `data status`) says so

    return lockstore.loader(read, rel)


def staged_lock(
    root: Path, rel: str, known: Mapping[str, bytes | None] | None = None
) -> Callable[[], Lockfile]:
    """The index's lockfile, from ``known`` when it was read already."""

    def read() -> bytes | None:
        if known is not None and rel in known:
            return known[rel]
        return gitrepo.read_staged(root, [rel]).get(rel)

    return lockstore.loader(read, rel)


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
    blobs = gitrepo.read_staged(root, targets)
    lock = staged_lock(root, ws.settings.lockfile, blobs)
    files = commit_files(root, None)
    return validate_blobs(ws, blobs, strict=strict, lock=lock, files=files)


def validate_blobs(
    ws: Workspace,
    blobs: Mapping[str, bytes | None],
    *,
    strict: bool = False,
    lock: Callable[[], Lockfile] | None = None,
    files: Callable[[str], bytes] | None = None,
    parsed: dict[str, tuple[bytes, Document]] | None = None,
) -> ValidationResult:
    """Check contents already read (path -> bytes; None for an entry that is not a blob).

    Jobs' datasets are judged against ``lock`` (default: the work tree's lockfile);
    ``parsed`` collects the documents parsed, for the caller to reuse.
    """
    targets = list(blobs)
    if not targets:
        return ValidationResult(())
    check = checker(ws, strict=strict, lock=lock, files=files, parsed=parsed)
    reports = []
    for rel in targets:
        raw = blobs[rel]
        if raw is None:  # a submodule or symlink entry: no blob to check
            continue
        reports.append(check.check(rel, raw))
    return ValidationResult(tuple(reports))
