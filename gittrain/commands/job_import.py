"""`git train job import FILE --name N`: a job from a config written for a trainer."""

from __future__ import annotations

from dataclasses import dataclass

from gittrain.adapters import yamlio
from gittrain.commands.jobfiles import check_name
from gittrain.commands.validate import checker
from gittrain.commands.workspace import Workspace
from gittrain.core.dialects.config import read_file
from gittrain.core.dialects.detect import Detection
from gittrain.core.dialects.effective import effective
from gittrain.core.dialects.export import export
from gittrain.core.dialects.view import View
from gittrain.core.dialects.view import read as read_view
from gittrain.core.dialects.vocabulary import GENERIC, GITTRAIN, Effective, Vocabulary
from gittrain.core.problems import Problem, count, read_or_problem
from gittrain.errors import GittrainError, usage_error
from gittrain.fileio import atomic_write


@dataclass(frozen=True, slots=True)
class ImportResult:
    rel: str  # the job file written (or that would have been)
    source: str
    framework: str
    recipe: str
    alternatives: tuple[str, ...]  # other recipes that run the same algorithm
    left_out: tuple[tuple[str, object], ...]  # ideas a gittrain job config has no key for
    problems: tuple[Problem, ...]
    written: bool

    @property
    def errors(self) -> int:
        return count(self.problems)


def import_job(
    ws: Workspace,
    file: str,
    name: str,
    *,
    framework: str | None = None,
    recipe_id: str | None = None,
    force: bool = False,
) -> ImportResult:
    """Read ``file`` in its dialect and write ``<jobs_dir>/NAME.yaml`` in gittrain's keys."""
    root = ws.require_root()
    check_name(name)
    source = ws.rel(file)
    raw = read_or_problem(ws.base / source, source)
    if isinstance(raw, Problem):
        raise GittrainError(f"{source}: {raw.message}")
    eff = effective(ws.settings)
    vocabulary = eff.vocabulary
    detection, view = _read(vocabulary, eff, raw, source, framework)
    dialect = detection.dialect
    values = {idea: v.value for idea, v in view.values.items()}
    algorithm = values.get("algorithm")
    recipe, alternatives = _recipe(ws, recipe_id, algorithm)
    own = vocabulary.get(GITTRAIN)
    exported = export(vocabulary, own, values, where=source)
    left_out = tuple(
        (idea, value)
        for idea, value in exported.unexpressed
        if idea not in ("model", "num_gpus", "datasets")  # the job's own fields hold these
        and vocabulary.ideas[idea].tier != "noise"  # run names and output dirs
    )
    text = _render(
        name,
        recipe,
        values=values,
        config=exported.config,
        source=source,
        title=dialect.title,
        left_out=left_out,
    )
    rel = f"{ws.settings.jobs_dir}/{name}.yaml"
    report = checker(ws).check(rel, text.encode("utf-8"))
    problems = report.problems
    written = False
    if not count(problems):
        atomic_write(root / rel, text.encode("utf-8"), shown=rel, root=root, overwrite=force)
        written = True
    return ImportResult(
        rel, source, dialect.name, recipe, alternatives, left_out, problems, written
    )


def _read(
    vocabulary: Vocabulary, eff: Effective, raw: bytes, source: str, framework: str | None
) -> tuple[Detection, View]:
    """The file in the dialect ``framework`` names, or the one its markers show."""
    if framework is not None and framework not in vocabulary.framework_names:
        known = ", ".join(vocabulary.framework_names)
        raise usage_error(f"--framework {framework}: unknown (known: {known})")
    doc, detection = read_file(raw, source, eff, framework)
    if detection.dialect.name == GENERIC:
        looked = "; ".join(
            f"{vocabulary.get(m.name).title}: {', '.join('.'.join(p) for p in m.strong[:4])}"
            for m in vocabulary.markers()
        )
        why = detection.conflict or "no framework's markers"
        raise GittrainError(
            f"{source}: in no known framework dialect ({why}); looked for {looked} "
            "(or name it with --framework)"
        )
    return detection, read_view(vocabulary, detection.dialect, doc.data)


def _recipe(ws: Workspace, wanted: str | None, algorithm: object) -> tuple[str, tuple[str, ...]]:
    registry = ws.registry()
    if wanted is not None:
        return registry.get(wanted).id, ()
    matching = sorted(
        r.id
        for r in registry.recipes.values()
        if isinstance(algorithm, str) and r.recommended_algorithm == algorithm.lower()
    )
    if not matching:
        raise GittrainError(
            f"no recipe runs {str(algorithm).upper()}; name one with --recipe "
            "(git train recipe list)"
        )
    basic = f"{str(algorithm).lower()}_basic"
    chosen = basic if basic in matching else matching[0]
    return chosen, tuple(m for m in matching if m != chosen)


def _render(
    name: str,
    recipe: str,
    *,
    values: dict[str, object],
    config: dict[str, object],
    source: str,
    title: str,
    left_out: tuple[tuple[str, object], ...],
) -> str:
    job: dict[str, object] = {"name": name, "recipe": recipe}
    if isinstance(values.get("model"), str):
        job["model"] = values["model"]
    gpus = values.get("num_gpus")
    if isinstance(gpus, int) and not isinstance(gpus, bool) and gpus > 0:
        job["num_gpus"] = gpus
    data = values.get("datasets")
    if isinstance(data, str) and data:
        job["datasets"] = {"train": data}
    job["config"] = config
    job["result"] = {"status": "pending"}
    lines = [f"# Imported by `git train job import` from {source} ({title})."]
    lines += [
        f"# Not carried over (a job config has no key for it): {idea} = {yamlio.flow_text(value)}"
        for idea, value in left_out
    ]
    return "\n".join(lines) + "\n" + yamlio.dump(job)
