"""`git train install --diff` pre-fills git's textconv cache: the first `git log -p` is warm."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import Cli, Repo

from gittrain.commands.textconv_cache import prefill

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"
BIN = Path(sys.executable).parent


def _history(repo: Repo) -> None:
    repo.write("configs/a.yaml", (FIXTURES / "trl/valid/dpo_full.yaml").read_text())
    repo.write("notes/readme.yaml", "x: 1\n")  # not a config path: never converted
    repo.commit("base")
    for i in range(1, 5):
        text = (repo.root / "configs/a.yaml").read_text()
        repo.write("configs/a.yaml", text.replace(f"beta: 0.{i}", f"beta: 0.{i + 1}"))
        repo.commit(f"beta {i}")


def _log(repo: Repo, tmp_path: Path, *extra: str) -> tuple[str, int]:
    """`git log -p` through a driver wrapper that counts how often git runs it."""
    wrapper = tmp_path / "bin" / "git-train-textconv"
    wrapper.parent.mkdir(exist_ok=True)
    count = tmp_path / "runs"
    wrapper.write_text(
        f'#!/bin/sh\necho run >> "{count}"\nexec "{BIN / "git-train-textconv"}" "$@"\n'
    )
    wrapper.chmod(0o755)
    if count.exists():
        count.unlink()
    env = {
        **os.environ,
        "PATH": f"{wrapper.parent}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    out = subprocess.run(
        ["git", "-C", str(repo.root), *extra, "log", "-p", "--", "configs", "notes"],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    runs = len(count.read_text().splitlines()) if count.exists() else 0
    return out, runs


def test_the_first_log_after_install_runs_no_driver(repo: Repo, cli: Cli, tmp_path: Path) -> None:
    _history(repo)
    result = cli("install", "--diff", cwd=repo.root)
    assert result.code == 0, result
    assert "textconv cache: 5 config versions converted now (0 already cached)" in result.out
    cached, runs = _log(repo, tmp_path)
    assert runs == 0  # every version was converted at install, in one process
    fresh, runs = _log(repo, tmp_path, "-c", "diff.gittrain.cachetextconv=false")
    assert runs >= 5  # without the cache: a driver process per side shown
    assert cached == fresh  # what the cache holds is what the driver prints
    assert "-beta = 0.4  # important\n+beta = 0.5  # important" in cached


def test_a_second_install_converts_only_what_is_new(repo: Repo, cli: Cli) -> None:
    _history(repo)
    cli("install", "--diff", cwd=repo.root)
    again = prefill(repo.root)
    assert (again.converted, again.cached) == (0, 5)
    text = (repo.root / "configs/a.yaml").read_text()
    repo.write("configs/a.yaml", text.replace("beta: 0.5", "beta: 0.7"))
    repo.commit("beta 5")
    assert prefill(repo.root).converted == 1
    assert prefill(repo.root, limit=0).converted == 0


def test_new_rules_mean_a_new_cache(repo: Repo, cli: Cli, tmp_path: Path) -> None:
    _history(repo)
    cli("install", "--diff", cwd=repo.root)
    repo.write(
        ".gittrain.yaml", "version: 1\ndiff:\n  rules:\n    - {match: beta, tier: critical}\n"
    )
    repo.commit("rules")
    result = cli("install", "--diff", cwd=repo.root)
    assert "config versions converted now (0 already cached)" in result.out
    cached, runs = _log(repo, tmp_path)
    assert runs == 0
    assert "+beta = 0.5  # critical" in cached  # the new rules, not a stale conversion


def test_a_driver_of_the_users_own_is_left_alone(repo: Repo) -> None:
    _history(repo)
    repo.git("config", "diff.gittrain.textconv", "cat")
    assert prefill(repo.root).converted == 0
    assert repo.git("for-each-ref", "refs/notes/") == ""
