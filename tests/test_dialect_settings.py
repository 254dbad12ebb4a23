"""`.gittrain.yaml` names dialects by path and adds spellings; gittrain's own typos get a hint."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli, Repo

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"


def _report(repo: Repo, cli: Cli, rel: str) -> dict[str, object]:
    result = cli("validate", "--format", "json", rel, cwd=repo.root)
    report = json.loads(result.out)["files"][0]
    assert isinstance(report, dict)
    return report


def test_a_path_glob_names_the_dialect(repo: Repo, cli: Cli) -> None:
    # No markers at all: detection alone would fall back to the generic rules.
    repo.write(".gittrain.yaml", "version: 1\ndialects:\n  'configs/rl/**': verl\n")
    repo.write("configs/rl/tweak.yaml", "actor_rollout_ref:\n  rollout:\n    n: 1\n")
    report = _report(repo, cli, "configs/rl/tweak.yaml")
    assert report["dialect"] == "verl"
    assert report["dialect_reason"] == "named in .gittrain.yaml (configs/rl/**)"
    repo.write("configs/other.yaml", "foo: 1\n")
    other = _report(repo, cli, "configs/other.yaml")
    assert other["dialect"] == "generic" and "no framework markers" in str(other["dialect_reason"])


def test_an_added_spelling_is_read_as_its_idea(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "version: 1\nspellings:\n  trl:\n    team_lr: learning_rate\n")
    config = (FIXTURES / "trl/valid/grpo.yaml").read_text()
    config = "\n".join(line for line in config.splitlines() if not line.startswith("learning_rate"))
    repo.write("configs/grpo.yaml", config + "\nteam_lr: 0.5\n")
    report = _report(repo, cli, "configs/grpo.yaml")
    problems = report["problems"]
    assert isinstance(problems, list)
    (finding,) = [p for p in problems if p["rule"] == "lr-range"]
    assert finding["path"] == "team_lr" and finding["severity"] == "error"
    assert not [p for p in problems if p["rule"] == "unknown-key"]  # now a known key


def test_a_typo_in_a_job_config_names_the_key_it_meant(repo: Repo, cli: Cli) -> None:
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: sft_basic\nconfig:\n  learnign_rate: 1.0e-5\n  lora_target: all\n",
    )
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.out.splitlines()[0] == (
        "jobs/a.yaml:4:3: warning: config.learnign_rate: not a key gittrain job config 1 knows; "
        "did you mean learning_rate? [unknown-key]"
    )
    # A framework key passed through a job config is not a typo of ours: no warning.
    assert "lora_target" not in result.out


def test_strict_makes_unknown_keys_errors(repo: Repo, cli: Cli) -> None:
    repo.write(
        "configs/sft.yaml", (FIXTURES / "trl/broken/sft_typo_learning_rate.yaml").read_text()
    )
    assert cli("validate", "configs/sft.yaml", cwd=repo.root).code == 0
    strict = cli("validate", "--strict", "configs/sft.yaml", cwd=repo.root)
    assert strict.code == 1
    assert ": error: learnign_rate: not a key TRL 0.24.0 knows; did you mean learning_rate?" in (
        strict.out
    )


def test_text_output_says_when_a_config_was_not_understood(repo: Repo, cli: Cli) -> None:
    repo.write("configs/mystery.yaml", "foo: 1\nbar: {baz: 2}\n")
    result = cli("validate", "configs/mystery.yaml", cwd=repo.root)
    assert result.code == 0
    assert result.out.splitlines() == [
        "1 file checked: 0 errors, 0 warnings",
        "note: 1 config in no known framework dialect, checked with the generic rules only: "
        "configs/mystery.yaml (name the dialect in .gittrain.yaml `dialects:`)",
    ]


ZERO_JOB = """\
name: a
recipe: grpo_basic
num_gpus: 0
config:
  algorithm: grpo
  global_batch_size: 1024
  per_device_batch_size: 0
  gradient_accumulation_steps: 32
  rollout_n: 8
"""


def test_zero_counts_are_clean_errors_in_validate_and_the_hook(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", ZERO_JOB)
    repo.write(
        "jobs/b.yaml",
        ZERO_JOB.replace("name: a", "name: b")
        .replace("num_gpus: 0", "num_gpus: -2")
        .replace("per_device_batch_size: 0", "per_device_batch_size: 4"),
    )
    result = cli("validate", "jobs/a.yaml", "jobs/b.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines() == [
        "jobs/a.yaml:3:1: error: num_gpus: 0 is less than the minimum of 1 [schema]",
        "jobs/a.yaml:7:3: error: config.per_device_batch_size: 0 is less than the minimum of 1 [schema]",
        # The schema rejected -2: no rule judges it again (no "use -128").
        "jobs/b.yaml:3:1: error: num_gpus: -2 is less than the minimum of 1 [schema]",
    ]
    repo.git("add", "jobs")
    hook = cli("hook", "pre-commit", cwd=repo.root)
    assert hook.code == 1 and "Traceback" not in hook.out + hook.err
    assert "jobs/a.yaml:7:3: error: config.per_device_batch_size: 0 is less" in hook.out + hook.err
    # A framework config has no schema: its zero counts are the rules' clean errors.
    repo.write(
        "configs/lf.yaml",
        "stage: sft\nfinetuning_type: lora\nper_device_train_batch_size: 0\n"
        "gradient_accumulation_steps: 0\nlearning_rate: 1.0e-4\n",
    )
    native = cli("validate", "configs/lf.yaml", cwd=repo.root)
    assert native.code == 1
    assert native.out.splitlines()[:2] == [
        "configs/lf.yaml:3:1: error: per_device_train_batch_size: must be a positive whole "
        "number, not 0 [positive-count]",
        "configs/lf.yaml:4:1: error: gradient_accumulation_steps: must be a positive whole "
        "number, not 0 [positive-count]",
    ]
