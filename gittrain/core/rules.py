"""Sanity rules for training configs: each has an id, a default severity and a one-line message.

Rules read the canonical keys gittrain writes (``learning_rate``,
``per_device_batch_size``, ...) and the spellings real trainers use for the
same ideas (``lr``, ``per_device_train_batch_size``, ``num_generations``, ...),
so they also work on framework-native configs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from gittrain.core.problems import Severity
from gittrain.document import DocPath

# concept -> spellings, first found wins (top-level keys of the config mapping).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "algorithm": ("algorithm",),
    "learning_rate": ("learning_rate", "lr"),
    "global_batch": ("global_batch_size", "train_batch_size"),
    "per_device_batch": (
        "per_device_batch_size",
        "per_device_train_batch_size",
        "micro_batch_size",
    ),
    "accumulation": ("gradient_accumulation_steps",),
    "rollout_n": ("rollout_n", "num_generations", "grpo_samples"),
    "kl_coef": ("kl_coef", "kl_loss_coef", "kl_coeff"),
    "beta": ("beta", "pref_beta"),
    "lora_rank": ("lora_rank", "lora_r"),
    "lora_alpha": ("lora_alpha",),
    "context_length": ("context_length", "cutoff_len", "sequence_len", "max_seq_length"),
    "max_prompt_length": ("max_prompt_length",),
    "max_response_length": ("max_response_length",),
    "warmup_steps": ("warmup_steps",),
    "max_steps": ("max_steps",),
}

# algorithm -> (typical low, typical high, hard low, hard high); LoRA runs use "sft-lora".
LR_RANGES: dict[str, tuple[float, float, float, float]] = {
    "sft": (1e-6, 2e-4, 1e-8, 1e-3),
    "sft-lora": (1e-5, 1e-3, 1e-7, 1e-2),
    "pretrain": (1e-5, 1e-3, 1e-7, 1e-2),
    "dpo": (1e-7, 5e-6, 1e-9, 1e-4),
    "grpo": (1e-7, 1e-5, 1e-9, 1e-4),
    "ppo": (1e-7, 1e-5, 1e-9, 1e-4),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on one value; ``path`` is relative to the document root."""

    path: DocPath
    severity: Severity
    message: str
    rule: str


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules know about a config besides its values."""

    config: Mapping[str, object]
    config_path: DocPath = ("config",)
    num_gpus: int | None = None
    num_gpus_path: DocPath = ("num_gpus",)
    algorithm: str | None = None  # from the recipe when the config does not say
    min_gpus: int | None = None
    recipe_id: str | None = None

    def find(self, concept: str) -> tuple[DocPath, object] | None:
        for key in SPELLINGS[concept]:
            if key in self.config:
                return (*self.config_path, key), self.config[key]
        return None

    def number(self, concept: str) -> tuple[DocPath, float] | None:
        found = self.find(concept)
        if found is None:
            return None
        path, value = found
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None  # the schema reports wrong types
        return path, float(value)

    def integer(self, concept: str) -> tuple[DocPath, int] | None:
        found = self.number(concept)
        if found is None or not found[1].is_integer():
            return None
        return found[0], int(found[1])

    def algo(self) -> str | None:
        found = self.find("algorithm")
        if found is not None and isinstance(found[1], str):
            return found[1].lower()
        return self.algorithm


Rule = Callable[[Context], Iterator[Finding]]


def _g(x: float) -> str:
    return f"{x:g}"


def lr_range(ctx: Context) -> Iterator[Finding]:
    found = ctx.number("learning_rate")
    algorithm = ctx.algo()
    if found is None or algorithm is None:
        return
    key = "sft-lora" if algorithm == "sft" and ctx.find("lora_rank") else algorithm
    if key not in LR_RANGES:
        return
    path, lr = found
    low, high, hard_low, hard_high = LR_RANGES[key]
    label = "SFT with LoRA" if key == "sft-lora" else algorithm.upper()
    if lr > hard_high or lr < hard_low:
        side = "above" if lr > hard_high else "below"
        bound = hard_high if lr > hard_high else hard_low
        yield Finding(
            path,
            Severity.ERROR,
            f"learning rate {_g(lr)} is {side} {_g(bound)}, the limit for {label} "
            f"(typical {_g(low)}..{_g(high)})",
            "lr-range",
        )
    elif lr > high or lr < low:
        yield Finding(
            path,
            Severity.WARNING,
            f"learning rate {_g(lr)} is outside the typical range for {label} "
            f"({_g(low)}..{_g(high)})",
            "lr-range",
        )


def batch_divisible(ctx: Context) -> Iterator[Finding]:
    total = ctx.integer("global_batch")
    per_device = ctx.integer("per_device_batch")
    if total is None or per_device is None or ctx.num_gpus is None:
        return
    path, global_batch = total
    gpus = ctx.num_gpus
    step = gpus * per_device[1]
    if global_batch % step:
        yield Finding(
            path,
            Severity.ERROR,
            f"global batch {global_batch} is not divisible by {gpus} GPUs x "
            f"{per_device[1]} per device = {step}",
            "batch-divisible",
        )
        return
    accumulation = ctx.integer("accumulation")
    if accumulation is not None and step * accumulation[1] != global_batch:
        yield Finding(
            accumulation[0],
            Severity.ERROR,
            f"{per_device[1]} per device x {accumulation[1]} accumulation x {gpus} GPUs "
            f"= {step * accumulation[1]}, not the global batch {global_batch} "
            f"(use {global_batch // step})",
            "batch-divisible",
        )


def rollout_n(ctx: Context) -> Iterator[Finding]:
    found = ctx.integer("rollout_n")
    if found is not None and ctx.algo() == "grpo" and found[1] < 2:
        yield Finding(
            found[0],
            Severity.ERROR,
            f"GRPO needs at least 2 rollouts per prompt to form a group, not {found[1]}",
            "rollout-n",
        )


def kl_range(ctx: Context) -> Iterator[Finding]:
    found = ctx.number("kl_coef")
    if found is None:
        return
    path, kl = found
    if kl > 1:
        yield Finding(
            path,
            Severity.ERROR,
            f"KL coefficient {_g(kl)} is above 1; the policy would barely move",
            "kl-range",
        )
    elif kl > 0.2:
        yield Finding(
            path, Severity.WARNING, f"KL coefficient {_g(kl)} is above the usual 0..0.2", "kl-range"
        )


def beta_range(ctx: Context) -> Iterator[Finding]:
    found = ctx.number("beta")
    if found is None or ctx.algo() not in ("dpo", None):
        return
    path, beta = found
    if beta <= 0 or beta > 1:
        yield Finding(path, Severity.ERROR, f"DPO beta {_g(beta)} is outside (0, 1]", "beta-range")
    elif beta < 0.01 or beta > 0.5:
        yield Finding(
            path,
            Severity.WARNING,
            f"DPO beta {_g(beta)} is outside the usual 0.01..0.5",
            "beta-range",
        )


def lora_alpha_ratio(ctx: Context) -> Iterator[Finding]:
    rank = ctx.number("lora_rank")
    alpha = ctx.number("lora_alpha")
    if rank is None or alpha is None or rank[1] <= 0:
        return
    ratio = alpha[1] / rank[1]
    if not 0.5 <= ratio <= 4:
        yield Finding(
            alpha[0],
            Severity.WARNING,
            f"lora_alpha/lora_rank is {_g(ratio)}; the usual range is 0.5..4 "
            f"(alpha = rank or 2 x rank)",
            "lora-alpha-ratio",
        )


def min_gpus(ctx: Context) -> Iterator[Finding]:
    if ctx.num_gpus is not None and ctx.min_gpus is not None and ctx.num_gpus < ctx.min_gpus:
        yield Finding(
            ctx.num_gpus_path,
            Severity.ERROR,
            f"{ctx.num_gpus} GPUs is fewer than recipe {ctx.recipe_id}'s minimum of {ctx.min_gpus}",
            "min-gpus",
        )


def seq_length(ctx: Context) -> Iterator[Finding]:
    prompt = ctx.integer("max_prompt_length")
    response = ctx.integer("max_response_length")
    context = ctx.integer("context_length")
    if prompt is None or response is None or context is None:
        return
    if prompt[1] + response[1] > context[1]:
        yield Finding(
            response[0],
            Severity.ERROR,
            f"max_prompt_length {prompt[1]} + max_response_length {response[1]} = "
            f"{prompt[1] + response[1]} exceeds context_length {context[1]}",
            "seq-length",
        )


def warmup_steps(ctx: Context) -> Iterator[Finding]:
    warmup = ctx.integer("warmup_steps")
    steps = ctx.integer("max_steps")
    if warmup is not None and steps is not None and warmup[1] >= steps[1]:
        yield Finding(
            warmup[0],
            Severity.ERROR,
            f"warmup_steps {warmup[1]} is not below max_steps {steps[1]}; "
            "the run would never reach its peak learning rate",
            "warmup-steps",
        )


RULES: dict[str, Rule] = {
    "lr-range": lr_range,
    "batch-divisible": batch_divisible,
    "rollout-n": rollout_n,
    "kl-range": kl_range,
    "beta-range": beta_range,
    "lora-alpha-ratio": lora_alpha_ratio,
    "min-gpus": min_gpus,
    "seq-length": seq_length,
    "warmup-steps": warmup_steps,
}


def check(ctx: Context, overrides: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding of every rule; ``overrides`` maps rule id to off/warning/error."""
    overrides = overrides or {}
    findings: list[Finding] = []
    for rule_id, rule in RULES.items():
        setting = overrides.get(rule_id)
        if setting == "off":
            continue
        for found in rule(ctx):
            if setting in ("warning", "error"):
                findings.append(Finding(found.path, Severity(setting), found.message, found.rule))
            else:
                findings.append(found)
    return findings
