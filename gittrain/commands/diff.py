"""`git train diff`: the revision forms of `git diff`, compared semantically file by file."""

from __future__ import annotations

import enum
import os
import posixpath
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gittrain.adapters import gitrepo
from gittrain.core import importance, settings
from gittrain.core.filediff import (
    FileDiff,
    FileKind,
    FileStatus,
    Side,
    compare,
    is_config_path,
    kind_of,
)
from gittrain.errors import usage_error


class SideKind(enum.Enum):
    COMMIT = "commit"
    INDEX = "index"
    WORKTREE = "worktree"
    EMPTY = "empty"  # before the first commit
    FILE = "file"  # `--no-index`: a file outside git


# Records here are NamedTuples, not dataclasses: prepare-commit-msg imports this module on
# every commit (see gittrain/document.py).
class SideInfo(NamedTuple):
    """What one side of the comparison is, for headers and the JSON output."""

    kind: SideKind
    label: str
    commit: str | None = None


class DiffReport(NamedTuple):
    old: SideInfo
    new: SideInfo
    files: tuple[FileDiff, ...]
    skipped: tuple[str, ...] = ()  # YAML files that changed outside the configured paths


class DiffRequest(NamedTuple):
    """The arguments of `git train diff` as the user gave them.

    ``arguments`` are the words before ``--`` (revisions, then paths when no
    ``--`` was given, as `git diff` allows); ``pathspecs`` are the words after it.
    ``prefix`` is the current directory relative to the root, for relative paths.
    """

    arguments: tuple[str, ...] = ()
    pathspecs: tuple[str, ...] | None = None
    cached: bool = False
    prefix: str = ""
    report_skipped: bool = True  # look for YAML changed outside `diff.paths` (one more git call)
    # False: an added or deleted config (not the lockfile) is named, not read or rated; the
    # commit summary says only that it was added or deleted.
    whole_files: bool = True


def run_diff(root: Path, request: DiffRequest) -> DiffReport:
    """Compare the two sides ``request`` names, restricted to config files."""
    revisions, paths = split_arguments(root, request)
    old, new, git_revisions = resolve_sides(root, revisions, cached=request.cached)
    conf = settings.load(root)
    policy = importance.load(conf.document)
    explicit = bool(paths)
    specs = (
        [pathspec(root, request.prefix, p) for p in paths]
        if explicit
        else [*(f":(glob){p}" for p in policy.paths), f":(literal){conf.lockfile}"]
    )

    def changed(specs: Sequence[str]) -> list[gitrepo.RawEntry]:
        if old.kind is SideKind.EMPTY:
            return _added_in_index(root, specs)
        return gitrepo.diff_raw(root, git_revisions, specs, cached=request.cached)

    entries = changed(specs)
    wanted = [e for e in entries if e.status in _STATUS and _wanted(e, conf.lockfile)]
    skipped: tuple[str, ...] = ()
    if not explicit and request.report_skipped:
        seen = {p for e in wanted for p in (e.old_path, e.new_path) if p}
        skipped = tuple(
            path
            for e in changed(_ALL_YAML)
            if (path := e.new_path or e.old_path) and path not in seen and not _hidden(path)
        )
    files = file_diffs(
        root, wanted, old=old, new=new, conf=conf, policy=policy, whole_files=request.whole_files
    )
    return DiffReport(old, new, tuple(files), skipped)


# Every YAML file, to say which changed ones the configured paths left out.
_ALL_YAML = (":(glob)**/*.yaml", ":(glob)**/*.yml")


def _hidden(path: str) -> bool:
    # Dotfiles and dot-directories (.gittrain.yaml, .github/workflows/) configure
    # tools, not training runs: not worth a "skipped" note.
    return any(part.startswith(".") for part in path.split("/"))


def _wanted(entry: gitrepo.RawEntry, lockfile: str) -> bool:
    return any(is_config_path(p, lockfile) for p in (entry.old_path, entry.new_path) if p)


def _added_in_index(root: Path, specs: Sequence[str]) -> list[gitrepo.RawEntry]:
    # `git diff --cached` before the first commit compares against nothing.
    empty_tree = gitrepo.run(root, ["hash-object", "-t", "tree", "/dev/null"]).stdout
    return gitrepo.diff_raw(root, [empty_tree.decode().strip()], specs, cached=True)


def split_arguments(root: Path, request: DiffRequest) -> tuple[list[str], list[str]]:
    """Revisions and paths, disambiguated the way `git diff` does without ``--``.

    A word git resolves as a revision (``:/message``, ``HEAD@{1}``, ``A..B``) is
    a revision, never a path; the first word that is not one starts the paths.
    """
    if request.pathspecs is not None:
        return list(request.arguments), list(request.pathspecs)
    revisions: list[str] = []
    for index, word in enumerate(request.arguments):
        if _is_revision(root, word):
            revisions.append(word)
            continue
        if _is_path(root / request.prefix, root, word):
            return revisions, list(request.arguments[index:])
        raise usage_error(
            f"unknown revision or path not in the working tree: {word!r} "
            "(use '--' to separate paths from revisions)"
        )
    return revisions, []


def _is_revision(root: Path, word: str) -> bool:
    if split_range(root, word) is not None:
        return True
    return gitrepo.rev_parse(root, word) is not None


def split_range(root: Path, word: str) -> tuple[str, str, str] | None:
    """``A..B`` or ``A...B`` as ``(A, separator, B)`` when both ends are commits (empty is HEAD).

    As in git, a word is a range only when both ends resolve, so ``:/fix a..b``
    (one commit whose message holds ``a..b``) stays a single revision.
    """
    ends = _dots(word)
    if ends is None or not all(gitrepo.rev_parse(root, ends[i]) for i in (0, 2)):
        return None
    return ends


def _dots(word: str) -> tuple[str, str, str] | None:
    cut = word.find("..")
    if cut < 0:
        return None
    separator = "..." if word[cut + 2 : cut + 3] == "." else ".."
    left, right = word[:cut], word[cut + len(separator) :]
    return left or "HEAD", separator, right or "HEAD"


def _is_path(here: Path, root: Path, word: str) -> bool:
    """git's test for a word that is not a revision (``verify_filename``)."""
    if word.startswith(":(") or any(c in word for c in "*?["):
        return True  # pathspec magic and wildcards need not exist
    for magic in (":/", ":!", ":^"):
        if word.startswith(magic):
            rest = word[len(magic) :]
            if not rest:
                return True
            base = root if magic == ":/" else here
            return os.path.lexists(base / rest)
    return os.path.lexists(here / word)


def resolve_sides(
    root: Path, revisions: Sequence[str], *, cached: bool
) -> tuple[SideInfo, SideInfo, list[str]]:
    """The two sides and the (resolved) revisions to hand to ``git diff``."""
    if len(revisions) > 2:
        raise usage_error(f"too many revisions: {' '.join(revisions)} (at most two)")
    if cached and len(revisions) > 1:
        raise usage_error("--cached compares the index with one revision, not two")
    if len(revisions) == 2:
        a, b = (_commit(root, r) for r in revisions)
        return a, b, [a.commit or "", b.commit or ""]
    if len(revisions) == 1 and not cached:
        word = revisions[0]
        ends = split_range(root, word)
        if ends is not None and ends[1] == "...":
            a, b = _commit(root, ends[0]), _commit(root, ends[2])
            assert a.commit and b.commit
            base = gitrepo.merge_base(root, a.commit, b.commit)
            if base is None:
                raise usage_error(f"{word}: the revisions have no merge base")
            old = SideInfo(SideKind.COMMIT, f"merge-base of {a.label} and {b.label}", base)
            return old, b, [base, b.commit]
        if ends is not None:
            a, b = _commit(root, ends[0]), _commit(root, ends[2])
            return a, b, [a.commit or "", b.commit or ""]
        dots = _dots(word)
        if dots is not None and gitrepo.rev_parse(root, word) is None:
            for end in (dots[0], dots[2]):
                _commit(root, end)  # names the end that is not a commit
        a = _commit(root, word)
        return a, SideInfo(SideKind.WORKTREE, "working tree"), [a.commit or ""]
    if cached:
        if revisions:
            a = _commit(root, revisions[0])
        elif (head := gitrepo.head_commit(root)) is not None:  # one git call, not two
            a = SideInfo(SideKind.COMMIT, "HEAD", head)
        else:
            a = SideInfo(SideKind.EMPTY, "nothing (no commits yet)")
        return a, SideInfo(SideKind.INDEX, "index"), [a.commit] if a.commit else []
    return SideInfo(SideKind.INDEX, "index"), SideInfo(SideKind.WORKTREE, "working tree"), []


def _commit(root: Path, revision: str) -> SideInfo:
    return SideInfo(SideKind.COMMIT, revision, gitrepo.resolve_commit(root, revision))


def pathspec(root: Path, prefix: str, word: str) -> str:
    """A user path made relative to the root; magic pathspecs (``:(...)``) pass through."""
    if word.startswith(":"):
        return word
    joined = (
        posixpath.normpath(posixpath.join(prefix, word)) if prefix else posixpath.normpath(word)
    )
    if word.startswith("/"):
        try:
            joined = Path(word).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            joined = ".."
    if joined == ".." or joined.startswith("../"):
        raise usage_error(f"{word}: is outside the repository at {root}")
    return f":(top){joined}" if joined != "." else ":(top)"


def file_diffs(
    root: Path,
    entries: Sequence[gitrepo.RawEntry],
    *,
    old: SideInfo,
    new: SideInfo,
    conf: settings.Settings,
    policy: importance.Policy,
    whole_files: bool = True,
) -> list[FileDiff]:
    """Read every blob in one ``cat-file --batch`` call and compare each file.

    Without ``whole_files`` an added or deleted config is not read: its FileDiff
    carries its status and kind only.
    """

    def kind_of_entry(entry: gitrepo.RawEntry) -> FileKind:
        path = entry.new_path or entry.old_path or ""
        return kind_of(
            path, recipes_dir=conf.recipes_dir, jobs_dir=conf.jobs_dir, lockfile=conf.lockfile
        )

    def named_only(entry: gitrepo.RawEntry) -> bool:
        whole = _STATUS[entry.status] in (FileStatus.ADDED, FileStatus.DELETED)
        return not whole_files and whole and kind_of_entry(entry) is not FileKind.LOCKFILE

    shas = [
        s
        for e in entries
        if not named_only(e)
        for s in (e.old_sha, e.new_sha)
        if s != gitrepo.NULL_SHA
    ]
    blobs = gitrepo.read_blobs(root, shas) if shas else {}
    out = []
    for entry in entries:
        if named_only(entry):
            status = _STATUS[entry.status]
            out.append(FileDiff(status, entry.old_path, entry.new_path, kind_of_entry(entry)))
            continue
        old_side = _side(root, entry.old_path, entry.old_sha, blobs, old)
        new_side = _side(root, entry.new_path, entry.new_sha, blobs, new)
        path = entry.new_path or entry.old_path or ""
        kind = kind_of(
            path, recipes_dir=conf.recipes_dir, jobs_dir=conf.jobs_dir, lockfile=conf.lockfile
        )
        out.append(
            compare(old_side, new_side, status=_STATUS[entry.status], kind=kind, policy=policy)
        )
    return out


_STATUS = {
    "A": FileStatus.ADDED,
    "D": FileStatus.DELETED,
    "M": FileStatus.MODIFIED,
    "T": FileStatus.MODIFIED,
    "R": FileStatus.RENAMED,
}


def _side(
    root: Path,
    path: str | None,
    sha: str,
    blobs: dict[str, bytes | None],
    info: SideInfo,
) -> Side:
    if path is None:
        return Side(None, None, "")
    source = path if info.kind is SideKind.WORKTREE else f"{info.label}:{path}"
    if info.kind is SideKind.INDEX:
        source = f":{path}"  # git's own name for the staged version
    if sha != gitrepo.NULL_SHA:
        return Side(path, blobs.get(sha), source)
    try:
        return Side(path, (root / path).read_bytes(), source)
    except OSError as exc:
        return Side(path, b"", source, error=f"{source}: cannot read: {exc.strerror}")
