"""`recipe log` output: one block per version (text) or the records (json)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gittrain.cli.common import emit_json

if TYPE_CHECKING:
    from gittrain.commands.recipe_log import RecipeLog, RecipeVersion


def render_log(result: RecipeLog, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {
                "recipe": result.recipe,
                "builtin_release": result.builtin_release,
                "versions": [_version_json(v) for v in result.versions],
            }
        )
        return
    if result.builtin_release is not None:
        click.echo(
            f"{result.recipe} is a built-in recipe that this repository never overrode: "
            f"it ships with gittrain {result.builtin_release} and has no history here"
        )
        return
    for version in result.versions:
        click.echo(_heading(version))
        for change in version.ideas:
            click.echo(f"    {change.idea}: {_value(change.old)} -> {_value(change.new)}")
        for note in version.notes:
            click.echo(f"    {note}")
        if version.error:
            click.echo(f"    cannot read: {version.error}")


def _heading(v: RecipeVersion) -> str:
    what = v.event.value if v.path is None else f"{v.event.value} {v.path}"
    version = v.version if v.version is not None else "-"
    return f"{v.commit[:7]}  {v.date[:10]}  {v.author}  {version}  {what}"


def _value(value: object) -> str:
    from gittrain.core.edits import MISSING

    if value is MISSING:
        return "(unset)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _version_json(v: RecipeVersion) -> dict[str, object]:
    from gittrain.core.edits import MISSING

    return {
        "commit": v.commit,
        "date": v.date,
        "author": v.author,
        "event": v.event.value,
        "path": v.path,
        "version": v.version,
        "ideas": [
            {
                "idea": c.idea,
                "old": None if c.old is MISSING else c.old,
                "new": None if c.new is MISSING else c.new,
                "old_missing": c.old is MISSING,
                "new_missing": c.new is MISSING,
            }
            for c in v.ideas
        ],
        "notes": list(v.notes),
        "error": v.error,
    }
