"""Sanity rules on the canonical view: each has an id, a default severity and a one-line message.

Rules read ideas (``learning_rate``, ``group_size``, ...), never a framework's
spelling: the dialect has already said which native key holds which idea and
what its value means.  A finding carries the native path the value came from,
so it points at the user's own line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from gittrain.core.dialects.view import View, is_number
from gittrain.core.problems import Severity
from gittrain.document import DocPath

PREFERENCE = frozenset({"dpo", "ipo", "kto", "orpo", "simpo", "cpo"})
_NUMERIC = frozenset({"number", "integer"})
GROUPED = frozenset({"grpo", "rloo", "dapo", "remax"})
RL = frozenset({"grpo", "ppo", "rloo", "reinforce_pp", "remax", "dapo"})
COUNTS = (
    "per_device_batch",
    "accumulation",
    "global_batch",
    "prompt_batch",
    "num_gpus",
    "gpus_per_node",
    "nodes",
    "group_size",
)

# (family, finetuning) -> (typical low, typical high, hard low, hard high)
LR_RANGES: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("sft", "full"): (1e-6, 2e-4, 1e-8, 1e-3),
    ("sft", "lora"): (1e-5, 1e-3, 1e-7, 1e-2),
    ("pretrain", "full"): (1e-5, 1e-3, 1e-7, 1e-2),
    ("pretrain", "lora"): (1e-5, 1e-3, 1e-7, 1e-2),
    ("preference", "full"): (1e-7, 5e-6, 1e-9, 1e-4),
    ("preference", "lora"): (5e-7, 2e-4, 1e-8, 1e-3),
    ("orpo", "full"): (1e-7, 2e-5, 1e-9, 1e-4),
    ("orpo", "lora"): (1e-6, 2e-4, 1e-8, 1e-3),
    ("rl", "full"): (1e-7, 1e-5, 1e-9, 1e-4),
    ("rl", "lora"): (1e-6, 1e-4, 1e-8, 1e-3),
}
_LABELS = {"sft": "SFT", "pretrain": "pretraining", "preference": "", "orpo": "ORPO", "rl": ""}


# Records here are NamedTuples, not dataclasses: validation in the pre-commit hook imports
# this module (see gittrain/document.py).
class Finding(NamedTuple):
    """A rule's verdict; ``path`` is where the value was read (None: from outside the file)."""

    path: DocPath | None
    severity: Severity
    message: str
    rule: str


class Context(NamedTuple):
    """What the rules know about a config: its canonical view, plus the recipe's limits."""

    view: View
    min_gpus: int | None = None
    recipe_id: str | None = None


Rule = Callable[[Context], Iterator[Finding]]


def _g(x: float) -> str:
    return f"{x:g}"


def _key(path: DocPath | None, idea: str) -> str:
    """The user's own name for a value: the native key it was read from."""
    for part in reversed(path or ()):
        if isinstance(part, str):
            return part
    return idea


def _positive(ctx: Context, idea: str) -> tuple[DocPath | None, int] | None:
    found = ctx.view.integer(idea)
    return found if found is not None and found[1] > 0 else None


def _family(algorithm: str) -> str | None:
    if algorithm in ("sft", "pretrain"):
        return algorithm
    if algorithm == "orpo":
        return "orpo"
    if algorithm in PREFERENCE:
        return "preference"
    if algorithm in RL:
        return "rl"
    return None


def lr_range(ctx: Context) -> Iterator[Finding]:
    found = ctx.view.number("learning_rate")
    algorithm = ctx.view.text("algorithm")
    family = _family(algorithm) if algorithm else None
    if found is None or family is None:
        return
    method = "lora" if ctx.view.text("finetuning") in ("lora", "qlora") else "full"
    path, lr = found
    low, high, hard_low, hard_high = LR_RANGES[family, method]
    name = _LABELS[family] or str(algorithm).upper()
    label = f"{name} with LoRA" if method == "lora" else name
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


def positive_count(ctx: Context) -> Iterator[Finding]:
    seen: set[DocPath] = set()  # one key read as two ideas (GPUs per node, GPUs) is one finding
    for idea in COUNTS:
        found = ctx.view.get(idea)
        if found is None or found.path is None or found.path in seen:
            continue
        seen.add(found.path)
        number = ctx.view.number(idea)
        if number is not None and number[1] <= 0:
            yield Finding(
                found.path,
                Severity.ERROR,
                f"must be a positive whole number, not {_g(number[1])}",
                "positive-count",
            )


def batch_divisible(ctx: Context) -> Iterator[Finding]:
    total = _positive(ctx, "global_batch")
    per_device = _positive(ctx, "per_device_batch")
    gpus = _positive(ctx, "num_gpus")
    if total is None or per_device is None or gpus is None:
        return
    path, global_batch = total
    step = gpus[1] * per_device[1]
    if global_batch % step:
        yield Finding(
            path,
            Severity.ERROR,
            f"global batch {global_batch} is not divisible by {gpus[1]} GPUs x "
            f"{per_device[1]} per device = {step}",
            "batch-divisible",
        )
        return
    accumulation = _positive(ctx, "accumulation")
    if accumulation is not None and step * accumulation[1] != global_batch:
        yield Finding(
            accumulation[0],
            Severity.ERROR,
            f"{per_device[1]} per device x {accumulation[1]} accumulation x {gpus[1]} GPUs "
            f"= {step * accumulation[1]}, not the global batch {global_batch} "
            f"(use {global_batch // step})",
            "batch-divisible",
        )


def rollout_n(ctx: Context) -> Iterator[Finding]:
    found = ctx.view.integer("group_size")
    algorithm = ctx.view.text("algorithm")
    if found is not None and algorithm in GROUPED and 0 < found[1] < 2:
        yield Finding(
            found[0],
            Severity.ERROR,
            f"{algorithm.upper()} needs at least 2 rollouts per prompt to form a group, "
            f"not {found[1]}",
            "rollout-n",
        )


def kl_range(ctx: Context) -> Iterator[Finding]:
    found = ctx.view.number("kl_coef")
    if found is None:
        return
    path, kl = found
    if kl < 0:
        yield Finding(path, Severity.ERROR, f"KL coefficient {_g(kl)} is negative", "kl-range")
    elif kl > 1:
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
    found = ctx.view.number("pref_beta")
    if found is None:
        return
    path, beta = found
    loss = ctx.view.text("pref_loss")
    if loss == "simpo" or ctx.view.text("algorithm") == "simpo":
        # SimPO's beta scales a length-normalised reward: 2..2.5 in the paper, up to 10.
        if beta <= 0 or beta > 10:
            yield Finding(
                path, Severity.ERROR, f"SimPO beta {_g(beta)} is outside (0, 10]", "beta-range"
            )
        elif beta < 1:
            yield Finding(
                path,
                Severity.WARNING,
                f"SimPO beta {_g(beta)} is below the usual 1..10 (the paper uses 2..2.5)",
                "beta-range",
            )
        return
    if beta <= 0 or beta > 1:
        yield Finding(
            path, Severity.ERROR, f"{_beta(ctx)} {_g(beta)} is outside (0, 1]", "beta-range"
        )
    elif beta < 0.01 or beta > 0.5:
        yield Finding(
            path,
            Severity.WARNING,
            f"{_beta(ctx)} {_g(beta)} is outside the usual 0.01..0.5",
            "beta-range",
        )


def _beta(ctx: Context) -> str:
    algorithm = ctx.view.text("algorithm")
    return f"{algorithm.upper()} beta" if algorithm in PREFERENCE else "preference beta"


def lora_alpha_ratio(ctx: Context) -> Iterator[Finding]:
    rank = _positive(ctx, "lora_rank")
    alpha = ctx.view.number("lora_alpha")
    if rank is None or alpha is None:
        return
    ratio = alpha[1] / rank[1]
    if not 0.5 <= ratio <= 4:
        yield Finding(
            alpha[0],
            Severity.WARNING,
            f"{_key(alpha[0], 'lora_alpha')}/{_key(rank[0], 'lora_rank')} is {_g(ratio)}; "
            "the usual range is 0.5..4 "
            f"(alpha = rank or 2 x rank)",
            "lora-alpha-ratio",
        )


def min_gpus(ctx: Context) -> Iterator[Finding]:
    gpus = _positive(ctx, "num_gpus")
    if gpus is not None and ctx.min_gpus is not None and gpus[1] < ctx.min_gpus:
        yield Finding(
            gpus[0],
            Severity.ERROR,
            f"{gpus[1]} GPUs is fewer than recipe {ctx.recipe_id}'s minimum of {ctx.min_gpus}",
            "min-gpus",
        )


def seq_length(ctx: Context) -> Iterator[Finding]:
    prompt = _positive(ctx, "max_prompt_length")
    response = _positive(ctx, "max_response_length")
    context = _positive(ctx, "max_length")
    if prompt is None or response is None or context is None:
        return
    if prompt[1] + response[1] > context[1]:
        yield Finding(
            response[0],
            Severity.ERROR,
            f"{_key(prompt[0], 'max_prompt_length')} {prompt[1]} + "
            f"{_key(response[0], 'max_response_length')} {response[1]} = "
            f"{prompt[1] + response[1]} exceeds {_key(context[0], 'max_length')} {context[1]}",
            "seq-length",
        )


def warmup_steps(ctx: Context) -> Iterator[Finding]:
    warmup = ctx.view.number("warmup_steps")
    if warmup is None:
        return
    path, value = warmup
    if not value.is_integer() or value < 0:
        hint = f"; did you mean warmup_ratio: {_g(value)}?" if 0 < value < 1 else ""
        yield Finding(
            path,
            Severity.ERROR,
            f"{_key(path, 'warmup_steps')} must be a whole number of steps, not {_g(value)}{hint}",
            "warmup-steps",
        )
        return
    steps = _positive(ctx, "max_steps")
    if steps is not None and value >= steps[1]:
        yield Finding(
            path,
            Severity.ERROR,
            f"{_key(path, 'warmup_steps')} {int(value)} is not below "
            f"{_key(steps[0], 'max_steps')} {steps[1]}; "
            "the run would never reach its peak learning rate",
            "warmup-steps",
        )


def value_type(ctx: Context) -> Iterator[Finding]:
    """A word where the trainer reads a number: the run would fail as it starts (a job's
    values are typed by its schema; this does the same for a trainer's own config)."""
    from gittrain.core.dialects.vocabulary import shipped

    ideas = shipped().ideas
    for idea, found in ctx.view.values.items():
        meaning = ideas.get(idea)
        value = found.value
        if meaning is None or meaning.type not in _NUMERIC or found.path is None:
            continue
        if value is None or is_number(value) or (isinstance(value, str) and "${" in value):
            continue  # unset, a number, or an interpolation the trainer resolves at run time
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        yield Finding(
            found.path,
            Severity.ERROR,
            f"{meaning.title} must be a number, not {shown}; "
            f"{ctx.view.dialect.name} cannot read it",
            "value-type",
        )


RULES: dict[str, Rule] = {
    "value-type": value_type,
    "lr-range": lr_range,
    "positive-count": positive_count,
    "batch-divisible": batch_divisible,
    "rollout-n": rollout_n,
    "kl-range": kl_range,
    "beta-range": beta_range,
    "lora-alpha-ratio": lora_alpha_ratio,
    "min-gpus": min_gpus,
    "seq-length": seq_length,
    "warmup-steps": warmup_steps,
}
# Findings made outside the rule functions, whose severity settings also select.
OTHER_IDS = (
    "config-file",
    "unknown-key",
    "dialect",
    "recipe-algorithm",
    "recipe-keys",
    "data-requirements",
    "data",  # `check-data`: an unlocked, missing or changed dataset a job names
)
ALL_IDS = (*RULES, *OTHER_IDS)


def severity(rule_id: str, default: Severity, overrides: Mapping[str, str]) -> Severity | None:
    """The severity a setting gives ``rule_id`` (None when turned off)."""
    setting = overrides.get(rule_id)
    if setting == "off":
        return None
    if setting in ("warning", "error"):
        return Severity(setting)
    return default


def check(ctx: Context, overrides: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding of every rule; ``overrides`` maps rule id to off/warning/error."""
    overrides = overrides or {}
    findings: list[Finding] = []
    for rule_id, rule in RULES.items():
        if overrides.get(rule_id) == "off":
            continue
        for found in rule(ctx):
            level = severity(rule_id, found.severity, overrides)
            if level is not None:
                findings.append(Finding(found.path, level, found.message, found.rule))
    return findings
