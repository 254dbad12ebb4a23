"""`recipe validate` on framework configs: compared through the canonical view."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Repo

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"


def _config(repo: Repo, fixture: str) -> str:
    rel = f"configs/{Path(fixture).name}"
    repo.write(rel, (FIXTURES / fixture).read_bytes())
    return rel


def test_native_spellings_are_never_missing(repo: Repo, cli: Cli) -> None:
    # TRL spells scheduler, epochs and precision its own way; none of them is "missing".
    rel = _config(repo, "trl/valid/sft_full.yaml")
    result = cli("recipe", "validate", rel, "--recipe", "sft_basic", cwd=repo.root)
    assert result.code == 0, result
    assert result.out == f"{rel}: fits recipe sft_basic\n"


def test_verl_lists_only_what_the_config_really_lacks(repo: Repo, cli: Cli) -> None:
    rel = _config(repo, "verl/valid/grpo_qwen2_7b_full.yaml")
    result = cli("recipe", "validate", rel, "--recipe", "grpo_basic", cwd=repo.root)
    assert result.code == 0, result
    (line,) = result.out.splitlines()
    assert "[recipe-keys]" in line and "max_steps=200" in line
    # verl states these under its own names: actor optim.lr, rollout.n, kl_loss_coef ...
    for present in ("learning_rate", "rollout_n", "kl_coef", "max_prompt_length"):
        assert f"{present}=" not in line, line


@pytest.mark.parametrize(
    ("fixture", "recipe", "needle"),
    [
        (
            "trl/valid/dpo_full.yaml",
            "sft_basic",
            "algorithm 'dpo' differs from recipe sft_basic's 'sft'",
        ),
        ("llamafactory/valid/llama3_lora_dpo.yaml", "sft_basic", "algorithm 'dpo' differs"),
        (
            "axolotl/valid/llama3_lora_1b_sft.yaml",
            "dpo_basic",
            "algorithm 'sft' differs from recipe dpo_basic's 'dpo'",
        ),
        (
            "llamafactory/valid/llama3_lora_sft.yaml",
            "sft_basic",
            "finetuning method 'lora' differs from recipe sft_basic's 'full'",
        ),
    ],
)
def test_algorithm_or_finetuning_mismatch_is_an_error(
    repo: Repo, cli: Cli, fixture: str, recipe: str, needle: str
) -> None:
    rel = _config(repo, fixture)
    result = cli("recipe", "validate", rel, "--recipe", recipe, cwd=repo.root)
    assert result.code == 1, result
    errors = [line for line in result.out.splitlines() if ": error: " in line]
    assert any(needle in line and "[recipe-algorithm]" in line for line in errors), result.out
    assert all(line.startswith(f"{rel}:") for line in errors)
