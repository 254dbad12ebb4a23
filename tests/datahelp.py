"""Helpers shared by the dataset lockfile tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gittrain.cli import cli

# A valid GRPO job config (schema, rules and batch arithmetic all agree), as YAML text
# values for job templates; tests override single keys.
GRPO_CONFIG = {
    "algorithm": "grpo",
    "learning_rate": "1.0e-6",
    "global_batch_size": "1024",
    "per_device_batch_size": "4",
    "gradient_accumulation_steps": "32",
    "max_steps": "200",
    "warmup_steps": "10",
    "context_length": "4096",
    "max_prompt_length": "1024",
    "max_response_length": "3072",
    "rollout_n": "8",
    "kl_coef": "0.001",
}


def run(root: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(root)
    return CliRunner().invoke(cli, list(args))


def write_jsonl(path: Path, n: int, extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"prompt": f"q{i}{extra}", "answer": i}) + "\n")
    return path


def age(path: Path, seconds: float = 10.0) -> None:
    """Move mtime into the past so the stat cache does not treat the file as racy."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def stat_cache_file(root: Path, dataset: str) -> Path:
    """Where the stat cache keeps ``dataset`` (a path as the lockfile names it)."""
    from gittrain.core.data.statcache import StatCache

    return StatCache.load(root / ".git").path_of(dataset)


def edit_stat_cache(root: Path, dataset: str, rel: str, *, ctime_ns: int) -> None:
    """Rewrite one file's cached ctime, as a well-formed cache file (checksum and all)."""
    import struct

    from gittrain.core.data import statcache

    file = stat_cache_file(root, dataset)
    section = statcache._read(file, dataset)
    assert section is not None
    names = section.names.decode().split("\0")
    i = names.index(rel)
    times = bytearray(section.times)
    struct.pack_into("q", times, 8 * (3 * i + 2), ctime_ns)
    section.times = bytes(times)
    file.write_bytes(section.encode(dataset))
