"""Applying a recipe to a model size and GPU count: every adapted value comes with its reason."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from gittrain.adapters import yamlio
from gittrain.core.edits import MISSING, Assignment, get_path, set_path, unset_path
from gittrain.core.recipes import Recipe
from gittrain.core.sizes import ModelSize, parse_size
from gittrain.document import DocPath

_HINT = re.compile(r"\s*([0-9.x]+[MBT])\s*-\s*([0-9.x]+[MBT])\s*\Z", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Change:
    """One value ``apply`` set, relative to the job root (``("config", "learning_rate")``)."""

    path: DocPath
    old: object  # MISSING when the recipe did not have it
    new: object  # MISSING when removed
    reason: str


@dataclass(frozen=True, slots=True)
class Applied:
    job: dict[str, Any]
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked ``apply`` for."""

    name: str
    size: ModelSize
    gpus: int
    model: str | None = None
    sets: Sequence[Assignment] = ()
    unsets: Sequence[DocPath] = ()
    datasets: Mapping[str, str] | None = None


def apply_recipe(recipe: Recipe, request: Request) -> Applied:
    """The job a recipe gives for ``request``; the recipe itself is not modified."""
    config: dict[str, Any] = copy.deepcopy(dict(recipe.default_config))
    changes: list[Change] = []
    warnings: list[str] = []

    def put(path: DocPath, value: object, reason: str) -> None:
        old = get_path(config, path)
        if old is MISSING or old != value or type(old) is not type(value):
            set_path(config, path, value, label=("config",))
            changes.append(Change(("config", *path), old, value, reason))

    hint = _hint_range(recipe.model_size_hint)
    if hint and not hint[0].params <= request.size.params <= hint[1].params:
        warnings.append(
            f"{request.size.text} is outside recipe {recipe.id}'s model size range "
            f"{recipe.model_size_hint}"
        )
    for adjustment in recipe.adjustments:
        if adjustment.matches(request.size):
            for key, value in adjustment.values.items():
                reason = f"model size {request.size.text} ({adjustment.describe_when()}): "
                put((key,), copy.deepcopy(value), reason + adjustment.reason)
    for assignment in request.sets:
        put(assignment.path, assignment.value, "set on the command line")
    for path in request.unsets:
        old = unset_path(config, path, label=("config",))
        changes.append(Change(("config", *path), old, MISSING, "removed on the command line"))
    explicit = {a.path[0] for a in request.sets if a.path}
    batch_changes, batch_warnings = fit_batch(config, request.gpus, explicit)
    for path, value, reason in batch_changes:
        put(path, value, reason)
    warnings.extend(batch_warnings)
    job: dict[str, Any] = {
        "name": request.name,
        "recipe": {"id": recipe.id, "version": recipe.version},
    }
    if recipe.rev is not None:  # made from `ID@REV`: the job stays pinned to that commit
        job["recipe"]["rev"] = recipe.rev
    if request.model:
        job["model"] = request.model
    job["model_size"] = request.size.text
    job["num_gpus"] = request.gpus
    job["datasets"] = dict(request.datasets or {})
    job["config"] = config
    job["result"] = {"status": "pending"}
    return Applied(job, tuple(changes), tuple(warnings))


def fit_batch(
    config: Mapping[str, Any], gpus: int, explicit: set[str | int] | frozenset[str] = frozenset()
) -> tuple[list[tuple[DocPath, object, str]], list[str]]:
    """Keep the global batch constant on ``gpus`` GPUs.

    Adjusts the per-device batch (down to the largest micro batch that divides
    evenly) and gradient accumulation.  When no split is exact the global batch
    is rounded to the nearest achievable one and a warning says so.
    """
    raw_total = config.get("global_batch_size")
    raw_micro = config.get("per_device_batch_size")
    if not _positive_int(raw_total) or not _positive_int(raw_micro):
        return [], []
    total: int = raw_total
    micro: int = raw_micro
    out: list[tuple[DocPath, object, str]] = []
    warnings: list[str] = []
    micro_reason = ""
    if gpus * micro > total and "per_device_batch_size" not in explicit:
        micro = max(1, total // gpus)
        micro_reason = (
            f"{gpus} GPUs x the recipe's micro batch would exceed the global batch {total}"
        )
    divisor = next((d for d in range(micro, 0, -1) if total % (d * gpus) == 0), None)
    if divisor is not None and "per_device_batch_size" not in explicit:
        if divisor != micro:
            micro_reason = (
                f"largest micro batch <= {micro} that splits the global batch {total} "
                f"evenly over {gpus} GPUs"
            )
        micro = divisor
    if micro_reason:
        out.append((("per_device_batch_size",), micro, micro_reason))
    if total % (micro * gpus) == 0:
        accumulation = total // (micro * gpus)
        out.append(
            (
                ("gradient_accumulation_steps",),
                accumulation,
                f"keeps the global batch {total} = {micro} per device x {accumulation} "
                f"x {gpus} GPUs",
            )
        )
        return out, warnings
    # No exact split: the largest micro batch whose achievable global batch is
    # within 1% of the recipe's, else the nearest achievable global batch.
    candidates = [micro] if "per_device_batch_size" in explicit else list(range(micro, 0, -1))
    splits = [(d, max(1, round(total / (d * gpus)))) for d in candidates]
    close = [s for s in splits if abs(s[0] * s[1] * gpus - total) <= total * 0.01]
    best_micro, accumulation = (
        close[0] if close else min(splits, key=lambda c: (abs(c[0] * c[1] * gpus - total), -c[0]))
    )
    if best_micro != micro:
        out.append(
            (
                ("per_device_batch_size",),
                best_micro,
                f"with {best_micro} per device the global batch can stay close to {total}",
            )
        )
        micro = best_micro
    actual = micro * accumulation * gpus
    warnings.append(
        f"global batch {total} cannot be split evenly over {gpus} GPUs; "
        f"using {micro} per device x {accumulation} x {gpus} GPUs = {actual}"
    )
    out.append(
        (
            ("gradient_accumulation_steps",),
            accumulation,
            f"nearest split of the global batch {total} over {gpus} GPUs",
        )
    )
    out.append(
        (
            ("global_batch_size",),
            actual,
            f"{total} is not divisible by {gpus} GPUs x {micro} per device",
        )
    )
    return out, warnings


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _hint_range(hint: str) -> tuple[ModelSize, ModelSize] | None:
    match = _HINT.match(hint)
    if not match:
        return None
    try:
        return parse_size(match.group(1)), parse_size(match.group(2))
    except ValueError:
        return None


def render(applied: Applied, recipe: Recipe, command: str) -> str:
    """The job file's text: a header, the YAML, and each adapted config value's reason."""
    reasons = {
        change.path[1]: change.reason
        for change in applied.changes
        if len(change.path) == 2 and change.path[0] == "config" and change.new is not MISSING
    }
    header = [
        f"# Made by `{command}`",
        f"# from recipe {recipe.id} {recipe.version} ({recipe.source}).",
    ]
    lines = yamlio.dump(applied.job).splitlines()
    in_config = False
    for index, line in enumerate(lines):
        if not line.startswith(" "):
            in_config = line == "config:"
            continue
        if in_config and line.startswith("  ") and not line.startswith("   "):
            key = line.strip().split(":", 1)[0]
            if key in reasons:
                lines[index] = f"{line}  # {reasons[key]}"
    return "\n".join([*header, *lines]) + "\n"
