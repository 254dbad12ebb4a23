"""`git train lint-yaml FILE...`: plain values a file's framework will misread, with their fixes.

Each file is read in its dialect (named in `.gittrain.yaml` `dialects:` or
detected from its keys, as `validate` does); see ``core.dialects.misreads`` for
what each framework's loader makes of a value.  A file in no known dialect gets
every YAML 1.1 trap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import yamlio
from gittrain.core import yaml11
from gittrain.core.dialects import misreads
from gittrain.core.dialects.config import read_native
from gittrain.core.dialects.detect import named
from gittrain.core.dialects.reading import reading
from gittrain.core.dialects.vocabulary import GENERIC, Dialect, Effective
from gittrain.core.problems import Problem, Severity, read_or_problem
from gittrain.core.settings import SETTINGS_FILE
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class LintResult:
    files: int
    problems: tuple[Problem, ...]


def lint_yaml(
    base: Path, files: Sequence[str], eff: Effective, root: Path | None = None
) -> LintResult:
    """Check each file (relative to ``base``); every file is read before anything is decided.

    ``root`` is the repository whose ``.gittrain.yaml`` globs (in ``eff``) name dialects.
    """
    problems: list[Problem] = []
    for shown in files:
        raw = read_or_problem(base / shown, shown, directory="name YAML files")
        problems.extend(lint_bytes(raw, shown, eff, _in_repo(base / shown, root)))
    return LintResult(len(files), tuple(problems))


def _in_repo(path: Path, root: Path | None) -> str | None:
    """``path`` relative to the repository root (POSIX), or None outside it."""
    if root is None:
        return None
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return None


def lint_bytes(raw: bytes | Problem, shown: str, eff: Effective, rel: str | None) -> list[Problem]:
    if isinstance(raw, Problem):
        return [raw]
    try:
        scalars = yamlio.plain_scalars(raw, shown)
    except GittrainError as exc:
        return [_yaml_problem(shown, exc)]
    dialect, unreadable = _dialect(raw, shown, eff, rel)
    if unreadable is not None:
        return [unreadable]
    readers = misreads.readers(dialect)
    out: list[Problem] = []
    for text, mark, path in scalars:
        found = misreads.check(text, dialect, path)
        if found is not None:
            out.append(
                Problem(
                    shown,
                    mark,
                    (),
                    Severity.ERROR,
                    yaml11.describe(found, readers),
                    f"yaml11-{found.trap.value}",
                )
            )
    return out


def _dialect(
    raw: bytes, shown: str, eff: Effective, rel: str | None
) -> tuple[Dialect, Problem | None]:
    """The dialect ``raw`` is read in; a file named for a framework that cannot read it is
    a problem (aliases past the bound, a cycle, several documents)."""
    vocabulary = eff.vocabulary
    chosen = named(vocabulary, rel, eff.paths, SETTINGS_FILE) if rel is not None else None
    if chosen is not None:
        try:
            yamlio.load_bytes(
                raw, shown, expect_mapping=False, reading=reading(chosen.dialect.loader)
            )
        except GittrainError as exc:
            return chosen.dialect, _yaml_problem(shown, exc)
        return chosen.dialect, None
    try:  # not named: detected from the keys, as validate does
        read = read_native(
            raw, shown, Effective(vocabulary, {}), expect_mapping=False, with_view=False
        )
    except GittrainError:  # no framework reads it as one document: YAML 1.1 advice for all
        return vocabulary.get(GENERIC), None
    return read.detection.dialect, None


def _yaml_problem(shown: str, exc: GittrainError) -> Problem:
    return Problem(shown, exc.mark, (), Severity.ERROR, exc.detail, "yaml")
