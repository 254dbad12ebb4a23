"""Browsing the recipe registry: list, show, task types and tags."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from gittrain.commands.workspace import Workspace
from gittrain.core.problems import Problem
from gittrain.core.recipes import Recipe


@dataclass(frozen=True, slots=True)
class Listing:
    recipes: tuple[Recipe, ...]
    problems: tuple[Problem, ...]  # repo recipes that could not be loaded


def list_recipes(ws: Workspace, task_type: str | None = None, tag: str | None = None) -> Listing:
    registry = ws.registry()
    chosen = [
        r
        for r in registry.sorted()
        if (task_type is None or r.task_type == task_type) and (tag is None or tag in r.tags)
    ]
    return Listing(tuple(chosen), tuple(registry.problems))


def show_recipe(ws: Workspace, spec: str) -> Recipe:
    """``ID``, or ``ID@REV`` as the recipe was at that revision."""
    return ws.recipe(spec)


def task_types(ws: Workspace) -> dict[str, int]:
    """Task type -> how many recipes have it."""
    return dict(sorted(Counter(r.task_type for r in ws.registry().sorted()).items()))


def tags(ws: Workspace) -> dict[str, int]:
    """Tag -> how many recipes carry it."""
    counts: Counter[str] = Counter()
    for recipe in ws.registry().sorted():
        counts.update(recipe.tags)
    return dict(sorted(counts.items()))
