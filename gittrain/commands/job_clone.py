"""`git train job clone SRC[@REV] --name NEW`: a copy of a job with overrides and its origin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gittrain.adapters import gitrepo, yamlio
from gittrain.commands.jobfiles import check_name, read_job
from gittrain.commands.validate import checker
from gittrain.commands.workspace import Workspace
from gittrain.core import yamledit
from gittrain.core.edits import (
    MISSING,
    Assignment,
    get_path,
    parse_assignment,
    parse_key_path,
)
from gittrain.core.problems import Problem, count
from gittrain.document import format_path
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import atomic_write


@dataclass(frozen=True, slots=True)
class Cloned:
    source: str  # the job's name
    commit: str  # the commit the source was read from (HEAD for the work tree)
    rel: str  # the new file
    text: str
    problems: tuple[Problem, ...]
    written: bool

    @property
    def errors(self) -> int:
        return count(self.problems)


def clone(
    ws: Workspace,
    spec: str,
    new_name: str,
    *,
    sets: Sequence[str] = (),
    unsets: Sequence[str] = (),
    force: bool = False,
) -> Cloned:
    """Copy SRC's text (comments kept), rename it, record ``cloned_from`` and reset the result."""
    root = ws.require_root()
    check_name(new_name)
    source = read_job(ws, spec)
    commit = source.commit or gitrepo.rev_parse(root, "HEAD")
    if commit is None or (
        source.commit is None and gitrepo.show_blob(root, commit, source.rel) is None
    ):
        raise usage_error(f"{source.rel}: cloning records the source commit; commit the job first")
    try:
        text = source.raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GittrainError(f"{source.shown}: not valid UTF-8") from None
    doc = yamlio.load_text(text, source.shown)
    assignments = [parse_assignment(s) for s in sets]
    removals = [parse_key_path(u) for u in unsets]
    for path in removals:
        if get_path(doc.data, ("config", *path)) is MISSING:
            raise usage_error(f"--unset {format_path(path)}: no such key in {source.shown}")
        text = yamledit.remove(text, source.shown, ("config", *path))
    edits = [Assignment(("name",), new_name)]
    edits += [Assignment(("config", *a.path), a.value) for a in assignments]
    edits.append(Assignment(("cloned_from",), {"job": source.name, "commit": commit}))
    edits.append(Assignment(("result",), {"status": "pending"}))
    text = _retitle(yamledit.edit(text, source.shown, edits), source.name, commit)
    rel = f"{ws.settings.jobs_dir}/{new_name}.yaml"
    report = checker(ws).check(rel, text.encode("utf-8"))
    result = Cloned(source.name, commit, rel, text, report.problems, written=False)
    if result.errors:
        return result
    atomic_write(root / rel, text.encode("utf-8"), shown=rel, root=root, overwrite=force)
    return Cloned(source.name, commit, rel, text, report.problems, written=True)


# The header `recipe apply` writes; a clone's header says where it came from instead.
_GENERATED = ("# Made by `", "# from recipe ", "# Cloned from ")


def _retitle(text: str, source: str, commit: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(_GENERATED):
        lines.pop(0)
    newline = "\r\n" if text.endswith("\r\n") else "\n"
    return f"# Cloned from {source}@{commit[:7]} by `git train job clone`{newline}" + "".join(lines)
