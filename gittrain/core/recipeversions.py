"""Recipes as they were at a commit: `ID@REV` specs, a commit's team recipes, and job pins."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import NamedTuple

from gittrain.adapters import gitrepo
from gittrain.core import doccache
from gittrain.core.dialects.config import read_own
from gittrain.core.dialects.vocabulary import Effective
from gittrain.core.jobs import RecipeRef
from gittrain.core.problems import Problem, Severity
from gittrain.core.recipes import (
    RECIPE_ID,
    Origin,
    Recipe,
    RecipeFile,
    RecipeInvalid,
    builtin_files_by_id,
    from_data,
    resolve,
)
from gittrain.core.settings import Settings
from gittrain.document import format_path
from gittrain.errors import GittrainError, usage_error

Team = dict[str, RecipeFile]


def split_spec(spec: str) -> tuple[str, str | None]:
    """``ID`` -> (ID, None); ``ID@REV`` -> (ID, REV)."""
    recipe_id, at, rev = spec.partition("@")
    if at and not rev:
        raise usage_error(f"{spec!r}: expected ID or ID@REV")
    return recipe_id, rev if at else None


def team_at(root: Path, settings: Settings, commit: str) -> tuple[Team, list[Problem]]:
    """The team recipe files of ``commit`` (read from its objects), and the unreadable ones."""
    wanted = []
    for path, blob in gitrepo.list_tree(root, commit, settings.recipes_dir):
        name = PurePosixPath(path)
        if name.suffix in (".yaml", ".yml") and RECIPE_ID.match(name.stem):
            wanted.append((path, blob))
    blobs = gitrepo.read_blobs(root, [blob for _, blob in wanted])
    team: Team = {}
    problems: list[Problem] = []
    for path, blob in sorted(wanted):
        source = f"{commit[:7]}:{path}"
        raw = blobs.get(blob)
        if raw is None:
            continue
        try:
            doc = doccache.load_bytes(raw, source)
        except GittrainError as exc:
            problems.append(Problem(source, exc.mark, (), Severity.ERROR, exc.detail, "yaml"))
            continue
        stem = PurePosixPath(path).stem
        team[stem] = RecipeFile(stem, Origin.REPO, source, doc, rev=commit)
    return team, problems


def resolve_in(team: Team, problems: list[Problem], recipe_id: str, where: str) -> Recipe:
    """Recipe ``recipe_id`` among ``team`` and the built-ins; an error naming ``where``."""
    builtins = builtin_files_by_id()
    item = team.get(recipe_id) or builtins.get(recipe_id)
    if item is None:
        for problem in problems:
            if PurePosixPath(problem.source).stem == recipe_id:
                raise _error(problem)
        raise GittrainError(f"no recipe {recipe_id!r} at {where}")
    try:
        data = resolve(item, team, builtins)
        overrides = item.origin is Origin.REPO and recipe_id in builtins
        return from_data(data, item, overrides_builtin=overrides)
    except RecipeInvalid as exc:
        raise _error(exc.problems[0]) from None


def recipe_at(root: Path, settings: Settings, recipe_id: str, rev: str) -> Recipe:
    """Recipe ``recipe_id`` as it was at ``rev``; its ``rev`` is the commit, even for a built-in.

    A revision git cannot resolve is a usage error (exit 2, like every other
    command's revisions); a recipe ``rev`` does not have is exit 1.
    """
    commit = gitrepo.resolve_commit(root, rev)
    team, problems = team_at(root, settings, commit)
    recipe = resolve_in(team, problems, recipe_id, f"{rev} ({commit[:7]})")
    return recipe.at_rev(commit)


class Pins:
    """The recipes jobs pin (``ID@REV``, ``{id, rev}``), each commit's recipes read once."""

    def __init__(self, root: Path | None, settings: Settings) -> None:
        self._root = root
        self._settings = settings
        self._commits: dict[str, str | None] = {}
        self._teams: dict[str, tuple[Team, list[Problem]]] = {}

    def recipe(self, ref: RecipeRef) -> Recipe:
        """The pinned recipe; a :class:`GittrainError` naming the pin and its revision."""
        assert ref.rev is not None
        if self._root is None:
            raise GittrainError(
                f"unknown revision {ref.rev!r} (pinned as {ref}): not in a git repository"
            )
        if ref.rev not in self._commits:
            try:
                self._commits[ref.rev] = gitrepo.resolve_commit(self._root, ref.rev)
            except GittrainError:
                self._commits[ref.rev] = None
        commit = self._commits[ref.rev]
        if commit is None:
            raise GittrainError(f"unknown revision {ref.rev!r} (pinned as {ref})")
        if commit not in self._teams:
            self._teams[commit] = team_at(self._root, self._settings, commit)
        team, problems = self._teams[commit]
        return resolve_in(team, problems, ref.id, ref.rev)


def _error(problem: Problem) -> GittrainError:
    subject = f"{format_path(problem.path)}: " if problem.path else ""
    return GittrainError(subject + problem.message, source=problem.source, mark=problem.mark)


# A NamedTuple, not a dataclass: validation in the pre-commit hook imports this module (see
# gittrain/document.py).
class IdeaChange(NamedTuple):
    """One training idea whose value differs between two versions of a recipe."""

    idea: str
    old: object  # MISSING when the older version did not set it
    new: object  # MISSING when the newer version does not


def idea_changes(old: Recipe, new: Recipe, eff: Effective) -> tuple[IdeaChange, ...]:
    """The ideas whose canonical values differ (``True`` and ``1`` are different values)."""
    from gittrain.core.edits import MISSING  # not at the top: validation imports this module

    before, after = _ideas(old, eff), _ideas(new, eff)
    out = []
    for idea in sorted(before.keys() | after.keys()):
        a, b = before.get(idea, MISSING), after.get(idea, MISSING)
        if type(a) is not type(b) or a != b:
            out.append(IdeaChange(idea, a, b))
    return tuple(out)


def other_changes(old: Recipe, new: Recipe) -> tuple[str, ...]:
    """Rules, adjustments and data requirements that changed, one short note each."""
    notes = []
    for name in ("recommended_algorithm", "min_gpus", "recommended_gpus"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            notes.append(f"{name}: {a} -> {b}")
    before, after = old.to_json()["adjustments"], new.to_json()["adjustments"]
    if before != after:
        assert isinstance(before, list) and isinstance(after, list)
        size = f"{len(before)} -> {len(after)} entries" if len(before) != len(after) else "changed"
        notes.append(f"adjustments: {size}")
    reqs_a, reqs_b = old.data_requirements, new.data_requirements
    for name in ("formats", "required_fields", "min_samples"):
        a, b = getattr(reqs_a, name), getattr(reqs_b, name)
        if a != b:
            notes.append(f"data_requirements.{name}: {_brief(a)} -> {_brief(b)}")
    return tuple(notes)


def _ideas(recipe: Recipe, eff: Effective) -> dict[str, object]:
    assert recipe.document is not None
    base = ("default_config",)
    read = read_own(recipe.document, eff, recipe.default_config, base, "recipe")
    return {idea: value.value for idea, value in read.view.values.items()}


def _brief(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "(unset)" if value is None else str(value)
