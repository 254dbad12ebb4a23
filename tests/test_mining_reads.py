"""Mining reads each distinct config once: a shared reading equals a fresh one, always."""

from __future__ import annotations

import gc
import json

import pytest
from conftest import Repo

from gittrain.core import settings
from gittrain.core.runs import mining
from gittrain.core.runs.history import IdeaReader, parse_job

BATCH = ["1024", "1024.0", "'1024'", "true", "[1024]", "{a: 1}", "null"]


def _job(status: str, batch: str, *, framework: str = "", gpus: str = "8") -> bytes:
    text = f"name: a\nrecipe: grpo_basic\nnum_gpus: {gpus}\n{framework}"
    text += f"config:\n  algorithm: grpo\n  learning_rate: 1.0e-6\n  global_batch_size: {batch}\n"
    text += f"  per_device_batch_size: 4\nresult:\n  status: {status}\n"
    return text.encode()


def test_a_shared_reading_equals_a_fresh_one() -> None:
    conf = settings.Settings()
    shared = IdeaReader(conf)
    raws = [
        _job(status, batch, framework=framework, gpus=gpus)
        for status in ("completed", "failed", "running")
        for batch in BATCH
        for framework in ("", "framework: trl\n")
        for gpus in ("8", "8.0", "4")
    ]
    seen = set()
    for raw in raws * 2:
        entry = parse_job(raw, shared)
        assert entry == parse_job(raw, IdeaReader(conf))
        if entry.get("ideas"):
            seen.add(repr(entry["ideas"]["v"]))
    assert len(seen) > 4  # the configs above do read differently


def test_a_shared_reading_is_a_copy() -> None:
    reader = IdeaReader(settings.Settings())
    first = parse_job(_job("completed", "1024"), reader)
    first["ideas"]["v"]["learning_rate"] = 99.0
    again = parse_job(_job("failed", "1024"), reader)
    assert again["ideas"]["v"]["learning_rate"] == 1.0e-6


def test_mining_leaves_the_collector_as_it_found_it(repo: Repo) -> None:
    repo.write("jobs/a.yaml", "name: a\nresult: {status: completed}\n")
    repo.commit("a")
    conf = settings.Settings()
    assert gc.isenabled()
    mining.mine(repo.root, conf)
    assert gc.isenabled()
    gc.disable()
    try:
        (repo.root / ".git/gittrain/history-head.json").unlink()
        mining.mine(repo.root, conf)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_version_that_is_not_a_run_keeps_only_its_status(repo: Repo) -> None:
    repo.write("jobs/a.yaml", "name: a\nresult: {status: running}\n")
    repo.commit("a runs")
    repo.write("jobs/a.yaml", "name: a\nresult: {status: completed, metrics: {acc: 0.5}}\n")
    repo.commit("a done")
    conf = settings.Settings()
    assert len(mining.mine(repo.root, conf).runs) == 1
    cache = repo.root / ".git/gittrain"
    blobs = json.loads((cache / "history-cache.json").read_bytes())["blobs"]
    pinned = json.loads((cache / "history-head.json").read_bytes())["pinned"]
    assert [sorted(entry) for entry in blobs.values()] == [["fin", "k", "status"]]
    assert [len(entry) > 3 for entry in pinned.values()] == [True]  # the run, beside the walk


@pytest.mark.parametrize(
    "forged",
    [
        {"k": "job", "status": "completed", "fin": None},  # a run cannot be this short
        {"k": "job", "status": "failed", "fin": "2026-01-01"},
        {"k": "job", "status": "bogus", "fin": None},
        {"k": "job", "status": "running", "fin": 5},
        {"k": "job", "status": 7, "fin": None},
        {"k": "lock", "status": "running", "fin": None},
    ],
)
def test_a_forged_short_entry_is_read_again(repo: Repo, forged: dict[str, object]) -> None:
    repo.write("jobs/a.yaml", "name: a\nresult: {status: running}\n")
    repo.commit("a runs")
    repo.write("jobs/a.yaml", "name: a\nresult: {status: completed, metrics: {acc: 0.5}}\n")
    repo.commit("a done")
    conf = settings.Settings()
    expected = mining.mine(repo.root, conf)
    assert len(expected.runs) == 1
    path = repo.root / ".git/gittrain/history-cache.json"
    data = json.loads(path.read_bytes())
    data["blobs"] = {blob: forged for blob in data["blobs"]}
    path.write_text(json.dumps(data))
    (repo.root / ".git/gittrain/history-head.json").unlink()
    assert mining.mine(repo.root, conf) == expected
