"""Mining reads each distinct config once: a shared reading equals a fresh one, always."""

from __future__ import annotations

import gc

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
