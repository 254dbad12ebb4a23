"""`git train lint-yaml FILE...`: plain values YAML 1.1 tools misread, with their fixes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import yamlio
from gittrain.core import yaml11
from gittrain.core.problems import Problem, Severity, read_or_problem
from gittrain.errors import GittrainError


@dataclass(frozen=True, slots=True)
class LintResult:
    files: int
    problems: tuple[Problem, ...]


def lint_yaml(base: Path, files: Sequence[str]) -> LintResult:
    """Check each file (relative to ``base``); every file is read before anything is decided."""
    problems: list[Problem] = []
    for rel in files:
        problems.extend(
            lint_bytes(read_or_problem(base / rel, rel, directory="name YAML files"), rel)
        )
    return LintResult(len(files), tuple(problems))


def lint_bytes(raw: bytes | Problem, rel: str) -> list[Problem]:
    if isinstance(raw, Problem):
        return [raw]
    try:
        scalars = yamlio.plain_scalars(raw, rel)
    except GittrainError as exc:
        return [Problem(rel, exc.mark, (), Severity.ERROR, exc.detail, "yaml")]
    out: list[Problem] = []
    for text, mark in scalars:
        found = yaml11.check(text)
        if found is not None:
            out.append(
                Problem(
                    rel,
                    mark,
                    (),
                    Severity.ERROR,
                    yaml11.describe(found),
                    f"yaml11-{found.trap.value}",
                )
            )
    return out
