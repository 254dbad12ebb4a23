"""Validation findings: records with a severity, a location and a rule id."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.document import DocPath, Document, Mark, format_path, locate

if TYPE_CHECKING:
    from gittrain.core.rules import Finding


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


# A NamedTuple, not a dataclass: the pre-commit hook imports this module (see
# gittrain/document.py).
class Problem(NamedTuple):
    """One finding: ``jobs/a.yaml:12:3: error: config.learning_rate: ... [lr-range]``."""

    source: str
    mark: Mark | None
    path: DocPath
    severity: Severity
    message: str
    rule: str

    @classmethod
    def at(
        cls, doc: Document, path: DocPath, severity: Severity, message: str, rule: str
    ) -> Problem:
        """A finding at ``path`` of ``doc``, located at that value's (or its parent's) line."""
        return cls(doc.source, doc.mark_of(path), path, severity, message, rule)

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


def findings(doc: Document, found: Iterable[Finding]) -> list[Problem]:
    """Rule findings as problems located in ``doc`` (a value from outside the file: its root)."""
    return [Problem.at(doc, f.path or (), f.severity, f.message, f.rule) for f in found]
