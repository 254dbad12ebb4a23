"""Soak: `data status` and `experience recommend` 200 times against a changing repository, with
no growth in open files or memory beyond the caches (reliability suite)."""

from __future__ import annotations

import gc
import os
import tracemalloc

import pytest
from conftest import Cli, Repo

ROUNDS = 200

JOB = (
    "name: {name}\nrecipe: grpo_basic\nnum_gpus: 8\ndatasets: {{train: train}}\nconfig:\n"
    "  algorithm: grpo\n  learning_rate: {lr}\n  rollout_n: 8\n"
    "result:\n  status: {status}\n  metrics: {{acc: {acc}}}\n"
)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open files")
def test_status_and_recommend_do_not_leak(repo: Repo, cli: Cli) -> None:
    repo.write("data/train.jsonl", '{"prompt": "a"}\n')
    assert cli("data", "add", "data/train.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/j0.yaml", JOB.format(name="j0", lr="1.0e-6", status="completed", acc=0.5))
    repo.commit("start")
    baseline_fds = None
    baseline_mem = None
    tracemalloc.start()
    try:
        for i in range(ROUNDS):
            if i % 10 == 0:  # the repository changes under the loop: a new finished job
                name = f"j{i + 1}"
                status = "failed" if i % 30 == 0 else "completed"
                repo.write(
                    f"jobs/{name}.yaml",
                    JOB.format(name=name, lr=f"{1 + i % 5}.0e-7", status=status, acc=i / 400),
                )
                repo.commit(f"job {name}")
            if i % 7 == 0:  # and so does the dataset, back and forth
                repo.write("data/train.jsonl", '{"prompt": "a"}\n' + '{"prompt": "b"}\n' * (i % 2))
            status = cli("data", "status")
            assert status.code in (0, 1), status
            recommend = cli("experience", "recommend", "--format", "json")
            assert recommend.code == 0, recommend
            if i == 20:  # caches are warm by now
                gc.collect()
                baseline_fds = open_fds()
                baseline_mem = tracemalloc.get_traced_memory()[0]
        gc.collect()
        assert baseline_fds is not None and baseline_mem is not None
        assert open_fds() <= baseline_fds
        grown = tracemalloc.get_traced_memory()[0] - baseline_mem
        assert grown < 8 * 1024 * 1024, f"memory grew by {grown} bytes over {ROUNDS} rounds"
    finally:
        tracemalloc.stop()
