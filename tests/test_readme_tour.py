"""The README's tour and install snippets run as written, in a fresh repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def _block(heading: str, index: int = 0) -> str:
    section = README.split(heading, 1)[1]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return blocks[index]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    for var in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(var, None)
    return env


def test_the_tour_runs_top_to_bottom(tmp_path: Path) -> None:
    script = _block("## A 5-minute tour")
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", "set -x\n" + script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    repo = tmp_path / "gsm8k-rl"
    assert (repo / ".gittrain/job.schema.json").stat().st_size > 100
    assert (repo / "jobs/grpo-a-seed2.yaml").is_file()
    # The tour's commits went through the installed pre-commit hook.
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert log[-1] == "GRPO on GSM8K, 7B" and "grpo-a: 0.71 on GSM8K" in log


def test_the_pre_commit_snippet_names_a_revision_that_exists(tmp_path: Path) -> None:
    snippet = _block("### With pre-commit")
    script = snippet.replace("GITTRAIN=~/src/gittrain", f"GITTRAIN={PROJECT}", 1)
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=_env(), check=True)
    config = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    (entry,) = config["repos"]
    assert entry["repo"] == str(PROJECT)
    subprocess.run(
        ["git", "-C", str(PROJECT), "cat-file", "-e", f"{entry['rev']}^{{commit}}"], check=True
    )
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in entry["hooks"]} <= {h["id"] for h in hooks}


def test_nothing_tells_users_to_pip_install_from_an_index() -> None:
    assert not re.search(r"pip install gittrain\b(?! @)", README)
