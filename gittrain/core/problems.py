"""Validation findings: records with a severity, a location and a rule id."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gittrain.document import DocPath, Mark, format_path, locate


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: ``jobs/a.yaml:12:3: error: config.learning_rate: ... [lr-range]``."""

    source: str
    mark: Mark | None
    path: DocPath
    severity: Severity
    message: str
    rule: str

    def render(self) -> str:
        where = locate(self.source, self.mark)
        subject = f"{format_path(self.path)}: " if self.path else ""
        return f"{where}: {self.severity.value}: {subject}{self.message} [{self.rule}]"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.source,
            "line": self.mark.line if self.mark else None,
            "column": self.mark.column if self.mark else None,
            "path": format_path(self.path) if self.path else "",
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
        }


def read_or_problem(
    path: Path, rel: str, *, directory: str = "name files, or give no arguments to check everything"
) -> bytes | Problem:
    """A file's bytes, or why it cannot be read as an error (reported, not raised)."""
    from gittrain.adapters.yamlio import MAX_BYTES  # yaml loads only for commands that read

    try:
        size = path.stat().st_size
        if size > MAX_BYTES and path.is_file():
            message = f"file is {size} bytes; the limit is {MAX_BYTES}"
            return Problem(rel, None, (), Severity.ERROR, message, "yaml")
        return path.read_bytes()
    except FileNotFoundError:
        message = "no such file"
    except IsADirectoryError:
        message = f"is a directory; {directory}"
    except OSError as exc:
        message = f"cannot read: {exc.strerror}"
    return Problem(rel, None, (), Severity.ERROR, message, "io")


def count(problems: Iterable[Problem], severity: Severity = Severity.ERROR) -> int:
    """How many of ``problems`` have ``severity`` (errors by default)."""
    return sum(p.severity is severity for p in problems)
