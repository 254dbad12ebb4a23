"""Talking to git: the only module that runs git or imports GitPython.

User-controlled revisions and paths are always passed after
``--end-of-options`` or ``--`` so they can never become options.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


NULL_SHA = "0" * 40


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One line of ``git diff --raw -z``; a sha of zeros means "read the work tree"."""

    status: str  # A, D, M, R, T (renames carry their score in ``score``)
    old_path: str | None
    new_path: str | None
    old_sha: str
    new_sha: str
    score: int = 100


def parse_raw(out: bytes) -> list[RawEntry]:
    """Entries of ``--raw -z`` output; commit headers (``\\x01sha``) are skipped."""
    tokens = out.split(b"\0")
    entries: list[RawEntry] = []
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        i += 1
        if not token.startswith(b":"):
            continue
        _old_mode, _new_mode, old_sha, new_sha, status = token[1:].decode().split(" ")
        letter, score = status[0], int(status[1:] or 100)
        first = _path(tokens[i])
        i += 1
        if letter in "RC":
            second = _path(tokens[i])
            i += 1
            entries.append(RawEntry(letter, first, second, old_sha, new_sha, score))
        elif letter == "A":
            entries.append(RawEntry(letter, None, first, old_sha, new_sha))
        elif letter == "D":
            entries.append(RawEntry(letter, first, None, old_sha, new_sha))
        else:
            entries.append(RawEntry(letter, first, first, old_sha, new_sha))
    return entries


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def diff_raw(
    root: Path, revisions: Sequence[str], paths: Sequence[str], *, cached: bool
) -> list[RawEntry]:
    """``git diff --raw`` for the same revision forms ``git diff`` takes, renames found."""
    args = ["diff", "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", "--no-textconv"]
    if cached:
        args.append("--cached")
    args += ["--end-of-options", *revisions, "--", *paths]
    return parse_raw(run(root, args, env=clean_env()).stdout)


def log_raw(root: Path, revision: str, paths: Sequence[str]) -> list[tuple[str, list[RawEntry]]]:
    """Commits reachable from ``revision`` touching ``paths``, newest first, with their entries."""
    args = ["log", "--no-renames", "--raw", "-z", "--no-abbrev", "--format=%x01%H"]
    out = run(root, [*args, "--end-of-options", revision, "--", *paths], env=clean_env()).stdout
    commits: list[tuple[str, list[RawEntry]]] = []
    for chunk in out.split(b"\x01")[1:]:
        sha, _, rest = chunk.partition(b"\0")
        commits.append((sha.decode().strip(), parse_raw(rest)))
    return commits


def read_blobs(root: Path, names: Sequence[str]) -> dict[str, bytes | None]:
    """Contents of many objects (``sha`` or ``rev:path``) through one ``git cat-file --batch``.

    Names that do not exist (or are not blobs) map to None.
    """
    unique = list(dict.fromkeys(names))
    if not unique:
        return {}
    if any("\n" in name for name in unique):
        raise usage_error("object names cannot contain newlines")
    stdin = "".join(f"{name}\n" for name in unique).encode("utf-8", "surrogateescape")
    out = run(root, ["cat-file", "--batch"], input_bytes=stdin, env=clean_env()).stdout
    found: dict[str, bytes | None] = {}
    pos = 0
    for name in unique:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) != 3:  # "<name> missing" or "<name> ambiguous"
            found[name] = None
            continue
        size = int(header[2])
        found[name] = out[pos : pos + size] if header[1] == b"blob" else None
        pos += size + 1
    return found


def resolve_commit(root: Path, revision: str) -> str:
    """The commit sha ``revision`` names, or a usage error naming it."""
    proc = run(
        root,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
        check=False,
        env=clean_env(),
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise usage_error(f"unknown revision {revision!r}")
    return proc.stdout.decode().strip()


def merge_base(root: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None when their histories are unrelated."""
    proc = run(root, ["merge-base", "--end-of-options", a, b], check=False, env=clean_env())
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def set_config(root: Path, key: str, value: str) -> None:
    """Set ``key`` in the repository's own config (never the user's or system's)."""
    run(root, ["config", "--local", key, value], env=clean_env())


def get_config(root: Path, key: str) -> str | None:
    proc = run(root, ["config", "--local", "--get", key], check=False, env=clean_env())
    return proc.stdout.decode().strip() if proc.returncode == 0 else None
