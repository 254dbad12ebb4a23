"""The demo's datasets: every supported format, a sharded directory, and a dataset that changes
halfway through the job history (so lineage has two versions to tell apart)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitrepo

if TYPE_CHECKING:
    from gittrain.demo.tour import Step

V1_TAG = "gsm8k-v1"


def write_extra_formats(data: Path) -> None:
    """A JSON array and a directory of JSONL shards, beside the JSONL, Parquet and CSV files."""
    evals = [{"prompt": f"Say {i} in words.", "reference": f"number {i}"} for i in range(30)]
    (data / "chat_eval.json").write_text(json.dumps(evals, indent=1) + "\n")
    shards = data / "web_shards"
    shards.mkdir()
    for shard in range(4):
        with (shards / f"part-{shard:05d}.jsonl").open("w", encoding="utf-8") as handle:
            for i in range(25):
                handle.write(json.dumps({"text": f"document {shard}-{i}"}) + "\n")


def lock_all(root: Path) -> None:
    """Lock every dataset, commit, and tag that state as the first gsm8k version."""
    from gittrain.commands.data_add import add

    for path, name in (
        ("data/gsm8k_train.jsonl", "gsm8k"),
        ("data/gsm8k_test.parquet", "gsm8k_test"),
        ("data/preferences.csv", "preferences"),
        ("data/sft_pairs.jsonl", "sft_pairs"),
        ("data/preference_pairs.jsonl", "preference_pairs"),
        ("data/chat_eval.json", "chat_eval"),
        ("data/web_shards", "web_shards"),
    ):
        add(root, path, name=name)
    from gittrain.demo.jobhistory import START

    # Dated just before the job history, so `git log` reads in order.
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START - 3600))
    env = gitrepo.clean_env({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    gitrepo.run(root, ["add", "-A"], env=env)
    gitrepo.run(root, ["commit", "-q", "-m", "Lock the datasets"], env=env)
    gitrepo.run(root, ["tag", V1_TAG], env=env)


def grow_gsm8k(root: Path) -> None:
    """Halfway through the history: 50 new problems and the lockfile updated (caller commits)."""
    from gittrain.commands.data_update import update

    with (root / "data/gsm8k_train.jsonl").open("a", encoding="utf-8") as handle:
        for i in range(50):
            row = {"id": f"gsm-new-{i:03d}", "prompt": f"What is {i} + {i}?", "answer": str(2 * i)}
            handle.write(json.dumps(row) + "\n")
    update(root, ("gsm8k",))


def _drift(root: Path) -> None:
    with (root / "data/preferences.csv").open("a", encoding="utf-8") as handle:
        handle.write('"An unreviewed prompt","a","b"\n')


def _undrift(root: Path) -> None:
    gitrepo.run(root, ["checkout", "-q", "--", "data/preferences.csv"], env=gitrepo.clean_env())


def steps() -> list[Step]:
    from gittrain.demo.tour import Step

    data = ["git", "train", "data"]
    return [
        Step("Every dataset on disk matches gittrain.lock", [*data, "status"]),
        Step(
            "What is locked: format, samples, hash (JSONL, Parquet, CSV, JSON and a directory)",
            ["git", "show", "HEAD:gittrain.lock"],
            max_lines=24,
        ),
        Step(
            "gsm8k grew halfway through the history: every version, with its delta",
            [*data, "log", "gsm8k"],
        ),
        Step(
            "Which jobs trained on the first version (resolved against each commit's lockfile)",
            [*data, "lineage", f"gsm8k@{V1_TAG}"],
            max_lines=14,
        ),
        Step("...and which on the current one", [*data, "lineage", "gsm8k"], max_lines=14),
        Step(
            "What changed between the two versions", [*data, "compare", f"gsm8k@{V1_TAG}", "gsm8k"]
        ),
        Step(
            "Someone edits a dataset in place: status finds it from file metadata, exit 1",
            [*data, "status"],
            expect=1,
            prepare=_drift,
        ),
        Step("Restored, and status is clean again", [*data, "status"], prepare=_undrift),
    ]
