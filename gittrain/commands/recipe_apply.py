"""`git train recipe apply`: a job from a recipe, a model size and a GPU count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gittrain.commands.jobfiles import check_name
from gittrain.commands.validate import checker
from gittrain.commands.workspace import Workspace
from gittrain.core.apply import Applied, Request, apply_recipe, render
from gittrain.core.edits import parse_assignment, parse_key_path
from gittrain.core.problems import Problem, count
from gittrain.core.recipes import Recipe
from gittrain.core.sizes import parse_size_arg
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import atomic_write


@dataclass(frozen=True, slots=True)
class ApplyResult:
    recipe: Recipe
    applied: Applied
    text: str
    output: str | None  # repository-relative path written, None for stdout
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return count(self.problems)


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """What the user asked of `recipe apply` (and `job new`), as typed on the command line."""

    model_size: str
    gpus: int
    sets: Sequence[str] = ()
    unsets: Sequence[str] = ()
    datasets: Sequence[str] = ()
    model: str | None = None
    name: str | None = None
    output: str | None = None
    force: bool = False
    framework: str | None = None  # write the config in this trainer's keys


def apply(ws: Workspace, recipe_id: str, options: ApplyOptions, *, command: str) -> ApplyResult:
    """Apply, validate the result, and write it only when it has no errors."""
    gpus, output, name = options.gpus, options.output, options.name
    if gpus < 1:
        raise usage_error(f"--gpus must be at least 1, not {gpus}")
    size = parse_size_arg(options.model_size)
    recipe = ws.recipe(recipe_id)
    rel = ws.rel(output) if output else None
    if rel is not None and not rel.endswith((".yaml", ".yml")):
        raise usage_error(f"-o {output}: job files end in .yaml")
    job_name = name or (rel.rsplit("/", 1)[-1].rsplit(".", 1)[0] if rel else None)
    job_name = job_name or f"{recipe.id}-{size.text.lower()}-{gpus}gpu".replace("_", "-")
    check_name(job_name)
    request = Request(
        name=job_name,
        size=size,
        gpus=gpus,
        model=options.model,
        sets=[parse_assignment(s) for s in options.sets],
        unsets=[parse_key_path(u) for u in options.unsets],
        datasets=_datasets(options.datasets),
    )
    applied = apply_recipe(recipe, request)
    if options.framework is not None:
        from gittrain.commands.framework_job import render_for
        from gittrain.commands.job_export import training_data
        from gittrain.core.dialects.effective import effective

        paths = training_data(ws, request.datasets or {}) if ws.root is not None else []
        eff = effective(ws.settings)
        text = render_for(options.framework, applied, recipe, command, eff, data=paths)
    else:
        text = render(applied, recipe, command)
    shown = rel or f"{ws.settings.jobs_dir}/{job_name}.yaml"
    report = checker(ws).check(shown, text.encode("utf-8"))
    result = ApplyResult(recipe, applied, text, rel, report.problems)
    if rel is not None and result.errors == 0:
        data = text.encode("utf-8")
        atomic_write(ws.base / rel, data, shown=rel, root=ws.base, overwrite=options.force)
    return result


def _datasets(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        role, sep, ref = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", role) or not ref:
            raise usage_error(f"--dataset {item!r}: expected ROLE=NAME-OR-PATH (e.g. train=gsm8k)")
        if role in out:
            raise GittrainError(f"--dataset {item!r}: role {role!r} given twice", code=2)
        out[role] = ref
    return out
