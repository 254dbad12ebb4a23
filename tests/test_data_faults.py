"""Faults, for real: kill -9 mid-write, EFBIG, concurrent writers, data changing under us."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gittrain import snapshot_dataset
from gittrain.core.data import hashing
from gittrain.core.data.lockfile import parse
from gittrain.errors import GittrainError
from tests.conftest import Repo
from tests.datahelp import write_jsonl

GIT_TRAIN = [sys.executable, "-m", "gittrain"]


def git_train(repo: Repo, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*GIT_TRAIN, *args],
        cwd=repo.root,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def finish(proc: subprocess.Popen[str]) -> int:
    proc.communicate(timeout=120)
    return proc.returncode


def temps(repo: Repo) -> list[Path]:
    return sorted(repo.root.glob(".gittrain.lock.*.tmp"))


def test_kill_9_during_the_write_leaves_the_old_lockfile(repo: Repo) -> None:
    write_jsonl(repo.root / "data/a.jsonl", 5)
    write_jsonl(repo.root / "data/b.jsonl", 6)
    first = git_train(repo, "data", "add", "data/a.jsonl")
    assert finish(first) == 0
    before = (repo.root / "gittrain.lock").read_bytes()
    proc = git_train(repo, "data", "add", "data/b.jsonl", env={"GITTRAIN_TEST_WRITE_DELAY": "30"})
    deadline = time.monotonic() + 20
    while not temps(repo):
        assert time.monotonic() < deadline and proc.poll() is None, "writer never got going"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert finish(proc) == -signal.SIGKILL
    assert (repo.root / "gittrain.lock").read_bytes() == before
    assert temps(repo)  # the killed writer's temp file, complete but never renamed
    # The next writer (holding the lock) clears the stale temp file and succeeds.
    again = git_train(repo, "data", "add", "data/b.jsonl")
    assert finish(again) == 0
    assert not temps(repo)
    lock = parse((repo.root / "gittrain.lock").read_text(), "gittrain.lock")
    assert sorted(lock.datasets) == ["a", "b"]


LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from gittrain.cli import main
main(sys.argv[2:])
"""


def test_efbig_write_fails_cleanly(repo: Repo) -> None:
    write_jsonl(repo.root / "data/a.jsonl", 5)
    write_jsonl(repo.root / "data/b.jsonl", 5)
    assert finish(git_train(repo, "data", "add", "data/a.jsonl")) == 0
    before = (repo.root / "gittrain.lock").read_bytes()
    limit = len(before) + 200  # the new entry (with a long description) cannot fit
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            LIMITED,
            str(limit),
            "data",
            "add",
            "data/b.jsonl",
            "--description",
            "x" * 2000,
        ],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        "error: gittrain.lock: cannot write: File too large; the old lockfile is unchanged\n"
    )
    assert (repo.root / "gittrain.lock").read_bytes() == before
    assert not temps(repo)


def test_four_concurrent_adds_lose_nothing(repo: Repo) -> None:
    names = [f"part{i}" for i in range(4)]
    for i, name in enumerate(names):
        write_jsonl(repo.root / f"data/{name}.jsonl", 2000 + i)
    procs = [git_train(repo, "data", "add", f"data/{name}.jsonl") for name in names]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    lock = parse((repo.root / "gittrain.lock").read_text(), "gittrain.lock")
    assert sorted(lock.datasets) == names
    assert [lock.datasets[n].num_samples for n in names] == [2000, 2001, 2002, 2003]
    assert not temps(repo)


def test_file_modified_during_hashing_is_not_recorded(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(repo.root / "data/a.jsonl", 20000)
    monkeypatch.setattr(hashing, "CHUNK", 4096)
    monkeypatch.setattr(hashing, "STREAM_BLOCK", 4096)
    calls = []

    def meddle(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            with open(path, "a") as f:
                f.write('{"prompt": "late", "answer": 0}\n')

    with pytest.raises(GittrainError, match=r"^data/a.jsonl: changed while it was being hashed"):
        snapshot_dataset("data/a.jsonl", root=repo.root, progress=meddle)
    assert not (repo.root / "gittrain.lock").exists()


def test_file_modified_between_hash_and_count_is_not_recorded(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.core.data import counting

    path = write_jsonl(repo.root / "data/a.jsonl", 50)
    real = counting.count

    def count_then_touch(p: Path, fmt: str, display: str) -> counting.Counted:
        result = real(p, fmt, display)
        with open(path, "a") as f:
            f.write('{"prompt": "late"}\n')
        return result

    monkeypatch.setattr(counting, "count", count_then_touch)
    with pytest.raises(
        GittrainError, match=r"^data/a.jsonl: changed while it was being (read|hashed)"
    ):
        snapshot_dataset("data/a.jsonl", root=repo.root)
    assert not (repo.root / "gittrain.lock").exists()


def test_a_count_error_stops_the_hashing_thread(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(repo.root / "data/a.jsonl", 20000)
    path.write_text('{"a": 1}\n{broken\n' + path.read_text())
    monkeypatch.setattr(hashing, "CHUNK", 4096)
    monkeypatch.setattr(hashing, "STREAM_BLOCK", 4096)
    hashed: list[int] = []

    def slow_hash(n: int) -> None:  # about a second for the whole file
        hashed.append(n)
        time.sleep(0.004)

    with pytest.raises(GittrainError, match=r"^data/a.jsonl:2: malformed JSON record"):
        snapshot_dataset("data/a.jsonl", root=repo.root, progress=slow_hash)
    assert sum(hashed) < path.stat().st_size  # it stopped early


def test_change_before_the_hash_thread_starts_is_caught(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash thread can start after the count; both must see the same bytes."""
    from gittrain.core.data import fingerprint as fingerprint_module

    path = write_jsonl(repo.root / "data/a.jsonl", 50)
    real = fingerprint_module.fingerprint_walk

    def late_hash(*args: object, **kwargs: object) -> object:
        with open(path, "a") as f:  # the file changes before hashing begins
            f.write('{"prompt": "late"}\n')
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprint_module, "fingerprint_walk", late_hash)
    with pytest.raises(GittrainError, match=r"^data/a.jsonl: changed while it was being read"):
        snapshot_dataset("data/a.jsonl", root=repo.root)
    assert not (repo.root / "gittrain.lock").exists()
