"""Talking to git: the only module that runs git or imports GitPython.

User-controlled revisions and paths are always passed after
``--end-of-options`` or ``--`` so they can never become options.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, NamedTuple

from gittrain.adapters import gitdir
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


def index_env() -> dict[str, str]:
    """:func:`clean_env`, but keeping the index a hook was given.

    Inside ``commit -a`` or ``commit PATH`` git runs hooks with ``GIT_INDEX_FILE``
    naming a temporary index: that index, not ``.git/index``, is what is being
    committed, so commands about "the staged content" of this repository read it.
    """
    index = os.environ.get("GIT_INDEX_FILE")
    return clean_env({"GIT_INDEX_FILE": os.path.abspath(index)} if index else None)


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
        raise _no_git() from None
    if check and proc.returncode != 0:
        raise _failure(proc.stderr, args[0])
    return proc


def _no_git() -> GittrainError:
    return usage_error("git is not installed or not on PATH")


def _failure(stderr: bytes, command: str) -> GittrainError:
    """A failed git command's error: its last line on stderr, as git words it."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return GittrainError(lines[-1] if lines else f"git {command} failed")


def _spawn(
    root: Path,
    args: Sequence[str],
    *,
    stdin: int | None = None,
    stderr: int,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``git -C root args`` started with a pipe for its output, in ``env`` (by default the
    environment without a hook's variables, :func:`clean_env`)."""
    try:
        return subprocess.Popen(
            ["git", "-C", str(root), *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=clean_env() if env is None else env,
        )
    except FileNotFoundError:
        raise _no_git() from None


def ask_toplevel(start: Path) -> Path | None:
    """The work tree root containing ``start`` as git finds it, or None outside a work tree
    (:func:`gittrain.adapters.gitdir.toplevel` asks only when ``.git`` does not say)."""
    proc = run(start, ["rev-parse", "--show-toplevel"], check=False)
    if proc.returncode != 0:
        return None
    out = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return Path(out) if out else None


NULL_SHA = "0" * 40
git_dir = gitdir.git_dir  # for callers that run git too (it moved there: no subprocess)


# Records on the commit hooks' path are NamedTuples, not dataclasses: see gittrain/document.py.
class RawEntry(NamedTuple):
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


def diff_tree_first_parent(
    root: Path, commits: Sequence[tuple[str, str]], paths: Sequence[str]
) -> dict[str, list[RawEntry]]:
    """``git diff-tree -M`` of each ``(commit, first parent)`` within ``paths``, one process.

    The same entries ``git log --first-parent --raw -M -- PATHS`` shows for those
    commits (rename detection sees only ``paths``); a commit with none is left out.
    """
    if not commits:
        return {}
    args = ["diff-tree", "--stdin", "-r", "-M", "-z", "--raw", "--no-abbrev", "--no-ext-diff"]
    stdin = "".join(f"{commit} {parent}\n" for commit, parent in commits).encode("ascii")
    out = run(root, [*args, "--", *paths], input_bytes=stdin, env=clean_env()).stdout
    found: dict[str, list[RawEntry]] = {}
    current: list[RawEntry] = []
    tokens = out.split(b"\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        if token.startswith(b":"):
            # One entry: its ``:`` header and one or two paths, as ``parse_raw`` reads them.
            width = 3 if token.split(b" ")[-1][:1] in (b"R", b"C") else 2
            current.extend(parse_raw(b"\0".join(tokens[i : i + width])))
            i += width
            continue
        if token:
            current = found.setdefault(token.decode("ascii"), [])
        i += 1
    return found


def diff_raw(
    root: Path, revisions: Sequence[str], paths: Sequence[str], *, cached: bool
) -> list[RawEntry]:
    """``git diff --raw`` for the same revision forms ``git diff`` takes, renames found."""
    args = ["diff", "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", "--no-textconv"]
    if cached:
        args.append("--cached")
    args += ["--end-of-options", *revisions, "--", *paths]
    return parse_raw(run(root, args, env=index_env() if cached else clean_env()).stdout)


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
    return dict(zip(unique, _split_batch(out, len(unique)), strict=True))


def list_tree(root: Path, commit: str, directory: str) -> list[tuple[str, str]]:
    """``(path, blob id)`` of the files directly inside ``directory`` at ``commit``."""
    args = ["ls-tree", "-z", "--full-name", "--end-of-options", commit, "--", f"{directory}/"]
    out = run(root, args, env=clean_env()).stdout
    entries = []
    for record in out.split(b"\0"):
        info, tab, path = record.partition(b"\t")
        fields = info.split()
        if tab and len(fields) == 3 and fields[1] == b"blob":
            entries.append((_path(path), fields[2].decode("ascii")))
    return entries


def resolve_commit(root: Path, revision: str) -> str:
    """The commit sha ``revision`` names, or a usage error naming it."""
    sha = _commit_of(root, revision, clean_env())
    if sha is None:
        raise usage_error(f"unknown revision {revision!r}")
    return sha


def _commit_of(root: Path, revision: str, env: Mapping[str, str] | None) -> str | None:
    """``git rev-parse --verify REV^{commit}``, for every form git accepts.

    ``:/text`` searches for everything after the slash (and ``REV:path`` names a
    path), so ``:/text^{commit}`` would look for a message containing
    "^{commit}": such a revision is resolved first and the object it names is
    peeled in a second step.
    """
    if not revision or any(c in revision for c in "\0\n"):
        return None
    found: str | None = revision
    if ":" in revision:
        found = _verify(root, revision, env)
        if found is None:
            return None
    return _verify(root, f"{found}^{{commit}}", env)


def _verify(root: Path, revision: str, env: Mapping[str, str] | None) -> str | None:
    args = ["rev-parse", "--verify", "--quiet", "--end-of-options", revision]
    proc = run(root, args, check=False, env=env)
    out = proc.stdout.decode("ascii", "replace").strip()
    return out if proc.returncode == 0 and out else None


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


def config_reader(root: Path, key: str) -> Callable[[], str | None]:
    """:func:`get_config`, asked now and answered when called: the caller's own work overlaps
    the git process (the pre-commit hook reads the textconv driver's command while it
    validates).  Call it, whatever happens: the answer waits for the process."""
    proc = _spawn(root, ["config", "--local", "--get", key], stderr=subprocess.DEVNULL)
    answers: list[str | None] = []

    def answer() -> str | None:
        if not answers:
            out, _err = proc.communicate()
            answers.append(out.decode().strip() if proc.returncode == 0 else None)
        return answers[0]

    return answer


def rev_parse(root: Path, rev: str) -> str | None:
    """The full commit id ``rev`` names, or None when it names no commit."""
    return _commit_of(root, rev, None)


def shallow_boundary(root: Path) -> tuple[str, ...]:
    """The commits where a shallow clone's history is cut (empty for a full clone)."""
    proc = run(root, ["rev-parse", "--is-shallow-repository"], check=False, env=clean_env())
    if proc.stdout.strip() != b"true":
        return ()
    path = Path(
        run(root, ["rev-parse", "--git-path", "shallow"], env=clean_env()).stdout.decode().strip()
    )
    return _shallow_file(root, path)


def commit_and_shallow(root: Path, rev: str) -> tuple[str | None, tuple[str, ...]]:
    """``rev_parse(rev)`` and ``shallow_boundary()``, in one git call when that is the same.

    A warm ``experience`` answer costs little more than these, so one process is saved.
    """
    plain = rev and not any(c in rev for c in "\0\n:")
    if plain and not any(name in os.environ for name in _REPO_ENV):  # else rev_parse differs
        args = ["rev-parse", "--is-shallow-repository", "--git-path", "shallow"]
        args += ["--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"]
        proc = run(root, args, check=False, env=clean_env())
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        if len(lines) >= 2 and lines[0] in ("true", "false"):
            head = lines[2].strip() if proc.returncode == 0 and len(lines) > 2 else None
            if lines[0] == "false" or head is None:
                return head, ()
            return head, _shallow_file(root, Path(lines[1].strip()))
    head = rev_parse(root, rev)
    return head, shallow_boundary(root) if head is not None else ()


def _shallow_file(root: Path, path: Path) -> tuple[str, ...]:
    try:
        text = (path if path.is_absolute() else root / path).read_text(encoding="ascii")
    except OSError:
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def first_parent_reaches(root: Path, head: str, ancestor: str) -> bool:
    """Whether ``ancestor`` is on ``head``'s first-parent chain (reads only as far as needed)."""
    args = ["rev-list", "--first-parent", "--end-of-options", head]
    proc = _spawn(root, args, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    wanted = ancestor.encode("ascii") + b"\n"
    try:
        return any(line == wanted for line in proc.stdout)
    finally:
        proc.stdout.close()
        proc.kill()  # our own rev-list: stop it once the answer is known
        proc.wait()


def show_blob(root: Path, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``rev``, or None when it does not exist there."""
    with CatFile(root) as cat:
        return cat.read(f"{rev}:{path}")


_BATCH_BYTES = 16 * 1024  # well inside a pipe's buffer (64 KiB on Linux, 16 KiB at least)


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
            self._proc = _spawn(
                self._root,
                ["cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def read(self, spec: str) -> bytes | None:
        """The content of the object ``spec`` names (``oid`` or ``rev:path``), or None."""
        return self.read_many([spec])[0]

    def read_many(self, specs: Sequence[str]) -> list[bytes | None]:
        """``read`` of each spec, in order: requests go in batches, not one round trip each.

        A batch's requests fit in a pipe buffer, so writing them never waits for git,
        which is then read until it has answered them all.
        """
        found: list[bytes | None] = []
        start = 0
        while start < len(specs):
            batch: list[bytes | None] = []
            size = 0
            while start + len(batch) < len(specs) and size < _BATCH_BYTES:
                spec = specs[start + len(batch)]
                # A spec holding a newline cannot be sent on the batch protocol: it names nothing.
                bad = "\n" in spec or "\0" in spec
                line = None if bad else spec.encode("utf-8", "surrogateescape")
                batch.append(line)
                size += len(line or b"") + 1
            found.extend(self._answer(batch))
            start += len(batch)
        return found

    def _answer(self, lines: list[bytes | None]) -> list[bytes | None]:
        sent = [line for line in lines if line is not None]
        answers: list[bytes | None] = []
        if sent:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(b"".join(line + b"\n" for line in sent))
            proc.stdin.flush()
            for line in sent:
                answers.append(self._one(proc.stdout, line))
        got = iter(answers)
        return [None if line is None else next(got) for line in lines]

    @staticmethod
    def _one(stdout: IO[bytes], spec: bytes) -> bytes | None:
        header = stdout.readline()
        if not header:
            raise GittrainError(f"git cat-file exited while reading {_path(spec)}")
        if header.endswith((b" missing\n", b" ambiguous\n")):
            return None  # the spec is echoed first and may contain spaces
        size = int(header.split()[2])
        data = _read_exact(stdout, size + 1)  # the object and its trailing LF
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


class LogCommit(NamedTuple):
    """A commit as ``iter_log`` yields it; ``changes`` is empty unless ``raw=True``."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    timestamp: int
    changes: tuple[RawEntry, ...]


_RECORD = b"\x1e"
_LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%at%x00"


def iter_log(
    root: Path,
    revs: Sequence[str] = ("HEAD",),
    paths: Sequence[str] = (),
    *,
    raw: bool = False,
    renames: bool = False,
    extra: Sequence[str] = (),
) -> Iterator[LogCommit]:
    """Stream ``git log`` (newest first) as records, from ONE git process.

    With ``raw=True`` each commit carries its changed paths (renames off, so a
    rename is a D plus an A, unless ``renames``; merges show no changes, their
    parents' commits do, unless ``extra`` has ``--first-parent``).
    ``revs`` are passed after ``--end-of-options``; ``paths`` after ``--``.
    """
    yield from _stream(_start_log(root, _log_args(revs, paths, raw, renames, extra)))


def _stream(proc: subprocess.Popen[bytes]) -> Iterator[LogCommit]:
    """The commits ``proc`` (a ``git log``) writes; its error once every one was read."""
    try:
        yield from _records(_chunks(proc))
    finally:
        failed = _finish_log(proc)
    if failed is not None:  # only once every commit was read: not when the caller stopped
        raise failed


# Below this many commits one process walks: a second costs more than it saves.
SPLIT_FROM = 2000


def iter_log_halves(
    root: Path,
    revs: Sequence[str] = ("HEAD",),
    *,
    raw: bool = False,
    renames: bool = False,
    extra: Sequence[str] = (),
) -> Iterator[tuple[int, LogCommit]]:
    """``iter_log(root, revs, raw=raw, renames=renames, extra=extra)`` (no pathspec), from
    two git processes at once when the walk is long, so both cores diff trees.

    Yields ``(part, commit)``: part 0 is the newer half (the first N commits), part 1
    the older (``--skip=N``), each newest first, the two interleaved as git writes
    them, so the caller is never idle while either has output.  Part 0 followed by
    part 1 is the list of one walk: git counts ``--skip`` on it.

    The newer half's git starts at once, and a thread reads what it writes, while
    ``rev-list --count`` counts the walk (~0.3 s at 50,000 commits in a clone without a
    commit-graph); it is stopped as soon as it has written its N commits.
    """
    halves = _Halves(_start_log(root, _log_args(revs, (), raw, renames, extra)))
    count_args = ["rev-list", "--count", *extra, "--end-of-options", *revs, "--"]
    try:
        count = int(run(root, count_args, env=clean_env()).stdout or 0)
    except BaseException:
        halves.stop()
        raise
    if count >= SPLIT_FROM:
        half = count // 2
        halves.split(
            half, _start_log(root, _log_args(revs, (), raw, renames, [*extra, f"--skip={half}"]))
        )
    yield from halves.commits()


class _Halves:
    """One or two ``git log`` processes, each drained by a thread into one queue, so git
    never waits on a full pipe: not while the walk is counted, nor while the caller works."""

    def __init__(self, first: subprocess.Popen[bytes]) -> None:
        self.procs = [first]
        self.arrived: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
        self.half: int | None = None  # the commits part 0 gives, once the walk is split
        self.cut = threading.Event()  # part 0's git was stopped after its last commit
        self.readers = [self._read(0)]

    def split(self, half: int, second: subprocess.Popen[bytes]) -> None:
        """Keep part 0 to its first ``half`` commits; ``second`` walks the rest."""
        self.half = half
        self.procs.append(second)
        self.readers.append(self._read(1))

    def _read(self, part: int) -> threading.Thread:
        reader = threading.Thread(target=self._pump, args=(part,))
        reader.start()
        return reader

    def _pump(self, part: int) -> None:
        proc = self.procs[part]
        starts = 0  # records begun so far: the (half+1)th begins once the half-th is whole
        for chunk in _chunks(proc):
            self.arrived.put((part, chunk))
            if part == 0:
                starts += chunk.count(_RECORD)
                half = self.half
                if half is not None and starts > half and not self.cut.is_set():
                    self.cut.set()
                    proc.kill()
        self.arrived.put((part, b""))  # this part is done

    def stop(self) -> None:
        """Stop every git and reader (the walk could not be counted)."""
        self._close(kill=True)

    def _close(self, *, kill: bool) -> list[GittrainError | None]:
        """Wait for every reader and git (``kill``: stop them first); each git's error."""
        if kill:  # git stops, which ends the readers
            for proc in self.procs:
                proc.kill()
        for reader in self.readers:
            reader.join()
        return [_finish_log(proc) for proc in self.procs]

    def commits(self) -> Iterator[tuple[int, LogCommit]]:
        buffers = [b"", b""]
        left = [self.half if self.half is not None else -1, -1]  # -1: every commit
        open_parts = len(self.procs)
        try:
            while open_parts:
                part, chunk = self.arrived.get()
                if not chunk:
                    open_parts -= 1
                    chunk = _RECORD  # ends the part's last record
                records = (buffers[part] + chunk).split(_RECORD)
                buffers[part] = records.pop()
                for record in records:
                    if record and left[part]:
                        left[part] -= 1
                        yield part, _parse_record(record)
        finally:
            failures = self._close(kill=open_parts > 0)  # parts still open: the caller stopped
        if self.cut.is_set():
            failures[0] = None  # stopped on purpose, after its last commit
        failed = next((f for f in failures if f is not None), None)
        if failed is not None:
            raise failed


def _log_args(
    revs: Sequence[str], paths: Sequence[str], raw: bool, renames: bool, extra: Sequence[str]
) -> list[str]:
    args = ["log", "-z", "--no-abbrev", f"--format={_LOG_FORMAT}", *extra]
    if raw:
        args += ["--raw", "-M" if renames else "--no-renames"]
    return [*args, "--end-of-options", *revs, "--", *paths]


def _start_log(root: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return _spawn(root, args, stderr=subprocess.PIPE)


def _records(chunks: Iterable[bytes]) -> Iterator[LogCommit]:
    """The commits of ``git log -z --format=_LOG_FORMAT`` output, read in any chunks."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *records, buffer = buffer.split(_RECORD)
        for record in records:
            if record:
                yield _parse_record(record)
    if buffer:
        yield _parse_record(buffer)


def _chunks(proc: subprocess.Popen[bytes]) -> Iterator[bytes]:
    stdout = proc.stdout
    assert stdout is not None
    while chunk := stdout.read(1 << 16):
        yield chunk


def _finish_log(proc: subprocess.Popen[bytes]) -> GittrainError | None:
    """Wait for a ``git log``: its last error line, if it failed."""
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    return None if proc.wait() == 0 else _failure(err, "log")


def _parse_record(record: bytes) -> LogCommit:
    """Five NUL-terminated header fields, then ``--raw -z`` entries (``parse_raw``)."""
    fields = record.split(b"\0", 5)
    sha, parents, author, email, stamp = (f.decode("utf-8", "replace") for f in fields[:5])
    changes = parse_raw(fields[5]) if len(fields) > 5 else []
    return LogCommit(sha, tuple(parents.split()), author, email, int(stamp or 0), tuple(changes))


def staged_paths(root: Path) -> list[str]:
    """Paths added, copied, modified or renamed in the index (what the next commit changes).

    Reads the index a hook was given (:func:`index_env`).  Works before the
    first commit too (the index is then compared with the empty tree).
    """
    args = ["diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMR"]
    out = run(root, args, env=index_env()).stdout
    return [_path(p) for p in out.split(b"\0") if p]


def read_staged(root: Path, paths: Sequence[str]) -> dict[str, bytes | None]:
    """The staged bytes of ``paths`` (``:path`` objects), one ``cat-file --batch`` for all.

    Reads the index a hook was given (:func:`index_env`).
    """
    unique = list(dict.fromkeys(paths))
    if not unique:
        return {}
    stdin = _staged_names(unique)
    out = run(root, ["cat-file", "--batch"], input_bytes=stdin, env=index_env()).stdout
    return dict(zip(unique, _split_batch(out, len(unique)), strict=True))


# A request this small fits in any pipe (Linux never makes one smaller than a page): it is
# written whole before git starts.  ~150 job paths; a bigger one is asked when answered.
_PIPE_SAFE = 4096


def staged_reader(root: Path, paths: Sequence[str]) -> Callable[[], dict[str, bytes | None]]:
    """:func:`read_staged`, asked now and answered when called: git reads the blobs while
    the caller does other work (the pre-commit hook loads its checks meanwhile).  Call it,
    whatever happens: the answer waits for the process and raises what read_staged would."""
    unique = list(dict.fromkeys(paths))
    stdin = _staged_names(unique) if unique else b""
    if not unique or len(stdin) > _PIPE_SAFE:  # asked when answered, as read_staged
        return lambda: read_staged(root, unique)
    # The request goes into a pipe of its own, whole, before git starts: it fits
    # (_PIPE_SAFE), so nothing waits on the reader, and git reads it as it likes.
    given, request = os.pipe()
    try:
        try:
            written = 0
            while written < len(stdin):
                written += os.write(request, stdin[written:])
        finally:
            os.close(request)
        proc = _spawn(
            root, ["cat-file", "--batch"], stdin=given, stderr=subprocess.PIPE, env=index_env()
        )
    finally:
        os.close(given)
    answers: list[dict[str, bytes | None] | GittrainError] = []

    def answer() -> dict[str, bytes | None]:
        if not answers:
            out, err = proc.communicate()
            if proc.returncode != 0:
                answers.append(_failure(err, "cat-file"))
            else:
                answers.append(dict(zip(unique, _split_batch(out, len(unique)), strict=True)))
        found = answers[0]
        if isinstance(found, GittrainError):
            raise found
        return found

    return answer


def _staged_names(paths: Sequence[str]) -> bytes:
    """``cat-file --batch`` input naming each path's staged blob (``:path``)."""
    names = [f":{p}" for p in paths]
    if any("\n" in name for name in names):
        raise usage_error("paths cannot contain newlines")
    return "".join(f"{name}\n" for name in names).encode("utf-8", "surrogateescape")


def _split_batch(out: bytes, count: int) -> list[bytes | None]:
    """The objects of ``cat-file --batch`` output in request order (None: missing/not a blob)."""
    found: list[bytes | None] = []
    pos = 0
    for _ in range(count):
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) != 3:
            found.append(None)
            continue
        size = int(header[2])
        found.append(out[pos : pos + size] if header[1] == b"blob" else None)
        pos += size + 1
    return found


def hooks_dir(root: Path) -> Path:
    """Where git runs this repository's hooks from (``core.hooksPath`` respected)."""
    out = run(root, ["rev-parse", "--git-path", "hooks"], env=clean_env()).stdout
    path = Path(out.decode("utf-8", "surrogateescape").strip())
    return path if path.is_absolute() else root / path


def unset_config(root: Path, key: str) -> bool:
    """Remove ``key`` from the repository's own config; False when it was not set."""
    proc = run(root, ["config", "--local", "--unset-all", key], check=False, env=clean_env())
    return proc.returncode == 0


def head_commit(root: Path) -> str | None:
    """The commit HEAD names, or None before the first commit."""
    proc = run(
        root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False, env=clean_env()
    )
    return proc.stdout.decode("ascii").strip() or None if proc.returncode == 0 else None


def head_and_changes(root: Path) -> tuple[str | None, list[str]]:
    """HEAD's commit (None before the first) and the tracked paths whose work-tree or staged
    content differs from it (untracked files are ignored); one `git status` for both."""
    args = ["--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z"]
    out = run(root, [*args, "--untracked-files=no"], env=clean_env()).stdout
    head: str | None = None
    paths: list[str] = []
    fields = iter(out.split(b"\0"))
    for entry in fields:
        kind = entry[:2]
        if entry.startswith(b"# branch.oid "):
            oid = entry[len(b"# branch.oid ") :].decode("ascii")
            head = None if oid == "(initial)" else oid
        elif kind in (b"1 ", b"2 ", b"u "):
            # 1: 8 fields before the path; 2 (rename/copy): 9, then the source path; u: 10.
            skip = {b"1 ": 8, b"2 ": 9, b"u ": 10}[kind]
            paths.append(_path(entry.split(b" ", skip)[skip]))
            if kind == b"2 ":
                next(fields, None)
    return head, paths


def commit_only(root: Path, rel: str, message: str) -> str:
    """Commit ``rel`` as it is in the work tree, and nothing else that is staged; its sha.

    ``git commit -- PATH`` commits only PATH (``--only``, git's default with paths);
    adding it first lets a file git does not track yet be committed the same way.
    """
    # After --end-of-options git takes `--` itself as a pathspec, so the path follows
    # directly; --literal-pathspecs keeps a name such as ":(glob)*" a plain path.
    literal = ["--literal-pathspecs"]
    run(root, [*literal, "add", "--end-of-options", rel], env=clean_env())
    run(root, [*literal, "commit", "-q", "-m", message, "--end-of-options", rel], env=clean_env())
    sha = head_commit(root)
    assert sha is not None
    return sha


def notes_cache(root: Path, ref: str) -> tuple[str | None, dict[str, str]]:
    """A textconv-style notes cache: its commit's subject (the validity) and its entries.

    Entries map an annotated object id to the blob holding its note; fan-out
    directories (``ab/cdef...``) are flattened back to the full id.
    """
    commit = rev_parse(root, ref)
    if commit is None:
        return None, {}
    env = clean_env()
    subject = run(root, ["log", "-1", "--format=%s", commit], env=env).stdout.decode().strip()
    out = run(root, ["ls-tree", "-r", "-z", commit], env=env).stdout
    entries: dict[str, str] = {}
    for item in filter(None, out.split(b"\0")):
        meta, _, name = item.partition(b"\t")
        entries[name.decode().replace("/", "")] = meta.split()[2].decode()
    return subject, entries


def write_notes_cache(
    root: Path, ref: str, validity: str, notes: Mapping[str, str], contents: Mapping[str, bytes]
) -> str:
    """Write ``ref`` as git writes a textconv cache: one parentless commit, subject
    ``validity``, whose tree maps each annotated object id to its note's blob.

    ``notes`` are entries kept as they are (id -> blob); ``contents`` are new notes
    (id -> bytes), hashed into blobs here in one process.  Returns the commit.
    """
    import tempfile

    env = clean_env()
    entries = dict(notes)
    if contents:
        with tempfile.TemporaryDirectory(prefix="gittrain-notes-") as tmp:
            paths = []
            for i, data in enumerate(contents.values()):
                path = os.path.join(tmp, str(i))
                with open(path, "wb") as handle:
                    handle.write(data)
                paths.append(path)
            out = (
                run(
                    root,
                    ["hash-object", "-w", "--no-filters", "--stdin-paths"],
                    input_bytes="\n".join(paths).encode() + b"\n",
                    env=env,
                )
                .stdout.decode()
                .split()
            )
        entries.update(zip(contents, out, strict=True))
    listing = "".join(f"100644 blob {blob}\t{name}\n" for name, blob in sorted(entries.items()))
    tree = run(root, ["mktree"], input_bytes=listing.encode(), env=env).stdout.decode().strip()
    ident = {
        "GIT_AUTHOR_NAME": "gittrain",
        "GIT_AUTHOR_EMAIL": "gittrain@localhost",
        "GIT_COMMITTER_NAME": "gittrain",
        "GIT_COMMITTER_EMAIL": "gittrain@localhost",
    }
    commit = (
        run(root, ["commit-tree", tree, "-m", validity], env=clean_env(ident))
        .stdout.decode()
        .strip()
    )
    run(root, ["update-ref", ref, commit], env=env)
    return commit


def attributes(root: Path, name: str, paths: Sequence[str]) -> dict[str, str]:
    """``git check-attr NAME`` for many paths in one process: path -> value."""
    if not paths:
        return {}
    data = b"\0".join(p.encode("utf-8", "surrogateescape") for p in paths) + b"\0"
    out = run(
        root, ["check-attr", "-z", "--stdin", name], input_bytes=data, env=clean_env()
    ).stdout.split(b"\0")
    found: dict[str, str] = {}
    for i in range(0, len(out) - 2, 3):
        found[_path(out[i])] = out[i + 2].decode("utf-8", "replace")
    return found
