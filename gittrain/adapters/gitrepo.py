"""Talking to git: the only module that runs git or imports GitPython.

User-controlled revisions and paths are always passed after
``--end-of-options`` or ``--`` so they can never become options.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from gittrain.errors import GittrainError, usage_error

# Variables a hook exports that would point git at the wrong repository.
_REPO_ENV = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_COMMON_DIR")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for running git on a repository named by ``-C``."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if extra:
        env.update(extra)
    return env


def run(
    root: Path | None,
    args: Sequence[str],
    *,
    input_bytes: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git [-C root] args`` and return the completed process (bytes)."""
    cmd = ["git"]
    if root is not None:
        cmd += ["-C", str(root)]
    cmd += list(args)
    try:
        proc = subprocess.run(
            cmd,
            input=input_bytes,
            capture_output=True,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except FileNotFoundError:
        raise usage_error("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GittrainError(message[-1] if message else f"git {args[0]} failed")
    return proc


def toplevel(start: Path) -> Path | None:
    """The work tree root containing ``start``, or None outside a work tree."""
    proc = run(start, ["rev-parse", "--show-toplevel"], check=False)
    if proc.returncode != 0:
        return None
    out = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(out) if out else None
