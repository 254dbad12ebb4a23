"""`git train job new NAME`: a job file from a recipe, written to the jobs directory."""

from __future__ import annotations

import dataclasses

from gittrain.commands.recipe_apply import ApplyOptions, ApplyResult, apply
from gittrain.commands.workspace import Workspace


def new_job(ws: Workspace, name: str, recipe_id: str, options: ApplyOptions) -> ApplyResult:
    """``recipe apply`` with the output fixed to ``<jobs_dir>/NAME.yaml``."""
    ws.require_root()
    output = str(ws.base / ws.settings.jobs_dir / f"{name}.yaml")
    fixed = dataclasses.replace(options, name=name, output=output)
    return apply(ws, recipe_id, fixed, command=f"git train job new {name} --recipe {recipe_id}")
