"""Recipes' data requirements against the columns and format the lockfile records.

Every dataset here is a real file locked with `git train data add`; `validate`,
`check-data` and the pre-commit hook then compare only what the lockfile says.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gittrain.core.data.lockfile import Lockfile
from gittrain.core.data.requirements import check, checked_roles, is_chat
from gittrain.core.recipes import DataRequirements
from tests.conftest import Cli, Repo

ALGORITHMS = {"grpo_basic": ("grpo", "1.0e-6"), "sft_basic": ("sft", "2.0e-5")}
ALGORITHMS["general_chat_sft"] = ("sft", "2.0e-4")
CHAT = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]


def job(repo: Repo, recipe: str = "grpo_basic", name: str = "a", **datasets: str) -> None:
    """``jobs/NAME.yaml``; its first dataset role is on line 6, column 3."""
    algorithm, lr = ALGORITHMS[recipe]
    roles = "".join(f"  {role}: {ref}\n" for role, ref in datasets.items())
    repo.write(
        f"jobs/{name}.yaml",
        f"name: {name}\nrecipe: {recipe}\nmodel: Qwen/Qwen2.5-7B-Instruct\nnum_gpus: 8\n"
        f"datasets:\n{roles}config:\n  algorithm: {algorithm}\n  learning_rate: {lr}\n",
    )


def jsonl(repo: Repo, rel: str, *records: dict[str, object]) -> None:
    repo.write(rel, "".join(json.dumps(r) + "\n" for r in records))


def parquet(repo: Repo, rel: str, table: pa.Table) -> None:
    path = repo.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def lock(cli: Cli, repo: Repo, rel: str, name: str) -> None:
    result = cli("data", "add", rel, "--name", name, cwd=repo.root)
    assert result.code == 0, result


def both(cli: Cli, repo: Repo, *files: str) -> tuple[str, str]:
    """`validate` and `check-data` on the same jobs: the same findings, the same exit code."""
    validated = cli("validate", *files, cwd=repo.root)
    checked = cli("check-data", *files, cwd=repo.root)
    assert validated.code == checked.code, (validated, checked)
    found = [line for line in checked.out.splitlines() if "[data-requirements]" in line]
    assert found == [line for line in validated.out.splitlines() if line in found]
    return validated.out, checked.out


def test_a_missing_required_column_is_an_error_at_the_reference(repo: Repo, cli: Cli) -> None:
    parquet(repo, "data/gsm8k.parquet", pa.table({"question": ["1+1"], "answer": ["2"]}))
    lock(cli, repo, "data/gsm8k.parquet", "gsm8k")
    job(repo, train="gsm8k")
    line = (
        "jobs/a.yaml:6:3: error: datasets.train: dataset gsm8k (parquet) has no column 'prompt' "
        "that recipe grpo_basic requires (columns: question, answer) [data-requirements]\n"
    )
    validated, checked = both(cli, repo, "jobs/a.yaml")
    assert validated.startswith(line), validated
    assert checked == line
    report = json.loads(cli("check-data", "--format", "json", cwd=repo.root).out)
    assert [(p["line"], p["column"], p["rule"]) for p in report["problems"]] == [
        (6, 3, "data-requirements")
    ]


def test_every_missing_field_is_named_once_per_reference(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/t.jsonl", {"text": "hello"})
    lock(cli, repo, "data/t.jsonl", "t")
    job(repo, "sft_basic", train="data/t.jsonl")  # referenced by its locked path
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/a.yaml:6:3: error: datasets.train: dataset t (jsonl) has no columns 'prompt', "
        "'completion' that recipe sft_basic requires (columns: text) [data-requirements]\n"
    )


def test_a_format_the_recipe_does_not_accept(repo: Repo, cli: Cli) -> None:
    repo.write("data/p.csv", "prompt,answer\n1+1,2\n")
    lock(cli, repo, "data/p.csv", "p")
    job(repo, train="p")
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/a.yaml:6:3: error: datasets.train: dataset p is csv, which recipe grpo_basic "
        "does not accept (formats: parquet, jsonl) [data-requirements]\n"
    )


def test_meeting_the_requirements_is_silent(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/p.jsonl", {"prompt": "1+1", "answer": "2"})
    lock(cli, repo, "data/p.jsonl", "p")
    job(repo, train="p")
    validated, checked = both(cli, repo)
    assert "data-requirements" not in validated
    assert checked == ""


def test_chat_messages_in_jsonl_satisfy_prompt_and_messages(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/chat.jsonl", {"conversation": CHAT}, {"conversation": []})
    lock(cli, repo, "data/chat.jsonl", "chat")
    assert "conversation: array<message>" in (repo.root / "gittrain.lock").read_text()
    job(repo, "grpo_basic", "a", train="chat")  # requires prompt
    job(repo, "general_chat_sft", "b", train="chat")  # requires messages
    job(repo, "sft_basic", "c", train="chat")  # prompt and completion: chat is only the prompt
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/c.yaml:6:3: error: datasets.train: dataset chat (jsonl) has no column "
        "'completion' that recipe sft_basic requires (columns: conversation) "
        "[data-requirements]\n"
    )


def test_chat_messages_in_parquet_satisfy_prompt_and_messages(repo: Repo, cli: Cli) -> None:
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    table = pa.table({"messages": pa.array([CHAT], pa.list_(message))})
    parquet(repo, "data/chat.parquet", table)
    other = pa.struct([("from", pa.string()), ("value", pa.string())])  # ShareGPT: no alias
    sharegpt = [[{"from": "human", "value": "hi"}]]
    parquet(
        repo, "data/sg.parquet", pa.table({"conversations": pa.array(sharegpt, pa.list_(other))})
    )
    lock(cli, repo, "data/chat.parquet", "chat")
    lock(cli, repo, "data/sg.parquet", "sg")
    job(repo, "grpo_basic", "a", train="chat")
    job(repo, "general_chat_sft", "b", train="chat")
    job(repo, "grpo_basic", "c", train="sg")
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/c.yaml:6:3: error: datasets.train: dataset sg (parquet) has no column 'prompt' "
        "that recipe grpo_basic requires (columns: conversations) [data-requirements]\n"
    )


def test_a_plain_text_column_is_not_chat(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/t.jsonl", {"conversation": "user: hi", "turns": ["hi", "hello"]})
    lock(cli, repo, "data/t.jsonl", "t")
    job(repo, "general_chat_sft", train="t")
    _, checked = both(cli, repo)
    assert "has no column 'messages'" in checked and "error" in checked


def test_only_training_roles_are_checked(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/p.jsonl", {"prompt": "1+1"})
    jsonl(repo, "data/e.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/p.jsonl", "p")
    lock(cli, repo, "data/e.jsonl", "e")
    job(repo, train="p", eval="e", validation="e", test="e")
    assert both(cli, repo)[1] == ""
    job(repo, train="p", train_math="e")
    _, checked = both(cli, repo)
    assert checked.startswith("jobs/a.yaml:7:3: error: datasets.train_math: dataset e (jsonl)")


def test_a_recipe_names_the_roles_it_checks(repo: Repo, cli: Cli) -> None:
    repo.write(
        "recipes/evalled.yaml",
        "name: evalled\nextends: grpo_basic\n"
        "data_requirements: {formats: [jsonl], required_fields: [prompt], roles: [prompts, eval]}\n",
    )
    jsonl(repo, "data/e.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/e.jsonl", "e")
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: evalled\nmodel: m\nnum_gpus: 8\n"
        "datasets:\n  train: e\n  prompts: e\n  eval: e\n"
        "config:\n  algorithm: grpo\n  learning_rate: 1.0e-6\n",
    )
    _, checked = both(cli, repo)
    assert [line.split(": ")[0] for line in checked.splitlines()] == [
        "jobs/a.yaml:7:3",
        "jobs/a.yaml:8:3",
    ]
    bad = cli("validate", "recipes/evalled.yaml", cwd=repo.root)
    assert bad.code == 0, bad
    text = (repo.root / "recipes/evalled.yaml").read_text()
    repo.write("recipes/evalled.yaml", text.replace("[prompts, eval]", "[]"))
    assert "[schema]" in cli("validate", "recipes/evalled.yaml", cwd=repo.root).out


def test_min_samples_against_the_locked_count(repo: Repo, cli: Cli) -> None:
    repo.write(
        "recipes/big.yaml",
        "name: big\nextends: grpo_basic\n"
        "data_requirements: {formats: [jsonl], required_fields: [prompt], min_samples: 3}\n",
    )
    jsonl(repo, "data/p.jsonl", {"prompt": "a"}, {"prompt": "b"})
    lock(cli, repo, "data/p.jsonl", "p")
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: big\nmodel: m\nnum_gpus: 8\ndatasets:\n  train: p\n"
        "config:\n  algorithm: grpo\n  learning_rate: 1.0e-6\n",
    )
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/a.yaml:6:3: error: datasets.train: dataset p (jsonl) has 2 samples; recipe big "
        "requires at least 3 [data-requirements]\n"
    )


def test_an_unlocked_dataset_is_check_datas_finding_alone(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/q.jsonl", {"question": "1+1"})
    job(repo, train="data/q.jsonl")
    validated = cli("validate", cwd=repo.root)
    checked = cli("check-data", cwd=repo.root)
    assert validated.code == 0 and "data-requirements" not in validated.out
    assert (
        checked.code == 1
        and checked.out.endswith(
            "is not in gittrain.lock; lock it with `git train data add data/q.jsonl` [data]\n"
        )
        and checked.out.count("\n") == 1
    )


def test_a_directory_of_shards_is_checked_by_its_columns_not_its_format(
    repo: Repo, cli: Cli
) -> None:
    repo.write("data/shards/part-0.csv", "question\n1+1\n")  # csv: not a grpo_basic format
    repo.write("data/shards/part-1.csv", "question\n2+2\n")
    lock(cli, repo, "data/shards", "shards")
    repo.write("data/texts/a.txt", "no known format\n")
    lock(cli, repo, "data/texts", "texts")
    job(repo, "grpo_basic", "a", train="shards")
    job(repo, "grpo_basic", "b", train="texts")
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/a.yaml:6:3: error: datasets.train: dataset shards (dir) has no column 'prompt' "
        "that recipe grpo_basic requires (columns: question) [data-requirements]\n"
        "jobs/b.yaml:6:3: warning: datasets.train: dataset texts (dir) has no columns recorded "
        "in the lockfile; recipe grpo_basic's required fields (prompt) were not checked "
        "[data-requirements]\n"
    )


def test_old_lockfile_entries_warn_instead_of_a_false_error(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/c.jsonl", {"conversation": CHAT})
    jsonl(repo, "data/n.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/c.jsonl", "c")
    lock(cli, repo, "data/n.jsonl", "n")
    text = (repo.root / "gittrain.lock").read_text()
    # As an older gittrain wrote them: every list a bare `array`; or no columns recorded.
    text = text.replace("conversation: array<message>", "conversation: array")
    text = text.replace("    columns:\n      question: string\n", "    columns: {}\n")
    repo.write("gittrain.lock", text)
    job(repo, "grpo_basic", "a", train="c")
    job(repo, "grpo_basic", "b", train="n")
    _, checked = both(cli, repo)
    assert checked == (
        "jobs/a.yaml:6:3: warning: datasets.train: dataset c (jsonl) has no column 'prompt' "
        "that recipe grpo_basic requires (columns: conversation), unless 'conversation' holds "
        "chat messages: its type was recorded without its elements; "
        "`git train data add data/c.jsonl --name c` records them [data-requirements]\n"
        "jobs/b.yaml:6:3: warning: datasets.train: dataset n (jsonl) has no columns recorded "
        "in the lockfile; recipe grpo_basic's required fields (prompt) were not checked "
        "[data-requirements]\n"
    )
    assert cli("validate", cwd=repo.root).code == 0
    lock(cli, repo, "data/c.jsonl", "c")  # re-locking records the element types
    assert "jobs/a.yaml" not in cli("check-data", cwd=repo.root).out


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("off", ""), ("warning", "warning: datasets.train"), ("error", "error: datasets.train")],
)
def test_the_rule_is_selectable_in_settings(
    repo: Repo, cli: Cli, setting: str, expected: str
) -> None:
    repo.write(".gittrain.yaml", f"version: 1\nrules:\n  data-requirements: {setting}\n")
    jsonl(repo, "data/q.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/q.jsonl", "q")
    job(repo, train="q")
    validated, checked = both(cli, repo)
    assert (expected in checked) and (expected in validated)
    assert ("data-requirements" in checked) is bool(expected)
    assert cli("check-data", cwd=repo.root).code == (1 if setting == "error" else 0)


def test_the_commit_hook_reports_it_once_against_the_staged_lockfile(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/q.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/q.jsonl", "q")
    job(repo, train="q")
    repo.git("add", "-A")
    # The work tree's dataset is fixed and re-locked, but not staged: the commit is what counts.
    jsonl(repo, "data/q.jsonl", {"prompt": "1+1"})
    lock(cli, repo, "data/q.jsonl", "q")
    assert cli("validate", "jobs/a.yaml", cwd=repo.root).code == 0
    staged = cli("validate", "--staged", cwd=repo.root)
    assert staged.code == 1 and "[data-requirements]" in staged.out
    assert "[data-requirements]" in cli("check-data", "--staged", cwd=repo.root).out
    hook = cli("hook", "pre-commit", cwd=repo.root)
    assert hook.code == 1
    assert hook.out.count("[data-requirements]") == 1, hook
    # The staged lockfile also no longer matches the data on disk.
    assert hook.out.count("changed since it was locked") == 1, hook
    assert "commit blocked: 2 errors" in hook.err
    repo.git("add", "gittrain.lock", "data/q.jsonl")
    hook = cli("hook", "pre-commit", cwd=repo.root)
    assert (hook.code, hook.out) == (0, ""), hook


def test_job_new_refuses_a_dataset_without_the_recipes_fields(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/q.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/q.jsonl", "q")
    argv = ["job", "new", "x", "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8"]
    result = cli(*argv, "--dataset", "train=q", cwd=repo.root)
    assert result.code == 1 and "[data-requirements]" in result.out + result.err, result
    assert not (repo.root / "jobs/x.yaml").exists()
    assert cli(*argv, "--dataset", "eval=q", cwd=repo.root).code == 0


def test_review_judges_head_against_heads_lockfile(repo: Repo, cli: Cli) -> None:
    jsonl(repo, "data/q.jsonl", {"question": "1+1"})
    lock(cli, repo, "data/q.jsonl", "q")
    repo.commit("base")
    job(repo, train="q")
    repo.commit("job")
    result = cli("review", "HEAD~1...HEAD", "--format", "text", cwd=repo.root)
    assert "has no column 'prompt'" in result.out, result


@pytest.mark.parametrize(
    ("kind", "chat"),
    [
        ("array<message>", True),
        ("array<message>|null", True),
        ("list<element: struct<content: string, role: string>>", True),
        ("large_list<item: struct<role: string, content: list<item: struct<text: string>>>>", True),
        ("array", False),
        ("array<message|object>", False),
        ("array<integer|string>|null", False),
        ("string", False),
        ("null", False),
        ("list<element: struct<from: string, value: string>>", False),
        ("list<element: struct<x: struct<role: string, content: string>>>", False),
    ],
)
def test_is_chat(kind: str, chat: bool) -> None:
    assert is_chat(kind) is chat


def test_roles_default_to_the_training_ones() -> None:
    refs = dict.fromkeys(["train", "training", "train_math", "train-2", "eval", "trainer", "dev"])
    reqs = DataRequirements(("jsonl",), ("prompt",))
    assert checked_roles(refs, reqs) == ["train", "training", "train_math", "train-2"]
    assert checked_roles(refs, DataRequirements((), (), roles=("dev",))) == ["dev"]
    assert check({"train": "nowhere"}, "r", reqs, Lockfile()) == []
