"""Diff tiers per dialect: what a reviewer of each framework's config must not miss (issue 10
item 7).  One row per (dialect, native path, tier); a wrong tier is fixed in the dialect's data
file (``gittrain/data/dialects/NAME.yaml``), never here."""

from __future__ import annotations

import pytest

from gittrain.core.dialects.vocabulary import shipped
from gittrain.core.importance import Tier, defaults

CRITICAL, IMPORTANT, NORMAL, NOISE = Tier.CRITICAL, Tier.IMPORTANT, Tier.NORMAL, Tier.NOISE

# (dialect, native path with `[]` for a list item, tier, what it is)
ROWS = [
    # verl
    ("verl", "algorithm.adv_estimator", CRITICAL, "algorithm"),
    ("verl", "actor_rollout_ref.model.path", CRITICAL, "base model"),
    ("verl", "data.train_files", CRITICAL, "dataset"),
    ("verl", "actor_rollout_ref.model.lora_rank", IMPORTANT, "adapter"),
    ("verl", "actor_rollout_ref.model.lora_alpha", IMPORTANT, "lora_alpha"),
    ("verl", "actor_rollout_ref.model.target_modules", IMPORTANT, "LoRA targets"),
    ("verl", "actor_rollout_ref.actor.optim.optimizer", IMPORTANT, "optimizer"),
    ("verl", "actor_rollout_ref.actor.fsdp_config.dtype", IMPORTANT, "precision"),
    ("verl", "actor_rollout_ref.actor.strategy", IMPORTANT, "FSDP or Megatron"),
    ("verl", "actor_rollout_ref.model.custom_chat_template", IMPORTANT, "chat template"),
    ("verl", "actor_rollout_ref.actor.entropy_coeff", IMPORTANT, "entropy coefficient"),
    ("verl", "actor_rollout_ref.actor.clip_ratio", IMPORTANT, "clip ratio"),
    ("verl", "actor_rollout_ref.actor.use_kl_loss", IMPORTANT, "use_kl_loss"),
    ("verl", "actor_rollout_ref.rollout.temperature", IMPORTANT, "rollout temperature"),
    ("verl", "data.train_max_samples", IMPORTANT, "max samples"),
    ("verl", "data.dataloader_num_workers", IMPORTANT, "process count"),
    ("verl", "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu", NORMAL, "inference batch"),
    ("verl", "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu", NORMAL, "inference batch"),
    ("verl", "data.val_batch_size", NORMAL, "eval batch"),
    ("verl", "trainer.save_freq", NOISE, "save steps"),
    ("verl", "trainer.test_freq", NOISE, "eval steps"),
    ("verl", "actor_rollout_ref.actor._target_", NOISE, "_target_"),
    ("verl", "actor_rollout_ref.actor.optim._target_", NOISE, "_target_"),
    # TRL (the trainer class, chosen by the script, is the algorithm: no key holds it)
    ("trl", "model_name_or_path", CRITICAL, "base model"),
    ("trl", "dataset_name", CRITICAL, "dataset"),
    ("trl", "use_peft", IMPORTANT, "adapter"),
    ("trl", "load_in_4bit", IMPORTANT, "quantization"),
    ("trl", "load_in_8bit", IMPORTANT, "quantization"),
    ("trl", "lora_alpha", IMPORTANT, "lora_alpha"),
    ("trl", "lora_target_modules", IMPORTANT, "LoRA targets"),
    ("trl", "optim", IMPORTANT, "optimizer"),
    ("trl", "bf16", IMPORTANT, "precision"),
    ("trl", "deepspeed", IMPORTANT, "deepspeed"),
    ("trl", "fsdp", IMPORTANT, "FSDP"),
    ("trl", "fsdp_config", IMPORTANT, "FSDP config"),
    ("trl", "chat_template_path", IMPORTANT, "chat template"),
    ("trl", "loss_type", IMPORTANT, "preference loss"),
    ("trl", "temperature", IMPORTANT, "rollout temperature"),
    ("trl", "epsilon", IMPORTANT, "clip ratio"),
    ("trl", "dataset_num_proc", IMPORTANT, "process count"),
    ("trl", "dataloader_num_workers", IMPORTANT, "process count"),
    ("trl", "per_device_eval_batch_size", NORMAL, "eval batch"),
    ("trl", "save_steps", NOISE, "save steps"),
    ("trl", "eval_steps", NOISE, "eval steps"),
    # LLaMA-Factory
    ("llamafactory", "stage", CRITICAL, "algorithm"),
    ("llamafactory", "finetuning_type", CRITICAL, "finetuning method"),
    ("llamafactory", "model_name_or_path", CRITICAL, "base model"),
    ("llamafactory", "dataset", CRITICAL, "dataset"),
    ("llamafactory", "quantization_bit", IMPORTANT, "quantization"),
    ("llamafactory", "quantization_method", IMPORTANT, "quantization"),
    ("llamafactory", "lora_alpha", IMPORTANT, "lora_alpha"),
    ("llamafactory", "lora_target", IMPORTANT, "LoRA targets"),
    ("llamafactory", "optim", IMPORTANT, "optimizer"),
    ("llamafactory", "bf16", IMPORTANT, "precision"),
    ("llamafactory", "pure_bf16", IMPORTANT, "precision"),
    ("llamafactory", "deepspeed", IMPORTANT, "deepspeed"),
    ("llamafactory", "fsdp_config", IMPORTANT, "FSDP config"),
    ("llamafactory", "template", IMPORTANT, "chat template"),
    ("llamafactory", "pref_loss", IMPORTANT, "preference loss"),
    ("llamafactory", "max_samples", IMPORTANT, "max samples"),
    ("llamafactory", "preprocessing_num_workers", IMPORTANT, "process count"),
    ("llamafactory", "dataloader_num_workers", IMPORTANT, "process count"),
    ("llamafactory", "per_device_eval_batch_size", NORMAL, "eval batch"),
    ("llamafactory", "save_steps", NOISE, "save steps"),
    ("llamafactory", "eval_steps", NOISE, "eval steps"),
    ("llamafactory", "tokenized_path", NOISE, "prepared data"),
    # axolotl
    ("axolotl", "rl", CRITICAL, "algorithm"),
    ("axolotl", "base_model", CRITICAL, "base model"),
    ("axolotl", "datasets[].path", CRITICAL, "dataset"),
    ("axolotl", "pretraining_dataset[].path", CRITICAL, "pretraining dataset"),
    ("axolotl", "adapter", IMPORTANT, "adapter"),
    ("axolotl", "load_in_4bit", IMPORTANT, "quantization"),
    ("axolotl", "load_in_8bit", IMPORTANT, "quantization"),
    ("axolotl", "lora_alpha", IMPORTANT, "lora_alpha"),
    ("axolotl", "lora_target_modules", IMPORTANT, "LoRA targets"),
    ("axolotl", "lora_target_linear", IMPORTANT, "LoRA targets"),
    ("axolotl", "optimizer", IMPORTANT, "optimizer"),
    ("axolotl", "bf16", IMPORTANT, "precision"),
    ("axolotl", "deepspeed", IMPORTANT, "deepspeed"),
    ("axolotl", "fsdp_config", IMPORTANT, "FSDP config"),
    ("axolotl", "chat_template", IMPORTANT, "chat template"),
    ("axolotl", "dpo_loss_type", IMPORTANT, "preference loss"),
    ("axolotl", "trl.temperature", IMPORTANT, "rollout temperature"),
    ("axolotl", "trl.epsilon", IMPORTANT, "clip ratio"),
    ("axolotl", "dataset_processes", IMPORTANT, "process count"),
    ("axolotl", "eval_batch_size", NORMAL, "eval batch"),
    ("axolotl", "saves_per_epoch", NOISE, "save count"),
    ("axolotl", "evals_per_epoch", NOISE, "eval count"),
    ("axolotl", "save_steps", NOISE, "save steps"),
    ("axolotl", "eval_steps", NOISE, "eval steps"),
    ("axolotl", "dataset_prepared_path", NOISE, "prepared data"),
    # torchtune (the loss component picks the algorithm: DPOLoss, SimPOLoss, ...)
    ("torchtune", "loss._component_", CRITICAL, "algorithm"),
    ("torchtune", "model._component_", CRITICAL, "base model"),
    ("torchtune", "checkpointer.checkpoint_dir", CRITICAL, "base model"),
    ("torchtune", "dataset._component_", CRITICAL, "dataset"),
    ("torchtune", "dataset.source", CRITICAL, "dataset"),
    ("torchtune", "model.lora_attn_modules", IMPORTANT, "LoRA targets"),
    ("torchtune", "model.apply_lora_to_mlp", IMPORTANT, "LoRA targets"),
    ("torchtune", "model.lora_alpha", IMPORTANT, "lora_alpha"),
    ("torchtune", "model.quantize_base", IMPORTANT, "quantization"),
    ("torchtune", "optimizer._component_", IMPORTANT, "optimizer"),
    ("torchtune", "dtype", IMPORTANT, "precision"),
    ("torchtune", "tokenizer.prompt_template", IMPORTANT, "chat template"),
    ("torchtune", "forward_batch_size", NORMAL, "inference batch (PPO)"),
    ("torchtune", "output_dir", NOISE, "bookkeeping"),
    ("torchtune", "log_every_n_steps", NOISE, "logging steps"),
]  # fmt: skip


def _path(dotted: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for key in dotted.split("."):
        out += [key[:-2], 0] if key.endswith("[]") else [key]
    return tuple(out)


@pytest.mark.parametrize(
    ("dialect", "path", "tier"),
    [pytest.param(d, p, t, id=f"{d}:{p}:{what}") for d, p, t, what in ROWS],
)
def test_tier(dialect: str, path: str, tier: Tier) -> None:
    vocabulary = shipped()
    got, rule = defaults().classify(_path(path), vocabulary.get(dialect))
    assert got is tier, (got, rule)


@pytest.mark.parametrize(("dialect", "path"), [(d, p) for d, p, _, _ in ROWS])
def test_every_row_is_a_key_its_framework_knows(dialect: str, path: str) -> None:
    keys = tuple(k for k in path.split("."))
    assert shipped().get(dialect).known(keys), f"{dialect} does not know {path}"


def test_every_framework_has_rows_in_every_tier() -> None:
    frameworks = {d.name for d in shipped().frameworks}
    for tier in (CRITICAL, IMPORTANT, NORMAL, NOISE):
        covered = {d for d, _, t, _ in ROWS if t is tier}
        assert covered == frameworks, (tier, frameworks - covered)


def test_a_stated_tier_keeps_the_label_of_the_idea_it_feeds() -> None:
    vocabulary = shipped()
    tier, rule = defaults().classify(("rl",), vocabulary.get("axolotl"))
    assert (tier, rule and rule.idea) == (CRITICAL, "training algorithm")
    tier, rule = defaults().classify(("load_in_4bit",), vocabulary.get("axolotl"))
    assert (tier, rule and rule.idea) == (IMPORTANT, "quantization")
