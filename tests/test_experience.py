"""Mining run records from history, and the experience commands built on them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.runs.historycache import HISTORY_FORMAT
from gittrain.core.runs.mining import mine

LOCK = """\
version: 1
datasets:
  gsm8k:
    path: data/gsm8k.jsonl
    format: jsonl
    sha256: {sha}
    hash_algorithm: sha256
    size: 10
    size_mb: 0.0
    num_samples: 1
    columns: {{}}
    description: ""
    tags: []
    created_at: "2026-01-01T00:00:00Z"
    modified_at: "2026-01-01T00:00:00Z"
"""


def job(
    name: str,
    status: str | None,
    *,
    recipe: str = "grpo_basic",
    lr: float = 1e-6,
    metrics: str = "",
    finished: str = "",
    extra: str = "",
) -> str:
    text = (
        f"name: {name}\nrecipe: {recipe}\nmodel_size: 7B\nnum_gpus: 8\n"
        "datasets:\n  train: gsm8k\n"
        f"config:\n  algorithm: grpo\n  learning_rate: {lr}\n  global_batch_size: 1024\n"
        f"  lr_scheduler: constant\n{extra}"
    )
    if status is not None:
        text += f"result:\n  status: {status}\n"
        if metrics:
            text += f"  metrics: {{{metrics}}}\n"
        if finished:
            text += f"  finished_at: '{finished}'\n"
    return text


def runs(repo: Repo) -> list[tuple[str, str, str | None]]:
    history = mine(repo.root, settings.load(repo.root))
    return [(r.job, r.commit, r.version.status) for r in history.runs]


def test_a_run_is_the_commit_where_the_status_became_terminal(repo: Repo) -> None:
    repo.write("jobs/a.yaml", job("a", "pending"))
    repo.commit("new")
    repo.write("jobs/a.yaml", job("a", "running"))
    repo.commit("running")
    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: 0.5"))
    done = repo.commit("done")
    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: 0.5", extra="  seed: 1\n"))
    repo.commit("edit without a new result")
    repo.write("jobs/b.yaml", job("b", None))  # a job with no result is not a run
    repo.commit("b")
    assert runs(repo) == [("a", done, "completed")]


def test_rerun_with_a_new_finish_time_counts_again(repo: Repo) -> None:
    repo.write("jobs/a.yaml", job("a", "failed", finished="2026-01-01T00:00:00Z"))
    first = repo.commit("failed")
    repo.write("jobs/a.yaml", job("a", "completed", finished="2026-01-02T00:00:00Z"))
    second = repo.commit("rerun")
    assert runs(repo) == [("a", first, "failed"), ("a", second, "completed")]


def test_deleted_jobs_count_and_renames_are_followed(repo: Repo) -> None:
    repo.write("jobs/old.yaml", job("old", "running", lr=2e-6))
    repo.commit("start")
    repo.git("mv", "jobs/old.yaml", "jobs/new.yaml")
    repo.write("jobs/new.yaml", job("new", "running", lr=2e-6))
    repo.commit("rename")
    repo.write("jobs/new.yaml", job("new", "completed", lr=2e-6))
    done = repo.commit("done")
    repo.git("mv", "jobs/new.yaml", "jobs/newer.yaml")
    repo.write("jobs/newer.yaml", job("newer", "completed", lr=2e-6))
    repo.commit("rename a finished job: not a new run")
    repo.write("jobs/gone.yaml", job("gone", "cancelled"))
    gone = repo.commit("gone")
    repo.git("rm", "-q", "jobs/gone.yaml")
    repo.commit("delete")
    assert runs(repo) == [("new", done, "completed"), ("gone", gone, "cancelled")]


def test_invalid_old_versions_are_skipped_and_reported(cli: Cli, repo: Repo) -> None:
    repo.write("jobs/a.yaml", "name: a\nconfig: [unclosed\n")
    broken = repo.commit("broken")
    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: high"))
    bad_metric = repo.commit("bad metric")
    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: 0.7"))
    good = repo.commit("fixed")
    history = mine(repo.root, settings.load(repo.root))
    assert [(s.commit, s.path) for s in history.skipped] == [
        (broken, "jobs/a.yaml"),
        (bad_metric, "jobs/a.yaml"),
    ]
    assert "result.metrics.acc: expected a number" in history.skipped[1].message
    assert [(r.job, r.commit) for r in history.runs] == [("a", good)]
    result = cli("experience", "recommend", cwd=repo.root)
    assert result.code == 0, result
    assert f"{bad_metric[:7]}:jobs/a.yaml:" in result.err
    assert "skipped 2 job versions" in result.err


def test_datasets_resolve_against_the_lockfile_of_the_same_commit(repo: Repo) -> None:
    repo.write("gittrain.lock", LOCK.format(sha="a" * 64))
    repo.write("jobs/a.yaml", job("a", "completed"))
    repo.commit("first")
    repo.write("gittrain.lock", LOCK.format(sha="b" * 64))
    repo.write("jobs/b.yaml", job("b", "completed"))
    repo.commit("second")
    history = mine(repo.root, settings.load(repo.root))
    assert [(r.job, r.datasets[0].name, r.datasets[0].sha256) for r in history.runs] == [
        ("a", "gsm8k", "a" * 64),
        ("b", "gsm8k", "b" * 64),
    ]


def test_merge_that_changed_the_same_job_on_both_sides(repo: Repo) -> None:
    repo.write("jobs/a.yaml", job("a", "pending"))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: 0.9"))
    side = repo.commit("side finished it")
    repo.git("checkout", "-q", "main")
    repo.write("jobs/a.yaml", job("a", "running"))
    repo.commit("main started it")
    repo.git("merge", "-q", "side", "-m", "merge", check=False)
    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: 0.9"))
    merge = repo.commit("merge")
    first = runs(repo)
    assert first == [("a", merge, "completed")]  # first-parent: the merge made it terminal
    assert side not in [c for _, c, _ in first]
    assert runs(repo) == first  # deterministic (and the cache gives the same answer)


def test_empty_repository_and_no_jobs(cli: Cli, repo: Repo) -> None:
    result = cli("experience", "recommend", cwd=repo.root)
    assert result.code == 0, result
    assert result.err == "no history: the repository has no commits yet\n"
    assert result.out == "no recipe has finished runs matching these filters\n"
    repo.write("README.md", "x")
    head = repo.commit("docs")
    result = cli("experience", "recommend", "--format", "json", cwd=repo.root)
    assert json.loads(result.out)["recipes"] == [] and json.loads(result.out)["head"] == head
    best = cli("experience", "best", "--recipe", "grpo_basic", cwd=repo.root)
    assert_one_line_error(best, 1, "no finished runs of recipe 'grpo_basic'")


def test_shallow_clone_says_where_history_is_cut(repo: Repo, tmp_path: Path, cli: Cli) -> None:
    for i in range(3):
        repo.write(f"jobs/j{i}.yaml", job(f"j{i}", "completed", metrics=f"acc: 0.{i + 1}"))
        repo.commit(f"j{i}")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.root}", str(clone)], check=True
    )
    cut = gitrepo.shallow_boundary(clone)
    assert len(cut) == 1
    history = mine(clone, settings.load(clone))
    assert [(r.job, r.at_boundary) for r in history.runs] == [
        ("j0", True),
        ("j1", True),
        ("j2", False),
    ]
    result = cli("experience", "recommend", "--format", "json", cwd=clone)
    assert json.loads(result.out)["shallow_boundary"] == list(cut)
    text = cli("experience", "recommend", cwd=clone)
    assert f"history is cut at {cut[0][:7]}" in text.err


def test_corrupt_or_foreign_cache_is_rebuilt(repo: Repo) -> None:
    repo.write("jobs/a.yaml", job("a", "completed"))
    repo.commit("a")
    expected = runs(repo)
    for name in ("history-cache.json", "history-head.json"):
        cache = repo.root / ".git/gittrain" / name
        assert cache.is_file()
    caches = [repo.root / ".git/gittrain" / n for n in ("history-cache.json", "history-head.json")]
    for junk in (b"{not json", b'{"format": 999, "blobs": {}}', b"[]", b""):
        for cache in caches:
            cache.write_bytes(junk)
        assert runs(repo) == expected
        assert [json.loads(c.read_bytes())["format"] for c in caches] == [HISTORY_FORMAT] * 2
    # An entry of the right format but the wrong shape cannot crash mining either.
    for cache, key in zip(caches, ("blobs", "pinned"), strict=True):
        data = json.loads(cache.read_bytes())
        data[key] = {k: {"k": "job"} for k in data[key]}
        cache.write_text(json.dumps(data))
    assert runs(repo) == expected


def _history(repo: Repo) -> dict[str, str]:
    """Three recipes' worth of finished runs; returns job -> commit."""
    made = {}
    plan = [
        ("g1", "grpo_basic", "completed", 5e-7, "acc: 0.8"),
        ("g2", "grpo_basic", "completed", 5e-7, "acc: 0.7"),
        ("g3", "grpo_basic", "completed", 4e-7, "acc: 0.6"),
        ("g4", "grpo_basic", "failed", 1e-5, ""),
        ("d1", "dpo_basic", "completed", 5e-7, "acc: 0.5"),
        ("d2", "dpo_basic", "failed", 5e-7, ""),
        ("s1", "sft_basic", "completed", 2e-5, "acc: 0.4, loss: 1.2"),
    ]
    for name, recipe, status, lr, metrics in plan:
        repo.write(f"jobs/{name}.yaml", job(name, status, recipe=recipe, lr=lr, metrics=metrics))
        made[name] = repo.commit(name)
    return made


def test_recommend_ranks_by_success_rate_then_count(cli: Cli, repo: Repo) -> None:
    made = _history(repo)
    result = cli("experience", "recommend", "--format", "json", cwd=repo.root)
    data = json.loads(result.out)
    assert [
        (r["recipe"], r["total"], r["completed"], r["success_rate"]) for r in data["recipes"]
    ] == [
        ("sft_basic", 1, 1, 1.0),
        ("grpo_basic", 4, 3, 0.75),
        ("dpo_basic", 2, 1, 0.5),
    ]
    grpo = data["recipes"][1]
    assert grpo["learning_rate"]["median"] == 5e-7
    assert grpo["learning_rate"]["runs"] == [f"g{i}@{made[f'g{i}'][:7]}" for i in (1, 2, 3)]
    limited = json.loads(
        cli("experience", "recommend", "--min-success-count", "2", "--format", "json",
            cwd=repo.root).out
    )  # fmt: skip
    assert [r["recipe"] for r in limited["recipes"]] == ["grpo_basic"]
    text = cli("experience", "recommend", "--limit", "1", cwd=repo.root).out
    assert text.startswith(
        "model size 3B-14B (7 runs):\n"
        "  sft_basic: 1 run, 1 completed, 0 failed, 0 cancelled; success 100%\n"
    )
    by_task = json.loads(
        cli("experience", "recommend", "--task-type", "dpo", "--format", "json", cwd=repo.root).out
    )
    assert [r["recipe"] for r in by_task["recipes"]] == ["dpo_basic"]


def test_best_cites_commits_and_key_parameters(cli: Cli, repo: Repo) -> None:
    made = _history(repo)
    result = cli("experience", "best", "--recipe", "grpo_basic", "--metric", "acc", "--top", "3",
                 cwd=repo.root)  # fmt: skip
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == "best runs by acc, highest first:"
    assert lines[1].startswith(f"1. acc=0.8  g1@{made['g1'][:7]}  ")
    # Each run shows what sets it apart (ideas of the canonical view: global_batch_size reads as
    # global_batch); what all three share is printed once (issue 11).
    assert lines[2] == "   learning_rate=5e-07"
    assert lines[3].startswith(f"2. acc=0.7  g2@{made['g2'][:7]}")
    assert lines[6] == "   learning_rate=4e-07"
    assert lines[7].startswith("all 3 runs: ")
    assert "scheduler=constant" in lines[7] and "learning_rate" not in lines[7]
    assert "scheduler=constant" not in "".join(lines[:7])
    one = cli("experience", "best", "--recipe", "grpo_basic", "--metric", "acc", "--top", "1",
              cwd=repo.root).out.splitlines()  # fmt: skip
    assert "learning_rate=5e-07" in one[2] and "scheduler=constant" in one[2]
    assert len(one) == 3
    low = json.loads(
        cli("experience", "best", "--algorithm", "grpo", "--metric", "acc", "--minimize",
            "--format", "json", cwd=repo.root).out
    )  # fmt: skip
    assert [r["job"] for r in low["runs"]][:2] == ["s1", "d1"]
    missing = cli("experience", "best", "--recipe", "grpo_basic", "--metric", "bleu", cwd=repo.root)
    assert_one_line_error(missing, 1, "no completed run recorded metric 'bleu'", "acc")
    usage = cli("experience", "best", "--metric", "acc", cwd=repo.root)
    assert_one_line_error(usage, 2, "--recipe")


def test_suggest_with_evidence_and_when_history_is_thin(cli: Cli, repo: Repo) -> None:
    made = _history(repo)
    repo.write("jobs/next.yaml", job("next", "pending", lr=1e-6))
    result = cli("experience", "suggest", "next", cwd=repo.root)
    assert result.code == 0, result
    cites = ", ".join(f"{j}@{made[j][:7]}" for j in ("g1", "g2", "g3"))
    assert (
        f"- learning_rate 1e-06 is 2x the median of the top 3 runs (5e-07: jobs {cites}); "
        "consider 5e-07"
    ) in result.out.splitlines()
    repo.write("jobs/dpo.yaml", job("dpo", "pending", recipe="dpo_basic"))
    thin = cli("experience", "suggest", "dpo", "--format", "json", cwd=repo.root)
    data = json.loads(thin.out)
    assert data["suggestions"] == []
    assert data["note"].startswith("too little history to suggest anything: 1 completed run of")
    assert_one_line_error(cli("experience", "suggest", "ghost", cwd=repo.root), 1, "'ghost'")
    assert_one_line_error(cli("experience", "suggest", "next@zzz", cwd=repo.root), 2, "'zzz'")


def test_similar_explains_each_match(cli: Cli, repo: Repo) -> None:
    made = _history(repo)
    repo.write("jobs/next.yaml", job("next", "pending", lr=5e-7))
    result = cli("experience", "similar", "next", "--top", "2", "--format", "json", cwd=repo.root)
    matches = json.loads(result.out)["matches"]
    assert [m["job"] for m in matches] == ["g2", "g1"]  # equal scores: newest first
    assert matches[0]["commit"] == made["g2"]
    assert {"key": "config.learning_rate", "value": 5e-7} in matches[0]["agree"]
    # Learning rates are compared on a log scale: 1e-5 is nearer 2e-5 (SFT) than 5e-7 (GRPO).
    text = cli("experience", "similar", "g4", "--top", "1", cwd=repo.root).out.splitlines()
    assert f"s1@{made['s1'][:7]}  completed" in text[0]
    assert (
        text[2] == "   differs: recipe grpo_basic vs sft_basic, config.learning_rate 1e-05 vs 2e-05"
    )


@pytest.mark.parametrize("command", ["recommend", "best", "suggest", "similar"])
def test_every_experience_command_has_help(cli: Cli, command: str) -> None:
    assert cli("experience", command, "-h").code == 0


def test_ctrl_c_while_the_cache_is_written_leaves_no_partial_output(repo: Repo) -> None:
    import os
    import signal
    import sys
    import time

    repo.write("jobs/a.yaml", job("a", "completed", metrics="acc: 0.5"))
    repo.commit("a")
    cache_dir = repo.root / ".git/gittrain"
    env = {**os.environ, "GITTRAIN_TEST_WRITE_DELAY": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gittrain", "experience", "recommend"],
        cwd=repo.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not list(cache_dir.glob(".history-cache.json.*.tmp")):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert out == b""
    assert err == b"interrupted\n"
    assert list(cache_dir.iterdir()) == []  # no cache, no temp file


def _fresh(repo: Repo) -> list[tuple[str, str, str | None]]:
    for name in ("history-cache.json", "history-head.json"):
        (repo.root / ".git/gittrain" / name).unlink(missing_ok=True)
    return runs(repo)


def test_checkpoint_walks_only_new_commits_and_survives_rewrites(repo: Repo) -> None:
    repo.write("gittrain.lock", LOCK.format(sha="a" * 64))
    repo.write("jobs/a.yaml", job("a", "running"))
    repo.commit("a")
    assert runs(repo) == []
    repo.write("jobs/a.yaml", job("a", "completed"))
    repo.commit("a done")  # after the checkpoint: walked incrementally from the saved state
    incremental = mine(repo.root, settings.load(repo.root))
    assert [(r.job, r.datasets[0].sha256) for r in incremental.runs] == [("a", "a" * 64)]
    assert runs(repo) == _fresh(repo)
    repo.write("jobs/b.yaml", job("b", "failed"))
    repo.commit("b")
    assert runs(repo) == _fresh(repo) and len(runs(repo)) == 2
    # A rewritten history (the checkpointed HEAD is gone from the chain) is walked again.
    repo.git("reset", "-q", "--hard", "HEAD~2")
    repo.write("jobs/c.yaml", job("c", "cancelled"))
    repo.commit("c instead")
    rewritten = runs(repo)
    assert [r[0] for r in rewritten] == ["c"]
    assert rewritten == _fresh(repo)
    # The same HEAD again: answered from the checkpoint, with the same records.
    assert runs(repo) == rewritten


def test_mining_starts_a_few_processes_not_one_per_commit(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(20):
        repo.write(
            f"jobs/j{i % 4}.yaml", job(f"j{i % 4}", "completed", finished=f"2026-01-{i + 1:02d}")
        )
        repo.commit(f"c{i}")
    started: list[list[str]] = []
    real = subprocess.Popen

    def spy(args: list[str], *rest: object, **kwargs: object) -> object:
        started.append(list(args))
        return real(args, *rest, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", spy)  # git still runs: this only counts
    history = mine(repo.root, settings.load(repo.root))
    assert len(history.runs) == 20
    verbs = [a[3] for a in started]  # git -C ROOT VERB ...
    assert verbs.count("log") == 1 and verbs.count("cat-file") == 1
    assert len(started) <= 6, verbs


def test_an_unchanged_head_is_answered_without_reading_every_version(repo: Repo) -> None:
    for name in ("a", "b"):
        repo.write(f"jobs/{name}.yaml", job(name, "completed"))
        repo.commit(name)
    expected = runs(repo)
    blobs = repo.root / ".git/gittrain/history-cache.json"
    blobs.write_bytes(b"{unreadable")  # would be rebuilt (rewritten) if it were read
    assert runs(repo) == expected
    assert blobs.read_bytes() == b"{unreadable"
    repo.write("jobs/c.yaml", job("c", "completed"))
    repo.commit("c")  # a new commit needs the versions: the file is read and rebuilt
    assert len(runs(repo)) == len(expected) + 1
    assert json.loads(blobs.read_bytes())["format"] == HISTORY_FORMAT
