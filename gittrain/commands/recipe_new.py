"""`git train recipe new ID --from OTHER`: copy (or extend) a recipe into the repository."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from gittrain.commands.workspace import Workspace
from gittrain.core.recipes import RECIPE_ID, Origin
from gittrain.core.resources import data_dir
from gittrain.errors import usage_error
from gittrain.fileio import atomic_write

_NAME_LINE = re.compile(r"^name:[^\n]*$", re.MULTILINE)
_SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=[^\n]*\n?", re.MULTILINE)
# Where README's "Editor support" saves the schemas (`git train schema recipe > ...`).
SCHEMA_COPY = ".gittrain/recipe.schema.json"


@dataclass(frozen=True, slots=True)
class NewRecipe:
    id: str
    source: str  # where it came from
    path: str  # repository-relative file written
    extends: bool


def new_recipe(
    ws: Workspace, recipe_id: str, base: str, *, extends: bool = False, force: bool = False
) -> NewRecipe:
    root = ws.require_root()
    if not RECIPE_ID.match(recipe_id):
        raise usage_error(f"recipe id {recipe_id!r}: use lowercase letters, digits, _ and -")
    parent = ws.registry().get(base)
    rel = f"{ws.settings.recipes_dir}/{recipe_id}.yaml"
    if extends:
        text = (
            _schema_comment(root, rel) + f"name: {recipe_id}\n"
            f"extends: {base}\n"
            f'version: "1.0.0"\n'
            f"# Override only what differs from {base}, for example:\n"
            f"# default_config:\n"
            f"#   learning_rate: 5.0e-7\n"
        )
    else:
        if parent.origin is Origin.BUILTIN:
            source_path = data_dir("recipes") / f"{base}.yaml"
        else:
            source_path = root / parent.source
        text = _NAME_LINE.sub(f"name: {recipe_id}", _read(source_path), count=1)
        # The built-ins point at gittrain's own schemas/, which a user's repository lacks.
        text = _SCHEMA_LINE.sub(lambda _m: _schema_comment(root, rel), text, count=1)
    atomic_write(root / rel, text.encode("utf-8"), shown=rel, root=root, overwrite=force)
    return NewRecipe(recipe_id, parent.source, rel, extends)


def _schema_comment(root: Path, rel: str) -> str:
    """The editor's schema comment when the repository has the schema saved; else none."""
    if not (root / SCHEMA_COPY).is_file():
        return ""
    target = posixpath.relpath(SCHEMA_COPY, posixpath.dirname(rel))
    return f"# yaml-language-server: $schema={target}\n"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")
