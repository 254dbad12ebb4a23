"""Where the repository is, read from ``.git`` without running git, in the plain cases only.

Every command starts by finding the work tree root, and `git rev-parse --show-toplevel`
(plus importing :mod:`subprocess` to run it) was ~4 ms of a ~80 ms `data status`.  Only the
layout ``git init`` makes is read here: a ``.git`` directory found walking up from the
current directory, owned by us, with a plain config and no ``GIT_*`` variable that could
change what git finds.  Everything else (a ``.git`` file, ``GIT_DIR``, ``core.worktree``,
ceilings, mount points, bare repositories, foreign owners) is left to git via
:mod:`gittrain.adapters.gitrepo`, so both ways give the same answer.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# GIT_* variables known not to change which repository git finds: the hooks' index and
# prefix, identities, editors, transports, tracing, the global config file (see _plain).
# Any other GIT_* variable (GIT_DIR, GIT_WORK_TREE, GIT_CEILING_DIRECTORIES, -c settings
# in GIT_CONFIG_PARAMETERS, one this list does not know) sends discovery to git.
_HARMLESS_ENV = frozenset(
    (
        "GIT_ASKPASS",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_SYSTEM",
        "GIT_EDITOR",
        "GIT_EXEC_PATH",
        "GIT_INDEX_FILE",
        "GIT_MERGE_AUTOEDIT",
        "GIT_MERGE_VERBOSITY",
        "GIT_PAGER",
        "GIT_PREFIX",
        "GIT_REFLOG_ACTION",
        "GIT_SEQUENCE_EDITOR",
        "GIT_TERMINAL_PROMPT",
    )
)
_HARMLESS_PREFIXES = (
    "GIT_AUTHOR_",
    "GIT_COMMITTER_",
    "GIT_CURL_",
    "GIT_HTTP_",
    "GIT_PROXY_",
    "GIT_SSH",
    "GIT_SSL_",
    "GIT_TRACE",
)
_FALSE = frozenset((b"false", b"no", b"off", b"0"))
_MAX_CONFIG = 1 << 20  # a bigger repository config is read by git, not here


def plain_toplevel(cwd: str) -> str | None:
    """The work tree root git would find from ``cwd`` (a resolved absolute path), or None
    when this is not the plain layout and git must be asked (outside any repository too)."""
    for name in os.environ:
        if name.startswith("GIT_") and not (
            name in _HARMLESS_ENV or name.startswith(_HARMLESS_PREFIXES)
        ):
            return None
    try:
        device = os.stat(cwd).st_dev
        here = cwd
        while True:
            # git stops at a file system boundary unless told otherwise: let it say so.
            if os.stat(here).st_dev != device:
                return None
            try:
                dot_git = os.lstat(os.path.join(here, ".git"))
            except FileNotFoundError:
                pass
            else:  # a .git file (worktree, submodule) or a symlink: git reads it
                return here if stat.S_ISDIR(dot_git.st_mode) and _plain(here) else None
            # git takes a directory that is itself a repository (bare, or inside .git)
            # before looking further up; anything that might be one is git's to judge.
            if os.path.lexists(os.path.join(here, "HEAD")):
                return None
            parent = os.path.dirname(here)
            if parent == here:
                return None  # no repository above: git words the error
            here = parent
    except OSError:
        return None


def _plain(top: str) -> bool:
    """Whether ``top/.git`` is a repository git would take as it is, as ``top``'s work tree
    with no configuration that moves it: what `git rev-parse --show-toplevel` checks."""
    git = os.path.join(top, ".git")
    euid = os.geteuid()
    # git refuses a repository someone else owns unless safe.directory allows it.
    if os.lstat(top).st_uid != euid or os.lstat(git).st_uid != euid:
        return False
    # git's is_git_directory(): a valid HEAD, objects/ and refs/; no commondir (a worktree's).
    for sub in ("objects", "refs"):
        if not os.path.isdir(os.path.join(git, sub)):
            return False
    if os.path.lexists(os.path.join(git, "commondir")):
        return False
    head = os.lstat(os.path.join(git, "HEAD"))
    if not stat.S_ISREG(head.st_mode) or head.st_size > 4096:
        return False
    with open(os.path.join(git, "HEAD"), "rb") as handle:
        text = handle.read().strip()
    if not (text.startswith(b"ref: refs/") or (len(text) in (40, 64) and _hex(text))):
        return False
    try:
        found = os.lstat(os.path.join(git, "config"))
    except FileNotFoundError:
        return True
    # Not a FIFO (reading one would block) and whole: a word past a cut could matter.
    if not stat.S_ISREG(found.st_mode) or found.st_size > _MAX_CONFIG:
        return False
    with open(os.path.join(git, "config"), "rb") as handle:
        config = handle.read(_MAX_CONFIG + 1)
    return len(config) <= _MAX_CONFIG and _plain_config(config)


def _hex(text: bytes) -> bool:
    return all(c in b"0123456789abcdef" for c in text)


def _plain_config(config: bytes) -> bool:
    """The repository's own config says nothing that moves or removes the work tree.

    Conservative: ``core.worktree``, ``core.bare`` other than false, includes (which could
    say either), extensions (git refuses ones it does not know) and format versions above
    1 (git refuses them) all mean "ask git"; so does a word of them anywhere.
    """
    lowered = config.lower()
    if any(word in lowered for word in (b"worktree", b"include", b"extensions")):
        return False
    for line in lowered.splitlines():
        if b"bare" in line or b"repositoryformatversion" in line:
            key, eq, value = line.partition(b"=")
            value = value.split(b"#")[0].split(b";")[0].strip()
            if not eq:
                return False  # `bare` alone means true
            if key.strip() == b"bare":
                if value not in _FALSE:
                    return False
            elif key.strip() != b"repositoryformatversion" or value not in (b"0", b"1"):
                return False
    return True


def toplevel(start: Path) -> Path | None:
    """The work tree root containing ``start``, or None outside a work tree: read from
    ``.git`` in the plain layout, asked of git otherwise."""
    plain = plain_toplevel(str(start.resolve()))
    if plain is not None:
        return Path(plain)
    from gittrain.adapters import gitrepo  # runs git: only for what .git does not say

    return gitrepo.ask_toplevel(start)


def git_dir(root: Path) -> Path:
    """The (per-worktree) git directory of the work tree at ``root``.

    Read from ``.git`` directly when possible: `data status` runs in hooks and
    a subprocess per call is most of its budget.
    """
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="surrogateescape").strip()
        if text.startswith("gitdir:"):
            target = Path(text[len("gitdir:") :].strip())
            return target if target.is_absolute() else (root / target).resolve()
    from gittrain.adapters import gitrepo  # runs git: only for what .git does not say

    out = gitrepo.run(root, ["rev-parse", "--absolute-git-dir"]).stdout
    return Path(out.decode("utf-8", "surrogateescape").strip())
