"""`git train recipe validate CONFIG --recipe ID`: does a config fit a recipe?"""

from __future__ import annotations

from dataclasses import dataclass

from gittrain.adapters import yamlio
from gittrain.commands.workspace import Workspace
from gittrain.core import jobs, rules
from gittrain.core.problems import Problem, Severity, count
from gittrain.core.recipes import Recipe
from gittrain.core.validation import Kind, classify
from gittrain.document import DocPath, Document


@dataclass(frozen=True, slots=True)
class RecipeCheck:
    recipe: Recipe
    path: str
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return count(self.problems)


def check_against_recipe(
    ws: Workspace, config_file: str, recipe_id: str, gpus: int | None = None
) -> RecipeCheck:
    """Sanity rules with the recipe's context, plus the config's agreement with the recipe."""
    recipe = ws.registry().get(recipe_id)
    rel = ws.rel(config_file)
    doc = yamlio.load_file(ws.base / rel, rel)
    config_path: DocPath
    if classify(rel, ws.settings, doc.data) is Kind.JOB:
        job = jobs.from_doc(doc)
        config, config_path = job.config, ("config",)
        num_gpus = gpus if gpus is not None else job.num_gpus
    else:
        assert isinstance(doc.data, dict)
        config, config_path, num_gpus = doc.data, (), gpus
    ctx = rules.Context(
        config=config,
        config_path=config_path,
        num_gpus=num_gpus,
        algorithm=recipe.recommended_algorithm,
        min_gpus=recipe.min_gpus,
        recipe_id=recipe.id,
    )
    problems = [
        Problem(rel, doc.mark_of(f.path), f.path, f.severity, f.message, f.rule)
        for f in rules.check(ctx, ws.settings.rules)
    ]
    problems += _agreement(doc, recipe, config, config_path)
    return RecipeCheck(recipe, rel, tuple(problems))


def _agreement(doc: Document, recipe: Recipe, config: object, base: DocPath) -> list[Problem]:
    assert isinstance(config, dict)
    out: list[Problem] = []
    algorithm = config.get("algorithm")
    if isinstance(algorithm, str) and algorithm != recipe.recommended_algorithm:
        path = (*base, "algorithm")
        out.append(
            Problem(
                doc.source,
                doc.mark_of(path),
                path,
                Severity.ERROR,
                f"algorithm {algorithm!r} differs from recipe {recipe.id}'s "
                f"{recipe.recommended_algorithm!r}",
                "recipe-algorithm",
            )
        )
    missing = [
        f"{key}={_show(value)}"
        for key, value in recipe.default_config.items()
        if not any(spelling in config for spelling in _spellings(key))
    ]
    if missing:
        message = f"{len(missing)} keys recipe {recipe.id} sets are missing: " + ", ".join(missing)
        out.append(
            Problem(doc.source, doc.mark_of(base), base, Severity.WARNING, message, "recipe-keys")
        )
    return out


def _spellings(key: str) -> tuple[str, ...]:
    """``learning_rate`` is also satisfied by ``lr``, and so on (see rules.SPELLINGS)."""
    for spellings in rules.SPELLINGS.values():
        if key in spellings:
            return spellings
    return (key,)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
