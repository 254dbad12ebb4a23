"""`git train job new NAME`: a job file from a recipe, written to the jobs directory."""

from __future__ import annotations

from collections.abc import Sequence

from gittrain.commands.recipe_apply import ApplyResult, apply
from gittrain.commands.workspace import Workspace


def new_job(
    ws: Workspace,
    name: str,
    recipe_id: str,
    *,
    model_size: str,
    gpus: int,
    sets: Sequence[str] = (),
    unsets: Sequence[str] = (),
    datasets: Sequence[str] = (),
    model: str | None = None,
    force: bool = False,
) -> ApplyResult:
    """``recipe apply`` with the output fixed to ``<jobs_dir>/NAME.yaml``."""
    ws.require_root()
    output = str(ws.base / ws.settings.jobs_dir / f"{name}.yaml")
    return apply(
        ws,
        recipe_id,
        model_size=model_size,
        gpus=gpus,
        sets=sets,
        unsets=unsets,
        datasets=datasets,
        model=model,
        name=name,
        output=output,
        force=force,
        command=f"git train job new {name} --recipe {recipe_id}",
    )
