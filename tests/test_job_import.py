"""`git train job import`: a job from a config written for a trainer, in gittrain's keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Repo

from gittrain.adapters import yamlio

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"


@pytest.mark.parametrize(
    ("fixture", "recipe", "expect"),
    [
        (
            "verl/valid/grpo_qwen2_7b_full.yaml",
            "grpo_basic",
            {"algorithm": "grpo", "learning_rate": 1e-6, "rollout_n": 5, "kl_coef": 0.001},
        ),
        (
            "trl/valid/dpo_full.yaml",
            "dpo_basic",
            {"algorithm": "dpo", "beta": 0.1},
        ),
        (
            "llamafactory/valid/llama3_lora_sft.yaml",
            "sft_basic",
            {"algorithm": "sft", "lora_rank": 8},
        ),
        ("axolotl/valid/llama3_lora_1b_sft.yaml", "sft_basic", {"algorithm": "sft"}),
    ],
)
def test_import_reads_the_dialect_and_writes_gittrain_keys(
    repo: Repo, cli: Cli, fixture: str, recipe: str, expect: dict[str, object]
) -> None:
    repo.write("configs/in.yaml", (FIXTURES / fixture).read_bytes())
    result = cli("job", "import", "configs/in.yaml", "--name", "imp", cwd=repo.root)
    assert result.code == 0, result
    assert result.out.startswith("wrote jobs/imp.yaml from configs/in.yaml (")
    assert f"recipe {recipe}" in result.out
    job = yamlio.load_file(repo.root / "jobs/imp.yaml", "jobs/imp.yaml").data
    assert isinstance(job, dict)
    assert job["recipe"] == recipe and job["result"] == {"status": "pending"}
    config = job["config"]
    assert isinstance(config, dict)
    for key, value in expect.items():
        assert config[key] == value, (key, config)
    # The job it wrote validates cleanly.
    assert cli("validate", "jobs/imp.yaml", cwd=repo.root).code == 0


def test_what_a_job_has_no_key_for_is_listed(repo: Repo, cli: Cli) -> None:
    repo.write(
        "configs/in.yaml", (FIXTURES / "llamafactory/valid/llama3_lora_sft.yaml").read_bytes()
    )
    result = cli("job", "import", "configs/in.yaml", "--name", "imp", cwd=repo.root)
    assert "note: not carried over: chat_template = 'llama3'" in result.err
    text = (repo.root / "jobs/imp.yaml").read_text()
    assert "# Not carried over (a job config has no key for it): chat_template = llama3" in text


def test_a_file_in_no_dialect_names_what_was_looked_for(repo: Repo, cli: Cli) -> None:
    repo.write("configs/x.yaml", "foo: 1\n")
    result = cli("job", "import", "configs/x.yaml", "--name", "x", cwd=repo.root)
    assert result.code == 1
    (line,) = result.err.splitlines()
    assert line.startswith("error: configs/x.yaml: in no known framework dialect")
    assert "verl: actor_rollout_ref" in line and "--framework" in line
    assert not (repo.root / "jobs/x.yaml").exists()


def test_framework_and_recipe_can_be_named(repo: Repo, cli: Cli) -> None:
    # A partial Hydra override with no marker verl's detection knows by itself.
    repo.write("configs/in.yaml", "actor_rollout_ref:\n  actor:\n    optim:\n      lr: 2.0e-6\n")
    result = cli(
        "job", "import", "configs/in.yaml", "--name", "v", "--framework", "verl",
        "--recipe", "ppo_classic", cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    assert result.out == "wrote jobs/v.yaml from configs/in.yaml (verl), recipe ppo_classic\n"
    job = yamlio.load_file(repo.root / "jobs/v.yaml", "v").data
    assert isinstance(job, dict)
    # verl's default estimator is GAE: PPO.
    assert job["config"] == {"algorithm": "ppo", "learning_rate": 2e-6}
    bad = cli(
        "job", "import", "configs/in.yaml", "--name", "w", "--framework", "nemo", cwd=repo.root
    )
    assert bad.code == 2 and "--framework nemo: unknown" in bad.err


def test_nothing_is_written_when_the_job_would_not_validate(repo: Repo, cli: Cli) -> None:
    config = (FIXTURES / "trl/valid/dpo_full.yaml").read_text()
    repo.write("configs/in.yaml", config.replace("learning_rate: 5.0e-7", "learning_rate: 0.5"))
    result = cli("job", "import", "configs/in.yaml", "--name", "hot", cwd=repo.root)
    assert result.code == 1, result
    assert "[lr-range]" in result.out and "not written: 1 error" in result.err
    assert not (repo.root / "jobs/hot.yaml").exists()
