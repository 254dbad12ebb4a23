"""The commit hooks' work and output, without Click: git runs them on every commit.

`gittrain.cli.main` runs the command lines :func:`handles` accepts here, in a process that
never imports Click; the Click commands in ``cli/hooks.py`` call the same functions with
``click.echo``, so `git train hook ...` under Click (or `CliRunner`) says the same things.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from gittrain.commands.diff import DiffReport
    from gittrain.core.problems import Problem

Echo = Callable[[str], None]

SUMMARY_LIMIT = 20
# Set by a shell asking for completions: Click answers those.
_COMPLETE_VAR = "_GIT_TRAIN_COMPLETE"


def handles(args: list[str]) -> bool:
    """The command lines run here, each exactly as Click would parse it; Click gets the rest
    (help, options, a wrong count of arguments, a message file Click would refuse)."""
    if len(args) < 2 or args[0] != "hook" or _COMPLETE_VAR in os.environ:
        return False
    rest = args[2:]
    if any(arg.startswith("-") for arg in rest):
        return False
    if args[1] == "pre-commit":
        return not rest
    if args[1] == "prepare-commit-msg" and 1 <= len(rest) <= 3:
        # click.Path(dir_okay=False) refuses a directory or an unreadable file (exit 2).
        path = rest[0]
        return not os.path.lexists(path) or (os.path.isfile(path) and os.access(path, os.R_OK))
    return False


def run(args: list[str]) -> int:
    """Run a command line :func:`handles` accepted; the exit code, mapped as the CLI maps it."""
    from gittrain.errors import EXIT_BUG, GittrainError

    # A file name git gives us that is not UTF-8 holds surrogates: print its bytes as they are.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    try:
        if args[1] == "pre-commit":
            code = pre_commit(_out, _err)
        else:
            prepare_commit_msg(*args[2:], err=_err)
            code = 0
        sys.stdout.flush()
        return code
    except GittrainError as exc:
        _err(f"error: {exc.message}")
        return exc.code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away; not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception:
        import traceback

        sys.stderr.write(
            "internal error, please report it with the traceback below:\n" + traceback.format_exc()
        )
        return EXIT_BUG


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def pre_commit(out: Echo, err: Echo) -> int:
    """Validate the staged configs and check the staged jobs' datasets; 1 blocks the commit."""
    from gittrain.cli.rootdir import hook_root
    from gittrain.commands.hooks import pre_commit as check
    from gittrain.core.words import counted

    root = hook_root()
    result = check(root)
    if result is None:  # nothing relevant staged: the one `git diff --cached` was all
        return 0
    # A commit of .gittrain.yaml (a relevant path) can change the diff rules; between such
    # commits the textconv driver re-syncs itself.
    sync_diff(root, err, read=False, configured=result.driver)
    for report in result.validation.reports:
        _problems(report.problems, out)
    _problems(result.data.problems, out)
    if not result.failed:
        return 0
    errors = result.validation.errors + result.data.errors
    err(
        f"gittrain: commit blocked: {counted(errors, 'error')} in staged files "
        "(fix them and stage again; `git commit --no-verify` skips this check)"
    )
    return 1


def _problems(problems: Iterable[Problem], out: Echo) -> None:
    for problem in problems:
        out(problem.render())


def prepare_commit_msg(message_file: str, source: str = "", sha: str = "", *, err: Echo) -> None:
    """Add a Config-Changes: summary (critical and important changes) to the message."""
    from pathlib import Path

    from gittrain.adapters import gitrepo
    from gittrain.cli.rootdir import hook_root
    from gittrain.commands import hooks
    from gittrain.errors import GittrainError

    if source in hooks.SKIPPED_SOURCES:
        return
    path = Path(message_file)
    original = hooks.read_message(path)
    try:
        root = hook_root()
        comment_char = gitrepo.config_reader(root, "core.commentChar")  # git reads it meanwhile
        try:
            summary = summary_lines(hooks.staged_diff(root))
        finally:
            comment = comment_char() or "#"
        text = hooks.with_summary(original, summary, comment[:1])
    except Exception as exc:  # the summary is a courtesy: never block a commit over it
        shown = exc.message if isinstance(exc, GittrainError) else f"internal error: {exc!r}"
        err(f"gittrain: no Config-Changes summary added; {shown}")
        return
    if text is not None:
        hooks.write_message(path, text)


def summary_lines(report: DiffReport) -> list[str]:
    """``  path: label change [tier]`` for critical and important changes and locked datasets."""
    lines: list[str] = []
    for file in report.files:
        for change in file.datasets:
            fields = ", ".join(sorted({str(f.path[0]) for f in change.fields if f.path}))
            verb = {"added": "added", "removed": "removed"}.get(change.kind.value, "changed")
            detail = f" ({fields})" if verb == "changed" and fields else ""
            lines.append(f"  {file.path}: dataset {change.name} {verb}{detail} [critical]")
        if file.status.value in ("added", "deleted"):
            if not file.datasets:  # a whole new or deleted file: one line, not every key
                lines.append(f"  {file.path}: {file.status.value}")
            continue
        from gittrain.cli import diffformat
        from gittrain.core.importance import Tier

        for row in diffformat.rows([file], show_all=False):
            if row.tier.at_least(Tier.IMPORTANT):
                lines.append(f"  {file.path}: {row.label} {row.text} [{row.tier.value}]")
    if len(lines) > SUMMARY_LIMIT:
        more = len(lines) - SUMMARY_LIMIT
        lines = [*lines[:SUMMARY_LIMIT], f"  ... {more} more (git train diff --cached)"]
    return lines


def sync_diff(root: Path, err: Echo, *, read: bool = True, configured: str | None = None) -> None:
    """Keep the textconv driver's fingerprint current, so git's cache never serves old rules.
    With ``read=False``, ``configured`` is the driver's command git's config holds (None:
    none), read by the caller already."""
    from gittrain.commands.install import UNREAD, sync_for_hook

    try:
        stale = sync_for_hook(root, UNREAD if read else configured)
    except Exception:  # the driver re-syncs itself; never block a hook on it
        return
    if stale:  # a tracked file: say so rather than change the work tree under the user
        err(
            "gittrain: warning: the .gitattributes diff lines do not match the config paths "
            "in .gittrain.yaml; run `git train install --diff`"
        )
