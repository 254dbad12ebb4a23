"""`make demo` runs end to end on a fresh example repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_demo_runs_and_says_where_the_repository_is(tmp_path: Path) -> None:
    target = tmp_path / "example"
    proc = subprocess.run(
        [sys.executable, "-m", "gittrain.demo", str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "!! exit code" not in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-2] == f"The example repository is at {target}"
    assert (target / "jobs/gsm8k-grpo-7b.yaml").is_file()
    assert (target / "data/gsm8k_test.parquet").read_bytes()[:4] == b"PAR1"
    log = subprocess.run(
        ["git", "-C", str(target), "log", "--oneline"], capture_output=True, text=True, check=True
    ).stdout
    assert "GRPO jobs for GSM8K" in log
    message = subprocess.run(
        ["git", "-C", str(target), "log", "-1", "--format=%B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "  gittrain.lock: dataset gsm8k_hard added [critical]\n" in message
    assert "config.learning_rate 1e-06 → 5e-07 (×0.5, -50%) [critical]" in message
    assert "commit blocked: 2 errors" in proc.stdout
    # Every capability was toured, and each section found what it shows.
    out = proc.stdout
    for heading in (
        "Recipes and validation",
        "Hooks:",
        "Semantic diffs",
        "Datasets:",
        "Jobs and",
        "Framework configs",
    ):
        assert f"== {heading}" in out, heading
    # Framework configs are read in their dialects; findings point at the native keys.
    assert "configs/axolotl/dpo.yaml:19:1: error: learning_rate: learning rate 3" in out
    assert "configs/trl/grpo.yaml:7:1: error: num_generations: GRPO needs at least 2" in out
    assert "responses per step (prompts x group size): 5120 → 8192" in out
    lock = (target / "gittrain.lock").read_text()
    for fmt in ("jsonl", "parquet", "csv", "json", "dir"):
        assert f"format: {fmt}\n" in lock, fmt
    assert "gsm8k@gsm8k-v1 (sha256 " in out and ": 3 jobs" in out  # its GRPO runs
    assert "data: changed (size +3,375 bytes, samples +50)" in out
    assert "-config.learning_rate = 1e-06  # critical" in out  # plain git diff via textconv
    assert "### Jobs that used the changed recipes" in out
    assert re.search(r"\n +modified +preferences +data/preferences\.csv", out)


def test_demo_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "gittrain.demo", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"error: {tmp_path} is not empty\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
