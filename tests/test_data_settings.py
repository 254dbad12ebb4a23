"""`.gittrain.yaml` severity settings: `rules:` and the `data:` section, each with an effect.

Every setting gittrain accepts must change what it reports; one that parses and
does nothing is a trap (`rules: {data: warning}` once was).  The walk below sets
every rule id to every severity and checks the finding follows it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot
from datahelp import GRPO_CONFIG
from lockhelp import EVAL, GSM8K, SHARDS, write_lock

from gittrain.core import settings
from gittrain.core.rules import ALL_IDS

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "settings.schema.json"

JOB = """\
name: {name}
recipe: grpo_basic
num_gpus: {gpus}
datasets:
  {role}: {dataset}
config:
{config}
"""


def job(
    name: str = "a", *, gpus: int = 8, dataset: str = "gsm8k", role: str = "train", **kw: str
) -> str:
    values = {**GRPO_CONFIG, **kw}
    config = "\n".join(f"  {k}: {v}" for k, v in values.items())
    return JOB.format(name=name, gpus=gpus, role=role, dataset=dataset, config=config)


# rule id -> (files to write, the command that reports it)
VALIDATE_JOB = ("validate", "jobs/a.yaml")
RECIPE_CHECK = ("recipe", "validate", "configs/mine.yaml", "--recipe", "grpo_basic", "--gpus", "8")
TRIGGERS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    # A job's schema already types its values; a trainer's own config meets the rule.
    "value-type": (
        {"configs/c.yaml": "per_device_train_batch_size: 4\nlearning_rate: 1.0e-5x\n"},
        ("validate", "configs/c.yaml"),
    ),
    "lr-range": ({"jobs/a.yaml": job(learning_rate="0.1")}, VALIDATE_JOB),
    # A job's schema already refuses 0; a trainer's own config meets the rule.
    "positive-count": (
        {"configs/c.yaml": "per_device_train_batch_size: 0\nlearning_rate: 1.0e-5\n"},
        ("validate", "configs/c.yaml"),
    ),
    "batch-divisible": ({"jobs/a.yaml": job(global_batch_size="1000")}, VALIDATE_JOB),
    "rollout-n": ({"jobs/a.yaml": job(rollout_n="1")}, VALIDATE_JOB),
    "kl-range": ({"jobs/a.yaml": job(kl_coef="1.5")}, VALIDATE_JOB),
    "beta-range": (
        {
            "jobs/a.yaml": "name: a\nrecipe: dpo_basic\nnum_gpus: 8\nconfig:\n"
            "  algorithm: dpo\n  beta: 2\n  learning_rate: 5.0e-7\n"
        },
        VALIDATE_JOB,
    ),
    "lora-alpha-ratio": ({"jobs/a.yaml": job(lora_rank="16", lora_alpha="256")}, VALIDATE_JOB),
    "min-gpus": (
        {"jobs/a.yaml": "name: a\nrecipe: grpo_large_scale\nnum_gpus: 4\nconfig: {}\n"},
        VALIDATE_JOB,
    ),
    "seq-length": ({"jobs/a.yaml": job(max_response_length="8192")}, VALIDATE_JOB),
    "warmup-steps": ({"jobs/a.yaml": job(warmup_steps="200")}, VALIDATE_JOB),
    "config-file": (
        {"jobs/a.yaml": "name: a\nrecipe: grpo_basic\nconfig_file: configs/gone.yaml\n"},
        VALIDATE_JOB,
    ),
    "unknown-key": ({"jobs/a.yaml": job(learnign_rate="1.0e-5")}, VALIDATE_JOB),
    "dialect": (
        {"configs/mixed.yaml": "stage: sft\nlearning_rate: 1.0e-5\nrl: dpo\n"},
        ("validate", "configs/mixed.yaml"),
    ),
    "recipe-algorithm": ({"configs/mine.yaml": "algorithm: dpo\n"}, RECIPE_CHECK),
    "recipe-keys": ({"configs/mine.yaml": "algorithm: grpo\n"}, RECIPE_CHECK),
    "data-requirements": (
        {
            "data/q.jsonl": '{"question": "1+1"}\n',
            "jobs/a.yaml": job(dataset="data/q.jsonl"),
        },
        VALIDATE_JOB,
    ),
    "data": ({"jobs/a.yaml": job(dataset="data/none.jsonl")}, ("check-data", "jobs/a.yaml")),
}


def severities(out: str, rule: str) -> list[str]:
    """The severity of each `file:line:col: SEVERITY: ... [rule]` line."""
    pattern = re.compile(rf": (error|warning): .*\[{re.escape(rule)}\]$")
    return [m.group(1) for line in out.splitlines() if (m := pattern.search(line))]


def test_every_rule_id_has_a_trigger_and_the_schema_knows_the_data_section() -> None:
    assert sorted(TRIGGERS) == sorted(ALL_IDS)
    schema = json.loads(SCHEMA.read_text())
    # Rule ids are checked by settings.from_doc, which says which id was meant.
    assert "propertyNames" not in schema["properties"]["rules"]
    assert list(schema["properties"]["data"]["properties"]) == list(settings.DATA_KEYS)
    assert schema["properties"]["data"]["properties"]["unlocked"]["enum"] == list(
        settings.SEVERITIES
    )
    remote = schema["properties"]["data"]["properties"]["remote"]["enum"]
    assert remote == [r.value for r in settings.RemoteCheck]


@pytest.mark.parametrize("rule", ALL_IDS)
def test_every_rule_severity_setting_changes_what_is_reported(
    repo: Repo, cli: Cli, rule: str
) -> None:
    files, argv = TRIGGERS[rule]
    for rel, text in files.items():
        repo.write(rel, text)
    if rule == "data-requirements":
        assert cli("data", "add", "data/q.jsonl", cwd=repo.root).code == 0
    default = severities(cli(*argv, cwd=repo.root).out, rule)
    assert default, f"the trigger for {rule} reports nothing"
    seen = {}
    for setting in settings.SEVERITIES:
        repo.write(".gittrain.yaml", f"version: 1\nrules:\n  {rule}: {setting}\n")
        result = cli(*argv, cwd=repo.root)
        found = severities(result.out, rule)
        if setting == "off":
            assert found == [], (setting, result)
        else:
            assert found and set(found) == {setting}, (setting, result)
        # An error fails the command; a warning or nothing does not (for this rule).
        others = [line for line in result.out.splitlines() if ": error: " in line]
        assert result.code == (1 if others else 0), result
        seen[setting] = tuple(found)
    assert len(set(seen.values())) == len(settings.SEVERITIES)  # each setting differs


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("", ["error"]),
        ("data:\n  unlocked: error\n", ["error"]),
        ("data:\n  unlocked: warning\n", ["warning"]),
        ("data:\n  unlocked: off\n", []),
        ("rules:\n  data: warning\n", ["warning"]),
        ("rules:\n  data: off\n", []),
        # The narrower setting wins for unlocked datasets ...
        ("rules:\n  data: off\ndata:\n  unlocked: error\n", ["error"]),
        ("rules:\n  data: error\ndata:\n  unlocked: off\n", []),
    ],
)
def test_data_unlocked_sets_the_severity_of_an_unlocked_dataset(
    repo: Repo, cli: Cli, section: str, expected: list[str]
) -> None:
    repo.write(".gittrain.yaml", "version: 1\n" + section)
    repo.write("jobs/a.yaml", job(dataset="openai/gsm8k"))
    result = cli("check-data", cwd=repo.root)
    assert severities(result.out, "data") == expected, result
    assert result.code == (1 if expected == ["error"] else 0), result


def test_rules_data_covers_drift_and_data_unlocked_does_not(repo: Repo, cli: Cli) -> None:
    repo.write("data/x.jsonl", '{"prompt": "q"}\n')
    assert cli("data", "add", "data/x.jsonl", cwd=repo.root).code == 0
    repo.write("data/x.jsonl", '{"prompt": "changed"}\n')
    repo.write("jobs/a.yaml", job(dataset="x"))
    repo.write("jobs/b.yaml", job("b", dataset="data/unlocked.jsonl"))
    repo.write(".gittrain.yaml", "version: 1\ndata:\n  unlocked: off\n")
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines() == [
        "jobs/a.yaml:5:3: error: datasets.train: dataset 'x' (data/x.jsonl) changed since it "
        "was locked (size, sha256); `git train data update x` if that was intended [data]"
    ]
    repo.write(".gittrain.yaml", "version: 1\nrules:\n  data: warning\ndata:\n  unlocked: error\n")
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    assert severities(result.out, "data") == ["warning", "error"]


def test_rules_data_warning_lets_a_real_commit_through_with_the_warning(
    repo: Repo, cli: Cli
) -> None:
    """The issue's case: without an effective setting the only way past was --no-verify."""
    from hookhelp import git_commit, run

    assert run(["git-train", "install", "--hooks"], repo.root).returncode == 0
    repo.write("jobs/a.yaml", job(dataset="openai/gsm8k"))
    repo.git("add", "-A")
    blocked = git_commit(repo.root, "-m", "hub dataset")
    assert blocked.returncode == 1
    assert (
        "error: datasets.train: dataset 'openai/gsm8k' is not in gittrain.lock; lock it with "
        "`git train data add hf://datasets/openai/gsm8k` [data]"
    ) in blocked.stderr
    repo.write(".gittrain.yaml", "version: 1\nrules:\n  data: warning\n")
    repo.git("add", "-A")
    passed = git_commit(repo.root, "-q", "-m", "hub dataset")
    assert passed.returncode == 0, passed.stderr
    assert passed.stderr.splitlines() == [
        "jobs/a.yaml:5:3: warning: datasets.train: dataset 'openai/gsm8k' is not in "
        "gittrain.lock; lock it with `git train data add hf://datasets/openai/gsm8k` [data]"
    ]


def test_rules_data_off_silences_the_drift_warning_after_checkout(repo: Repo, cli: Cli) -> None:
    repo.write("data/x.jsonl", '{"prompt": "q"}\n')
    assert cli("data", "add", "data/x.jsonl", cwd=repo.root).code == 0
    repo.commit("lock x")
    (repo.root / "data/x.jsonl").unlink()
    warned = cli("hook", "post-checkout", "a", "b", "1", cwd=repo.root)
    assert warned.code == 0
    assert "gittrain: warning: dataset x (data/x.jsonl) is missing" in warned.err
    repo.write(".gittrain.yaml", "version: 1\nrules:\n  data: off\n")
    quiet = cli("hook", "post-checkout", "a", "b", "1", cwd=repo.root)
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")


def test_remote_skip_checks_no_remote_entry_and_reports_local_drift(repo: Repo, cli: Cli) -> None:
    """With `skip` a locked remote dataset is trusted as locked: no request, no finding."""
    write_lock(repo, GSM8K, EVAL, SHARDS)
    # Evaluation roles: the recipe's training-data requirements do not apply.
    repo.write("jobs/a.yaml", job(dataset="gsm8k", role="eval"))
    repo.write("jobs/b.yaml", job("b", dataset="s3://team-data/eval/eval.parquet", role="eval"))
    repo.write("jobs/c.yaml", job("c", dataset="gs://team-data/shards", role="eval"))
    for section in ("", "data:\n  remote: skip\n"):
        repo.write(".gittrain.yaml", "version: 1\n" + section)
        result = cli("check-data", cwd=repo.root)
        assert (result.code, result.out) == (0, ""), result


BAD_SETTINGS = [
    ("data: [unlocked]\n", ".gittrain.yaml:1:1: data: expected a mapping"),
    (
        "data:\n  unlock: off\n",
        ".gittrain.yaml:2:3: data.unlock: unknown key 'unlock'; did you mean unlocked?",
    ),
    (
        "data:\n  remotes: verify\n",
        ".gittrain.yaml:2:3: data.remotes: unknown key 'remotes'; did you mean remote?",
    ),
    (
        "data:\n  cache: yes\n",
        ".gittrain.yaml:2:3: data.cache: unknown key 'cache'; known keys: unlocked, remote",
    ),
    (
        "data:\n  unlocked: ignore\n",
        ".gittrain.yaml:2:3: data.unlocked: expected one of off, warning, error, not 'ignore'",
    ),
    (
        "data:\n  unlocked:\n",
        ".gittrain.yaml:2:3: data.unlocked: expected one of off, warning, error, not None",
    ),
    (
        "data:\n  remote: always\n",
        ".gittrain.yaml:2:3: data.remote: expected one of verify, skip, not 'always'",
    ),
    (
        "rules:\n  dat: warning\n",
        ".gittrain.yaml:2:3: rules.dat: unknown rule id 'dat'; did you mean 'data'?",
    ),
    (
        "rules:\n  data: ignore\n",
        ".gittrain.yaml:2:3: rules.data: expected one of off, warning, error, not 'ignore'",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SETTINGS)
@pytest.mark.parametrize(
    "argv", [("check-data",), ("validate",), ("hook", "pre-commit"), ("data", "list")]
)
def test_a_bad_setting_is_one_line_naming_its_line(
    repo: Repo, cli: Cli, text: str, message: str, argv: tuple[str, ...]
) -> None:
    repo.write(".gittrain.yaml", text)
    repo.write("jobs/a.yaml", job(dataset="openai/gsm8k"))
    write_lock(repo, GSM8K)
    repo.git("add", "-A")
    before = snapshot(repo.root)
    result = cli(*argv, cwd=repo.root)
    assert_one_line_error(result, 1, message)
    assert snapshot(repo.root) == before
