"""Small things a user noticed (issue 11, item 17): short hashes, job order, internal commands."""

from __future__ import annotations

import json
import re

from conftest import Cli, Repo

FULL_SHA = re.compile(r"\b[0-9a-f]{64}\b")


def test_review_shows_twelve_digit_dataset_hashes(repo: Repo, cli: Cli) -> None:
    repo.write("d.jsonl", '{"a": 1}\n')
    assert cli("data", "add", "d.jsonl", "--name", "d", cwd=repo.root).code == 0
    repo.commit("one")
    repo.write("d.jsonl", '{"a": 1}\n{"a": 2}\n')
    assert cli("data", "add", "d.jsonl", "--name", "d", cwd=repo.root).code == 0
    repo.commit("two")
    for fmt in ("text", "markdown"):
        out = cli("review", "HEAD~1...HEAD", "--format", fmt, cwd=repo.root).out
        assert re.search(r"d changed: sha256 [0-9a-f]{12} → [0-9a-f]{12}; ", out), out
        assert not FULL_SHA.search(out)
    diff = cli("diff", "HEAD~1", "HEAD", cwd=repo.root).out
    assert not FULL_SHA.search(diff)
    # JSON keeps the whole hash.
    data = json.loads(cli("review", "HEAD~1...HEAD", "--format", "json", cwd=repo.root).out)
    assert FULL_SHA.search(json.dumps(data["datasets"]))


def test_job_list_sorts_by_job_name(repo: Repo, cli: Cli) -> None:
    for name in ("a-seed2", "a", "a-seed10", "b", "a-seed1"):
        repo.write(f"jobs/{name}.yaml", f"name: {name}\nrecipe: sft_basic\nconfig: {{}}\n")
    data = json.loads(cli("job", "list", "--format", "json", cwd=repo.root).out)
    assert [j["name"] for j in data["jobs"]] == ["a", "a-seed1", "a-seed2", "a-seed10", "b"]


def test_internal_commands_are_hidden_but_run(cli: Cli) -> None:
    top = cli("-h").out
    listed = {line.split()[0] for line in top.split("Commands:\n")[1].splitlines() if line}
    assert {"hook", "merge-lock", "textconv"}.isdisjoint(listed)
    assert {"diff", "review", "install", "data", "job"} <= listed
    assert "Not listed: what git" in top
    for name in ("hook", "merge-lock", "textconv"):
        shown = cli(name, "-h")
        assert shown.code == 0 and shown.out.startswith(f"Usage: git train {name} ")
