"""`git train job export NAME --to F`: a job as a config its trainer loads, and the command."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from gittrain.adapters import yamlio
from gittrain.commands.jobfiles import JobSource, read_job
from gittrain.commands.validate import commit_files, worktree_files
from gittrain.commands.workspace import Workspace
from gittrain.core import jobs
from gittrain.core.data import lockstore
from gittrain.core.dialects.config import read_job as read_job_config
from gittrain.core.dialects.effective import effective
from gittrain.core.dialects.export import Exported, export, flatten
from gittrain.core.dialects.view import Value
from gittrain.core.dialects.vocabulary import Dialect
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import atomic_write


@dataclass(frozen=True, slots=True)
class JobExport:
    job: str
    source: str  # jobs/NAME.yaml, or REV:jobs/NAME.yaml
    dialect: Dialect
    exported: Exported
    text: str  # the config file as written (YAML with a header), or the overrides command
    command: str  # how to run it
    written: str | None = None  # the file written with -o


def export_job(
    ws: Workspace, spec: str, to: str, *, output: str | None = None, force: bool = False
) -> JobExport:
    """Translate job ``spec`` (NAME or NAME@REV) into framework ``to``'s keys."""
    result = export_source(ws, read_job(ws, spec), to, output=output)
    if output is not None:
        rel = ws.rel(output)
        data = result.text.encode("utf-8")
        atomic_write(ws.base / rel, data, shown=rel, root=ws.base, overwrite=force)
        result = dataclasses.replace(result, written=rel)
    return result


def export_source(
    ws: Workspace, source: JobSource, to: str, *, output: str | None = None, file: bool = False
) -> JobExport:
    """``source`` in framework ``to``'s keys; ``file`` asks for the config file even for
    verl, whose export is otherwise its command line."""
    eff = effective(ws.settings)
    known = eff.vocabulary.framework_names
    if to not in known:
        raise usage_error(f"--to {to}: unknown framework (known: {', '.join(known)})")
    target = eff.vocabulary.get(to)
    doc = yamlio.load_bytes(source.raw, source.shown)
    job = jobs.from_doc(doc)
    outside: dict[str, Value] = {}
    if job.recipe is not None:
        recipe = ws.registry().recipes.get(job.recipe.id)
        if recipe is not None:
            outside["algorithm"] = Value(recipe.recommended_algorithm, None)
    root = ws.require_root()
    files = worktree_files(root) if source.commit is None else commit_files(root, source.commit)
    view = read_job_config(doc, eff, outside=outside, load=files).view
    values = {idea: value.value for idea, value in view.values.items()}
    data = training_data(ws, job.datasets)
    if data:
        values["datasets"] = data[0] if len(data) == 1 else data
    exported = export(eff.vocabulary, target, values, where=source.shown)
    command, text = _render(target, exported, source.shown, output, values, file=file)
    return JobExport(source.name, source.shown, target, exported, text, command)


def training_data(ws: Workspace, datasets: Mapping[str, str]) -> list[str]:
    """The training data's paths: lockfile names resolved to the locked paths."""
    if not datasets:
        return []
    root = ws.require_root()
    try:
        lock = lockstore.read(root, ws.settings.lockfile)
    except GittrainError:
        lock = None
    wanted = [ref for role, ref in datasets.items() if not role.startswith("eval")]
    out = []
    for ref in wanted:
        entry = lock.resolve(ref) if lock is not None else None
        out.append(entry.path if entry is not None else ref)
    return out


def _render(
    target: Dialect,
    exported: Exported,
    shown: str,
    output: str | None,
    values: dict[str, object],
    *,
    file: bool = False,
) -> tuple[str, str]:
    run = target.run
    template = str(run.get("command", ""))
    name = output or f"{PurePosixPath(shown.rpartition(':')[2]).stem}.{target.name}.yaml"
    algorithm = str(values.get("algorithm", "sft")).lower()
    method = str(values.get("finetuning", "full")).lower()
    recipes = run.get("recipes", {})
    recipe = recipes.get(f"{algorithm}/{method}", "") if isinstance(recipes, dict) else ""
    gpus = values.get("num_gpus", 1)
    overrides = " ".join(
        shlex.quote(f"{key}={_hydra(value)}") for key, value in flatten(exported.config)
    )
    command = template.format(
        overrides=overrides, algorithm=algorithm, file=name, recipe=recipe, gpus=gpus
    ).strip()
    header = [f"# Exported by `git train job export` from {shown} for {target.title}."]
    if target.version:
        header[0] = header[0][:-1] + f" {target.version}."
    header.append(f"# Run: {command}")
    note = run.get("note")
    if isinstance(note, str):
        header.append(f"# Note: {note}")
    for idea, value in exported.unexpressed:
        header.append(f"# Not expressible in {target.title}: {idea} = {_show(value)}")
    if "{overrides}" in template and output is None and not file:
        return command, command + "\n"
    body = yamlio.dump(exported.config) if exported.config else "{}\n"
    return command, "\n".join(header) + "\n" + body


def _hydra(value: object) -> str:
    """A Hydra override value: YAML flow style, as Hydra's grammar reads it."""
    return yamlio.flow_text(value)


def _show(value: object) -> str:
    return yamlio.flow_text(value)
