"""Importance tiers: the shipped rules, .gittrain.yaml overrides, and the derived global batch."""

from __future__ import annotations

import pytest
from conftest import Cli, Repo

from gittrain.adapters import yamlio
from gittrain.core.dialects.config import read_own
from gittrain.core.dialects.vocabulary import Effective
from gittrain.core.diff import ItemKey
from gittrain.core.diff import Path as DiffPath
from gittrain.core.filediff import derived_changes
from gittrain.core.importance import Tier, defaults, load
from gittrain.document import Document
from gittrain.errors import GittrainError


@pytest.mark.parametrize(
    ("path", "tier"),
    [
        (("config", "learning_rate"), Tier.CRITICAL),
        (("lr",), Tier.CRITICAL),
        (("actor_rollout_ref", "actor", "optim", "lr"), Tier.CRITICAL),
        (("optimizer", "lr"), Tier.CRITICAL),
        (("data", "train_batch_size"), Tier.CRITICAL),
        (("actor_rollout_ref", "actor", "ppo_mini_batch_size"), Tier.CRITICAL),
        (("trainer", "total_epochs"), Tier.CRITICAL),
        (("num_train_epochs",), Tier.CRITICAL),
        (("config", "algorithm"), Tier.CRITICAL),
        (("model",), Tier.CRITICAL),
        (("actor_rollout_ref", "model", "path"), Tier.CRITICAL),
        (("model_name_or_path",), Tier.CRITICAL),
        (("data", "train_files"), Tier.CRITICAL),
        (("datasets", ItemKey("name", "gsm8k", 0), "path"), Tier.CRITICAL),
        (("datasets", 3, "path"), Tier.CRITICAL),
        (("datasets", "train"), Tier.CRITICAL),
        (("config", "kl_coef"), Tier.IMPORTANT),
        (("algorithm", "kl_ctrl", "kl_coef"), Tier.IMPORTANT),
        (("pref_beta",), Tier.IMPORTANT),
        (("cutoff_len",), Tier.IMPORTANT),
        (("actor_rollout_ref", "rollout", "n"), Tier.IMPORTANT),
        (("num_generations",), Tier.IMPORTANT),
        (("lora_r",), Tier.IMPORTANT),
        (("model", "lora_rank"), Tier.IMPORTANT),
        (("lr_scheduler_type",), Tier.IMPORTANT),
        (("warmup_ratio",), Tier.IMPORTANT),
        (("config", "precision"), Tier.IMPORTANT),
        (("n",), Tier.NORMAL),  # a bare `n` is not the group size
        (("lr_warmup",), Tier.NORMAL),
        (("output_dir",), Tier.NOISE),
        (("trainer", "wandb_project"), Tier.NOISE),
        (("report_to", 0), Tier.NOISE),
        (("logging_steps",), Tier.NOISE),
    ],
)
def test_default_tiers(path: DiffPath, tier: Tier) -> None:
    assert defaults().classify(path)[0] is tier


def settings_doc(text: str) -> Document:
    return yamlio.load_text(text, ".gittrain.yaml")


def test_settings_add_override_and_silence_rules() -> None:
    policy = load(
        settings_doc(
            "diff:\n"
            "  rules:\n"
            "    - {match: seed, tier: critical}\n"
            "    - {match: config.lr, tier: noise}\n"
            "    - {match: 'eval.*', tier: noise}\n"
            "    - {match: output_dir, tier: important}\n"
            "    - {match: trainer.**, tier: off}\n"
            "  identity_keys: [role]\n"
            "  paths: ['experiments/**']\n"
        )
    )
    assert policy.classify(("seed",))[0] is Tier.CRITICAL
    assert policy.classify(("config", "lr"))[0] is Tier.NOISE
    assert policy.classify(("optim", "lr"))[0] is Tier.CRITICAL
    assert policy.classify(("eval", "steps"))[0] is Tier.NOISE
    assert policy.classify(("output_dir",))[0] is Tier.IMPORTANT
    assert policy.classify(("trainer", "a", "b"))[0] is Tier.OFF
    assert policy.identity_keys[0] == "role" and "name" in policy.identity_keys
    assert policy.paths == ("experiments/**",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("diff: [1]\n", ".gittrain.yaml:1:1: diff: expected a mapping"),
        ("diff:\n  rule: []\n", ".gittrain.yaml:2:3: diff.rule: unknown setting"),
        ("diff:\n  rules: {a: 1}\n", ".gittrain.yaml:2:3: diff.rules: expected a list of rules"),
        (
            "diff:\n  rules:\n    - {match: lr, tier: huge}\n",
            ".gittrain.yaml:3:19: diff.rules[0].tier: expected one of critical, important, "
            "normal, noise, off, not 'huge'",
        ),
        ("diff:\n  rules:\n    - {tier: noise}\n", ".gittrain.yaml:3:7: diff.rules[0].match:"),
        ("diff:\n  rules:\n    - lr\n", ".gittrain.yaml:3:7: diff.rules[0]: expected a mapping"),
        (
            "diff:\n  rules:\n    - {match: [lr], tier: noise}\n",
            ".gittrain.yaml:3:8: diff.rules[0].match: expected a key or a dotted path glob",
        ),
        (
            "diff:\n  rules:\n    - {match: lr, tier: noise, why: x}\n",
            ".gittrain.yaml:3:32: diff.rules[0].why: unknown key (a rule has match and tier)",
        ),
        ("diff:\n  paths: recipes\n", ".gittrain.yaml:2:3: diff.paths: expected a list"),
    ],
)
def test_bad_diff_settings_name_the_line(text: str, message: str) -> None:
    with pytest.raises(GittrainError) as info:
        load(settings_doc(text))
    assert info.value.message.startswith(message)


def _job_view(job: dict[str, object]):  # type: ignore[no-untyped-def]
    policy = defaults()
    eff = Effective(policy.vocabulary, policy.dialect_paths)
    return read_own(Document("j", job), eff, job["config"], ("config",), "job").view


def test_derived_global_batch_only_when_it_changes() -> None:
    old = {"num_gpus": 8, "config": {"per_device_batch_size": 4, "gradient_accumulation_steps": 32}}
    new = {"num_gpus": 8, "config": {"per_device_batch_size": 8, "gradient_accumulation_steps": 16}}
    # Per-device and accumulation changed, their product did not: no derived line.
    assert derived_changes(_job_view(old), _job_view(new)) == ()
    bigger = {"num_gpus": 16, "config": new["config"]}
    (line,) = derived_changes(_job_view(new), _job_view(bigger))
    assert line.name.startswith("global batch") and (line.old, line.new) == (1024, 2048)


def test_derived_without_gpus_is_the_per_device_step_batch() -> None:
    old = {"config": {"per_device_batch_size": 4, "gradient_accumulation_steps": 2}}
    new = {"config": {"per_device_batch_size": 4, "gradient_accumulation_steps": 4}}
    (line,) = derived_changes(_job_view(old), _job_view(new))
    assert line.name.startswith("per-device step batch") and (line.old, line.new) == (8, 16)


def test_validate_accepts_the_diff_section(repo: Repo, cli: Cli) -> None:
    repo.write(
        ".gittrain.yaml",
        "version: 1\n"
        "diff:\n"
        "  rules:\n"
        "    - {match: seed, tier: critical}\n"
        "    - {match: 'trainer.**', tier: off}\n"
        "  identity_keys: [role]\n"
        "  paths: ['recipes/**', 'experiments/**']\n",
    )
    result = cli("validate", ".gittrain.yaml", cwd=repo.root)
    assert result.code == 0, result
