"""`git train recipe log ID`: every version of a team recipe in HEAD's first-parent history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import PurePosixPath

from gittrain import __version__
from gittrain.adapters import gitrepo
from gittrain.commands.workspace import Workspace
from gittrain.core.data.lockhistory import iso_time
from gittrain.core.dialects.effective import effective
from gittrain.core.recipes import RECIPE_ID, Recipe, builtin_files_by_id
from gittrain.core.recipeversions import (
    IdeaChange,
    idea_changes,
    other_changes,
    resolve_in,
    team_at,
)
from gittrain.errors import GittrainError, usage_error


class Event(enum.Enum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class RecipeVersion:
    commit: str
    date: str
    author: str
    event: Event
    path: str | None  # the recipe file at this commit; None when the commit removed it
    version: str | None  # the recipe's `version` field (None when removed or unreadable)
    ideas: tuple[IdeaChange, ...]  # changed from the previous readable version
    notes: tuple[str, ...]  # rules, adjustments and data requirements that changed
    error: str | None = None  # the version could not be read or resolved


@dataclass(frozen=True, slots=True)
class RecipeLog:
    recipe: str
    versions: tuple[RecipeVersion, ...]  # newest first
    builtin_release: str | None = None  # a built-in never overridden: the gittrain release


@dataclass(frozen=True, slots=True)
class _Found:
    commit: gitrepo.LogCommit
    path: str | None


def recipe_log(ws: Workspace, recipe_id: str) -> RecipeLog:
    """One `git log` over the recipes directory, then each version resolved at its commit."""
    root = ws.require_root()
    if not RECIPE_ID.match(recipe_id):
        raise usage_error(f"{recipe_id!r}: recipe ids are lowercase (a-z, 0-9, _ and -)")
    recipes_dir = ws.settings.recipes_dir
    found = _history(ws, recipe_id) if gitrepo.rev_parse(root, "HEAD") else []
    if not found:
        if recipe_id in builtin_files_by_id():
            return RecipeLog(recipe_id, (), __version__)
        raise GittrainError(
            f"no recipe {recipe_id!r}: {recipes_dir}/{recipe_id}.yaml is not in the history "
            "of HEAD and no built-in has that id"
        )
    eff = effective(ws.settings)
    versions: list[RecipeVersion] = []
    previous: Recipe | None = None
    for item in reversed(found):
        commit = item.commit
        head = (commit.sha, iso_time(commit.timestamp), commit.author)
        if item.path is None:
            versions.append(RecipeVersion(*head, Event.REMOVED, None, None, (), ()))
            previous = None
            continue
        event = Event.ADDED if previous is None else Event.CHANGED
        try:
            team, problems = team_at(root, ws.settings, commit.sha)
            stem = PurePosixPath(item.path).stem
            recipe = resolve_in(team, problems, stem, commit.sha[:7])
        except GittrainError as exc:
            versions.append(RecipeVersion(*head, event, item.path, None, (), (), exc.message))
            continue
        ideas = idea_changes(previous, recipe, eff) if previous else ()
        notes = other_changes(previous, recipe) if previous else ()
        versions.append(RecipeVersion(*head, event, item.path, recipe.version, ideas, notes))
        previous = recipe
    return RecipeLog(recipe_id, tuple(reversed(versions)))


def _history(ws: Workspace, recipe_id: str) -> list[_Found]:
    """The commits that changed the recipe's file, newest first, following renames back."""
    root = ws.require_root()
    recipes_dir = ws.settings.recipes_dir
    tracked = {f"{recipes_dir}/{recipe_id}.yaml", f"{recipes_dir}/{recipe_id}.yml"}
    found: list[_Found] = []
    log = gitrepo.iter_log(
        root, ["HEAD"], [recipes_dir], raw=True, renames=True, extra=["--first-parent"]
    )
    for commit in log:
        for change in commit.changes:
            if change.new_path in tracked and change.status != "D":
                found.append(_Found(commit, change.new_path))
                # Older commits hold the file under its name before a rename.
                tracked = {change.old_path or change.new_path}
                break
            if change.old_path in tracked:
                found.append(_Found(commit, None))  # deleted, or renamed to another id
                break
    return found
