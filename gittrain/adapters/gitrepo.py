"""Talking to git: the only module that runs git or imports GitPython.

User-controlled revisions and paths are always passed after
``--end-of-options`` or ``--`` so they can never become options.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

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
    out = run(root, ["rev-parse", "--absolute-git-dir"]).stdout
    return Path(out.decode("utf-8", "surrogateescape").strip())


def config_get(root: Path, key: str) -> str | None:
    proc = run(root, ["config", "--local", "--get", key], check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n")


def config_set(root: Path, key: str, value: str) -> None:
    run(root, ["config", "--local", key, value])


def rev_parse(root: Path, rev: str) -> str | None:
    """The full commit id ``rev`` names, or None when it names no commit."""
    proc = run(
        root,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"],
        check=False,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("ascii").strip()


def show_blob(root: Path, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``rev``, or None when it does not exist there."""
    with CatFile(root) as cat:
        return cat.read(f"{rev}:{path}")


class CatFile:
    """One long-lived ``git cat-file --batch`` process: read many objects, pay for one fork.

    Use as a context manager; ``read("rev:path")`` or ``read(oid)`` returns the
    object's bytes, or None when git says it is missing.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "-C", str(self._root), "cat-file", "--batch"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=clean_env(),
                )
            except FileNotFoundError:
                raise usage_error("git is not installed or not on PATH") from None
        return self._proc

    def read(self, spec: str) -> bytes | None:
        """The content of the object ``spec`` names (``oid`` or ``rev:path``), or None."""
        if "\n" in spec or "\0" in spec:
            return None  # cannot be sent on the batch protocol, and names nothing
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline()
        if not header:
            raise GittrainError(f"git cat-file exited while reading {spec}")
        if header.endswith((b" missing\n", b" ambiguous\n")):
            return None  # the spec is echoed first and may contain spaces
        size = int(header.split()[2])
        data = _read_exact(proc.stdout, size + 1)  # the object and its trailing LF
        return data[:size]

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            proc.stdout.close()
            proc.wait()


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise GittrainError("git cat-file output ended early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class Change:
    """One ``--raw`` line: a path a commit added (A), modified (M) or deleted (D)."""

    status: str
    path: str
    old_oid: str
    new_oid: str


@dataclass(frozen=True, slots=True)
class LogCommit:
    """A commit as ``iter_log`` yields it; ``changes`` is empty unless ``raw=True``."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    timestamp: int
    changes: tuple[Change, ...]


_RECORD = b"\x1e"
_LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%at%x00"


def iter_log(
    root: Path,
    revs: Sequence[str] = ("HEAD",),
    paths: Sequence[str] = (),
    *,
    raw: bool = False,
    extra: Sequence[str] = (),
) -> Iterator[LogCommit]:
    """Stream ``git log`` (newest first) as records, from ONE git process.

    With ``raw=True`` each commit carries its changed paths (renames off, so a
    rename is a D plus an A; merges show no changes, their parents' commits do).
    ``revs`` are passed after ``--end-of-options``; ``paths`` after ``--``.
    """
    args = ["log", "-z", "--no-abbrev", f"--format={_LOG_FORMAT}", *extra]
    if raw:
        args += ["--raw", "--no-renames"]
    args += ["--end-of-options", *revs, "--", *paths]
    try:
        proc = subprocess.Popen(
            ["git", "-C", str(root), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
        )
    except FileNotFoundError:
        raise usage_error("git is not installed or not on PATH") from None
    assert proc.stdout is not None and proc.stderr is not None
    buffer = b""
    try:
        while chunk := proc.stdout.read(1 << 16):
            buffer += chunk
            *records, buffer = buffer.split(_RECORD)
            for record in records:
                if record:
                    yield _parse_record(record)
        if buffer:
            yield _parse_record(buffer)
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait()
    if code != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise GittrainError(lines[-1] if lines else "git log failed")


def _parse_record(record: bytes) -> LogCommit:
    tokens = record.split(b"\0")
    sha, parents, author, email, stamp = (t.decode("utf-8", "replace") for t in tokens[:5])
    changes: list[Change] = []
    rest = iter(tokens[5:])
    for item in rest:
        token = item.lstrip(b"\n")
        if not token.startswith(b":"):
            continue
        meta = token[1:].decode("ascii").split()
        old_oid, new_oid, status = meta[2], meta[3], meta[4]
        path = next(rest).decode("utf-8", "surrogateescape")
        if status[0] in "RC":  # only with renames on: the second token is the new path
            path = next(rest).decode("utf-8", "surrogateescape")
        changes.append(Change(status[0], path, old_oid, new_oid))
    return LogCommit(sha, tuple(parents.split()), author, email, int(stamp or 0), tuple(changes))


def is_null_oid(oid: str) -> bool:
    return oid.strip("0") == ""
