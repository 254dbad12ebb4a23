"""Faults run for real in subprocesses: a crash while serialising, a writer killed while it holds
the lock. In each, nothing is lost and the next command works (reliability suite)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from conftest import Repo

PYTHON = sys.executable


def git_train(repo: Repo, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "gittrain", *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def locked_repo(repo: Repo) -> str:
    repo.write("data/a.jsonl", '{"prompt": "a"}\n')
    assert git_train(repo, "data", "add", "data/a.jsonl").returncode == 0
    repo.commit("lock a")
    return (repo.root / "gittrain.lock").read_text()


def test_exception_while_serialising_keeps_the_old_lockfile(repo: Repo) -> None:
    before = locked_repo(repo)
    repo.write("data/b.jsonl", '{"prompt": "b"}\n')
    crash = textwrap.dedent(
        """
        import sys
        import gittrain.core.data.lockfile as lockfile
        def broken(lock):
            raise RuntimeError("serialiser blew up")
        lockfile.render = broken
        from gittrain.cli import main
        main(["data", "add", "data/b.jsonl"])
        """
    )
    proc = subprocess.run(
        [PYTHON, "-c", crash], cwd=repo.root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 3, proc.stderr
    assert "internal error, please report" in proc.stderr
    assert (repo.root / "gittrain.lock").read_text() == before
    assert sorted(p.name for p in repo.root.iterdir()) == [".git", "data", "gittrain.lock"]
    after = git_train(repo, "data", "add", "data/b.jsonl")
    assert after.returncode == 0, after.stderr
    assert "b:" in (repo.root / "gittrain.lock").read_text()


def test_a_process_that_dies_holding_the_lock_does_not_block_the_next(repo: Repo) -> None:
    locked_repo(repo)
    holder = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from gittrain.core.data import lockstore
        from gittrain.core.atomic import exclusive_lock
        with exclusive_lock(lockstore.lock_path(Path("."))):
            print("locked", flush=True)
            time.sleep(60)
        """
    )
    with subprocess.Popen(
        [PYTHON, "-c", holder],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    repo.write("data/c.jsonl", '{"prompt": "c"}\n')
    start = time.perf_counter()
    result = git_train(repo, "data", "add", "data/c.jsonl", timeout=30)
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - start < 20
    lock = (repo.root / "gittrain.lock").read_text()
    assert "  a:" in lock and "  c:" in lock


def test_concurrent_finishes_of_one_job_keep_every_result(repo: Repo) -> None:
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: grpo_basic\nnum_gpus: 8\nconfig:\n  algorithm: grpo\n"
        "  learning_rate: 1.0e-6\n  rollout_n: 8\n",
    )
    repo.commit("job a")
    # Each writer sleeps between writing its temp file and the rename, so without the
    # lock every process reads the job before any of them has written it.
    env = {**os.environ, "GITTRAIN_TEST_WRITE_DELAY": "0.4"}
    api = "import gittrain, sys; gittrain.record_result('a', status='completed', metrics={sys.argv[1]: 1.5})"
    commands = [
        [PYTHON, "-m", "gittrain", "job", "finish", "a", "--status", "completed",
         "--metric", f"cli{i}={i}"]
        for i in range(3)
    ] + [[PYTHON, "-c", api, f"api{i}"] for i in range(2)]  # fmt: skip
    procs = [
        subprocess.Popen(argv, cwd=repo.root, env=env, stderr=subprocess.PIPE, text=True)
        for argv in commands
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    from gittrain.adapters import yamlio

    data = yamlio.load_file(repo.root / "jobs/a.yaml", "jobs/a.yaml").data
    assert isinstance(data, dict)
    assert data["result"]["metrics"] == {
        "cli0": 0, "cli1": 1, "cli2": 2, "api0": 1.5, "api1": 1.5
    }  # fmt: skip
    assert sorted(p.name for p in (repo.root / "jobs").iterdir()) == ["a.yaml"]
