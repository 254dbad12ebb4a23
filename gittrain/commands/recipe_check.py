"""`git train recipe validate CONFIG --recipe ID`: does a config fit a recipe?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gittrain.adapters import yamlio
from gittrain.commands.workspace import Workspace
from gittrain.core import jobs, rules
from gittrain.core.dialects.config import read_native, read_own
from gittrain.core.dialects.effective import effective
from gittrain.core.dialects.view import Value, View
from gittrain.core.dialects.vocabulary import GENERIC, GITTRAIN, Dialect
from gittrain.core.problems import Problem, Severity, count, findings, read_or_problem
from gittrain.core.recipes import Recipe
from gittrain.core.validation import Kind, classify
from gittrain.core.words import counted
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError


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
    """Sanity rules with the recipe's context, plus the config's agreement with the recipe.

    Both sides are compared through the canonical view: a value present under
    the config's own spelling (``lr_scheduler_type``, verl's ``optim.lr``) is
    never called missing.
    """
    recipe = ws.recipe(recipe_id)
    rel = ws.rel(config_file)
    eff = effective(ws.settings)
    raw = read_or_problem(ws.base / rel, rel)
    if isinstance(raw, Problem):
        raise GittrainError(f"{raw.source}: {raw.message}")
    wanted = read_own(
        Document(recipe.id, {"default_config": dict(recipe.default_config)}),
        eff,
        recipe.default_config,
        ("default_config",),
        "recipe",
    ).view
    algorithm = Value(recipe.recommended_algorithm, None)
    read = None
    if classify(rel, ws.settings) is not Kind.JOB:
        native = read_native(raw, rel, eff)
        if classify(rel, ws.settings, native.doc.data) is not Kind.JOB:
            read = native._replace(view=_with(native.view, "algorithm", algorithm))
    if read is None:  # a gittrain job: its config mapping, strictly read
        doc = yamlio.load_bytes(raw, rel)
        config = jobs.from_doc(doc).config
        read = read_own(doc, eff, config, ("config",), "job", outside={"algorithm": algorithm})
    view = read.view
    if gpus is not None:
        view = view._replace(values={**view.values, "num_gpus": Value(gpus, None)})
    ctx = rules.Context(view, min_gpus=recipe.min_gpus, recipe_id=recipe.id)
    doc = read.doc
    problems = findings(doc, rules.check(ctx, ws.settings.rules))
    problems += _agreement(
        doc,
        recipe=recipe,
        have=read.view,
        wanted=wanted,
        base=read.base,
        overrides=ws.settings.rules,
        dialect=read.detection.dialect,
    )
    return RecipeCheck(recipe, rel, tuple(problems))


def _with(view: View, idea: str, value: Value) -> View:
    if idea in view.values:
        return view
    return view._replace(values={**view.values, idea: value})


def _agreement(
    doc: Document,
    *,
    recipe: Recipe,
    have: View,
    wanted: View,
    base: DocPath,
    overrides: Mapping[str, str],
    dialect: Dialect,
) -> list[Problem]:
    out: list[Problem] = []
    for idea, rule_label in (("algorithm", "algorithm"), ("finetuning", "finetuning method")):
        mine, theirs = have.get(idea), wanted.get(idea)
        if idea == "algorithm":
            theirs = Value(recipe.recommended_algorithm, None)
        if mine is None or theirs is None:
            continue
        a, b = str(mine.value).lower(), str(theirs.value).lower()
        level = rules.severity("recipe-algorithm", Severity.ERROR, overrides)
        if a != b and level is not None:
            path = mine.path or base
            message = f"{rule_label} {a!r} differs from recipe {recipe.id}'s {b!r}"
            out.append(Problem.at(doc, path, level, message, "recipe-algorithm"))
    # A recipe default is present when its idea is, under any spelling, or its key is.
    # A framework config lacks only what its framework can say: TRL has no global batch
    # key, and no framework spells gittrain's `gradient_checkpointing`.
    native = dialect.name not in (GITTRAIN, GENERIC)
    idea_of = {str(v.path[-1]): idea for idea, v in wanted.values.items() if v.path}
    found = doc.value_at(base)
    config = found if isinstance(found, dict) else {}
    missing = []
    for key, value in recipe.default_config.items():
        meant = idea_of.get(key)
        if key in _CONTEXT_KEYS or (meant is not None and meant in have.values):
            continue
        if native and (meant is None or meant not in dialect.ideas):
            continue
        if not native and key in config:
            continue
        missing.append(f"{key}={_show(value)}")
    level = rules.severity("recipe-keys", Severity.WARNING, overrides)
    if missing and level is not None:
        are = "is" if len(missing) == 1 else "are"
        message = (
            f"{counted(len(missing), 'key')} recipe {recipe.id} sets {are} missing: "
            + ", ".join(missing)
        )
        out.append(Problem.at(doc, base, level, message, "recipe-keys"))
    return out


# Recipe keys a config need not repeat: the algorithm has its own check above.
_CONTEXT_KEYS = frozenset({"algorithm"})


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
