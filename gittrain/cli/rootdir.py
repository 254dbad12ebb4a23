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

    from gittrain.adapters import gitrepo
    from gittrain.errors import usage_error

    cwd = Path.cwd().resolve()
    root = gitrepo.toplevel(cwd)
    if root is None:
        raise usage_error(f"not inside a git work tree: {cwd}")
    root = root.resolve()
    if cwd != root and root not in cwd.parents:  # GIT_DIR and GIT_WORK_TREE point elsewhere
        raise usage_error(f"the current directory {cwd} is outside the work tree {root}")
    prefix = cwd.relative_to(root).as_posix() if cwd != root else ""
    return root, "" if prefix == "." else prefix
