"""What the native git hooks (hooks/*) do: check staged content, summarise it, warn on drift.

Hooks only read and check; the one file they write is the commit message
git hands to `prepare-commit-msg`, which is its purpose.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.errors import GittrainError, usage_error

if TYPE_CHECKING:
    from gittrain.commands.data_check import DataCheckResult
    from gittrain.commands.diff import DiffReport
    from gittrain.commands.validate import ValidationResult
    from gittrain.document import Document

SUMMARY_HEADER = "Config-Changes:"
# `git commit` sources for which a summary would be wrong or repeated.
SKIPPED_SOURCES = frozenset({"merge", "squash", "commit"})


# Records here are NamedTuples, not dataclasses: git runs the hooks on every commit
# (see gittrain/document.py).
class PreCommitResult(NamedTuple):
    validation: ValidationResult
    data: DataCheckResult
    # The textconv driver's command in git's config (None: not set), read during the checks.
    driver: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.validation.errors or self.data.errors)


def pre_commit(root: Path) -> PreCommitResult | None:
    """Validate the staged configs, then check the datasets the staged jobs use.

    None when no staged file is one gittrain checks: the commit then pays for
    one `git diff --cached` and no schema or recipe loading.
    """
    conf = settings.load(root)
    staged = gitrepo.staged_paths(root)
    configs = [p for p in staged if settings.is_config_path(p, conf)]
    if not configs:
        return None
    # git reads the staged files while the checks load.  The staged lockfile comes in the
    # same read, staged or not; it is parsed once, and only if a staged job needs it.
    staged_blobs = gitrepo.staged_reader(root, [*configs, conf.lockfile])
    driver = None
    try:
        from gittrain.commands.data_check import check_staged
        from gittrain.commands.install import TEXTCONV_KEY
        from gittrain.commands.validate import staged_lock, validate_blobs
        from gittrain.commands.workspace import Workspace
        from gittrain.core import doccache

        # The caller keeps the textconv driver in sync: git reads its config meanwhile.
        driver = gitrepo.config_reader(root, TEXTCONV_KEY)
        ws = Workspace(root, root, conf)
        blobs = staged_blobs()
        lock = staged_lock(root, conf.lockfile, blobs)
        parsed: dict[str, tuple[bytes, Document]] = {}  # the data check reuses these parses
        # A commit tried again, and prepare-commit-msg after this hook, parse the same texts.
        with doccache.session(gitrepo.git_dir(root)):
            validation = validate_blobs(
                ws, {p: blobs[p] for p in configs}, lock=lock, parsed=parsed
            )
            # Validation has judged the jobs' data requirements already: say it once.
            data = check_staged(
                root, conf, staged, known=blobs, lock=lock, with_requirements=False, parsed=parsed
            )
    finally:
        with contextlib.suppress(GittrainError):  # collected whatever happened; what went
            staged_blobs()  # wrong with it was raised above, where it was first asked
        configured = driver() if driver is not None else None
    return PreCommitResult(validation, data, configured)


def staged_diff(root: Path) -> DiffReport:
    """The semantic diff of the index against HEAD (`git train diff --cached`), as much of it
    as the summary shows: added and deleted configs are named, not read."""
    from gittrain.commands.diff import DiffRequest, run_diff
    from gittrain.core import doccache

    with doccache.session(gitrepo.git_dir(root)):  # what pre-commit parsed is not parsed again
        return run_diff(root, DiffRequest(cached=True, report_skipped=False, whole_files=False))


def with_summary(message: str, summary: list[str], comment_char: str = "#") -> str | None:
    """``message`` with the summary inserted before git's comment block; None if unchanged.

    Nothing is added when there is nothing to say or the message already has
    a summary (``commit --amend`` runs the hook again).
    """
    if not summary or any(line.startswith(SUMMARY_HEADER) for line in message.splitlines()):
        return None
    lines = message.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.startswith(comment_char)), len(lines))
    head = lines[:cut]
    while head and not head[-1].strip():
        head.pop()
    return "\n".join([*head, "", SUMMARY_HEADER, *summary, "", *lines[cut:]]) + "\n"


def write_message(path: Path, text: str) -> None:
    """Replace the message file atomically: a failed write leaves the old message whole.

    Not synced to disk: git reads it as soon as the hook returns.  Bytes that are not
    UTF-8 were read as surrogates and go back out unchanged.
    """
    from gittrain.core.atomic import replace_file

    try:
        replace_file(path, text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise usage_error(f"{path}: cannot write the commit message: {exc.strerror}") from None


def read_message(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise usage_error(f"{path}: cannot read the commit message: {exc.strerror}") from None


class DriftWarning(NamedTuple):
    """A dataset on disk that no longer matches the lockfile, or why it could not be checked."""

    text: str


def dataset_drift(root: Path) -> tuple[DriftWarning, ...]:
    """One warning per locked dataset that is modified or missing (stat-only when unchanged).

    Remote datasets are asked of their provider only with `data.remote: verify`: a hook
    never touches the network otherwise.  Nothing is checked with `rules: {data: off}`.
    """
    from gittrain.commands.data_check import RULE
    from gittrain.commands.data_status import State, status

    try:
        conf = settings.load(root)
        if conf.rules.get(RULE) == "off" or not (root / conf.lockfile).is_file():
            return ()
        result = status(root, offline=conf.data.remote is not settings.RemoteCheck.VERIFY)
    except GittrainError as exc:
        return (DriftWarning(exc.message),)
    out = []
    for row in result.datasets:
        if row.state in (State.MODIFIED, State.MISSING):
            text = f"dataset {row.name} ({row.path}) is {row.state.value}"
            failed = [d for d in row.differences if d.field == "error"]
            if failed:
                text = f"dataset {row.name} ({row.path}) cannot be checked: {failed[0].current}"
            elif row.differences:
                text += f" ({', '.join(d.field for d in row.differences)})"
            out.append(DriftWarning(text))
    return tuple(out)
