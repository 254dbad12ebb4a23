"""The repository root seen from the current directory; no Click, so the hooks can use it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def repo_root() -> tuple[Path, str]:
    """The work tree root and the current directory relative to it (POSIX, '' at the root).

    Outside a work tree (or in a bare repository) this is a usage error, exit 2.
    """
    from pathlib import Path  # lazily: `git train -h` imports this module

    from gittrain.adapters import gitdir
    from gittrain.errors import usage_error

    cwd = Path.cwd().resolve()
    found = gitdir.toplevel(cwd)
    if found is None:
        raise usage_error(f"not inside a git work tree: {cwd}")
    root = found.resolve()
    if cwd != root and root not in cwd.parents:  # GIT_DIR and GIT_WORK_TREE point elsewhere
        raise usage_error(f"the current directory {cwd} is outside the work tree {root}")
    prefix = cwd.relative_to(root).as_posix() if cwd != root else ""
    return root, "" if prefix == "." else prefix


def hook_root() -> Path:
    """The work tree root for a commit hook, without a git call when git says where it is.

    git runs a commit hook at the top of the work tree and exports ``GIT_INDEX_FILE`` to
    it, so when that variable is set and the current directory holds ``.git`` (a directory,
    or the file of a linked worktree or submodule), the current directory is the root.
    Otherwise (the hook command run by hand, from anywhere) git is asked, as everywhere.
    """
    import os
    from pathlib import Path

    cwd = Path.cwd()
    if os.environ.get("GIT_INDEX_FILE") and os.path.lexists(cwd / ".git"):
        return cwd.resolve()
    return repo_root()[0]
