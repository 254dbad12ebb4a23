"""Demo section: configs written for verl, TRL and axolotl, checked and diffed as they are."""

from __future__ import annotations

from pathlib import Path

from gittrain.demo import example
from gittrain.demo.tour import Step

# A verl GRPO run as teams commit it: a Hydra override file on top of ppo_trainer.yaml,
# with the values of verl's run_qwen2-7b GSM8K example.
VERL_GRPO = """\
hydra:
  searchpath:
    - pkg://verl.trainer.config
defaults:
  - ppo_trainer
  - _self_
algorithm:
  adv_estimator: grpo
  use_kl_in_reward: false
data:
  train_files: data/gsm8k/train.parquet
  val_files: data/gsm8k/test.parquet
  train_batch_size: 1024
  max_prompt_length: 512
  max_response_length: 1024
actor_rollout_ref:
  model:
    path: Qwen/Qwen2-7B-Instruct
    enable_gradient_checkpointing: true
  actor:
    optim:
      lr: 1e-6
    ppo_mini_batch_size: 256
    ppo_micro_batch_size_per_gpu: 16
    use_kl_loss: true
    kl_loss_coef: 0.001
    kl_loss_type: low_var_kl
    entropy_coeff: 0
  rollout:
    name: vllm
    n: 5
    gpu_memory_utilization: 0.6
    log_prob_micro_batch_size_per_gpu: 32
trainer:
  project_name: verl_grpo_example_gsm8k
  experiment_name: qwen2_7b_function_rm
  n_gpus_per_node: 8
  nnodes: 1
  save_freq: 20
  test_freq: 5
  total_epochs: 15
"""

# `trl grpo --config grpo.yaml`: TRL's GRPOConfig defaults beta (its KL coefficient) to 0.
TRL_GRPO = """\
model_name_or_path: Qwen/Qwen2.5-1.5B-Instruct
dataset_name: trl-lib/DeepMath-103K
output_dir: runs/qwen-grpo
learning_rate: 1.0e-6
per_device_train_batch_size: 8
gradient_accumulation_steps: 4
num_generations: 1
max_prompt_length: 512
max_completion_length: 1024
beta: 0.0
bf16: true
num_train_epochs: 1
logging_steps: 10
"""

# axolotl DPO with a learning rate typed by hand, and a key spelled wrong.
AXOLOTL_DPO = """\
base_model: meta-llama/Meta-Llama-3-8B-Instruct
load_in_8bit: true
rl: dpo
rl_beta: 0.1
datasets:
  - path: fozziethebeat/alpaca_messages_2k_dpo_test
    type: chat_template.default
adapter: lora
lora_r: 32
lora_alpha: 16
lora_dropout: 0.05
lora_target_linear: true
sequence_len: 4096
micro_batch_size: 2
gradient_accumulation_steps: 4
num_epochs: 1
optimizer: paged_adamw_32bit
lr_scheduler: cosine
learning_rate: 3
lr_warmup_steps: 10
bf16: auto
output_dir: ./outputs/dpo-out
"""


def _write(root: Path) -> None:
    for rel, text in (
        ("configs/verl/grpo_gsm8k.yaml", VERL_GRPO),
        ("configs/trl/grpo.yaml", TRL_GRPO),
        ("configs/axolotl/dpo.yaml", AXOLOTL_DPO),
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _fix_stage_and_retune(root: Path) -> None:
    trl = root / "configs/trl/grpo.yaml"
    trl.write_text(TRL_GRPO.replace("num_generations: 1", "num_generations: 8"))
    axolotl = root / "configs/axolotl/dpo.yaml"
    axolotl.write_text(
        AXOLOTL_DPO.replace("learning_rate: 3", "learning_rate: 5.0e-6").replace(
            "lr_warmup_steps", "warmup_steps"
        )
    )
    example.run_git(root, "add", "configs")  # staged, not committed: the tour's history stays
    _tune_verl(root)


def _tune_verl(root: Path) -> None:
    path = root / "configs/verl/grpo_gsm8k.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("lr: 1e-6", "lr: 2e-6").replace("    n: 5", "    n: 8")
    text = text.replace("ppo_micro_batch_size_per_gpu: 16", "ppo_micro_batch_size_per_gpu: 8")
    path.write_text(text.replace("save_freq: 20", "save_freq: 10"), encoding="utf-8")


def steps() -> list[Step]:
    return [
        Step(
            "Configs written for verl, TRL and axolotl, checked as they are",
            ["git", "train", "validate", "configs"],
            expect=1,
            prepare=_write,
            note="Each file is read in its framework's dialect; findings name the native key.",
        ),
        Step(
            "Why each file was read as it was",
            ["git", "train", "validate", "--format", "json", "configs/trl/grpo.yaml"],
            expect=1,
            max_lines=12,
        ),
        Step(
            "A framework config against a recipe, idea by idea",
            [
                "git",
                "train",
                "recipe",
                "validate",
                "configs/verl/grpo_gsm8k.yaml",
                "--recipe",
                "grpo_basic",
            ],
        ),
        Step(
            "Fixed and staged; then the verl run is retuned (index -> working tree)",
            ["git", "train", "diff"],
            prepare=_fix_stage_and_retune,
            note="verl's batch counts prompts: the derived line is prompts x group size.",
        ),
    ]
