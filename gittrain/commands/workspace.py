"""The repository a command works on: its root, settings, and path conversion."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gittrain.adapters import gitdir
from gittrain.core import settings as settings_mod
from gittrain.core.settings import Settings
from gittrain.errors import GittrainError, usage_error

if TYPE_CHECKING:
    from gittrain.core.recipes import Recipe, Registry


# A NamedTuple, not a dataclass: the commit hooks import this module (gittrain/document.py).
class Workspace(NamedTuple):
    """``root`` is the git work tree (None outside one); ``cwd`` where the user stands."""

    root: Path | None
    cwd: Path
    settings: Settings

    def require_root(self) -> Path:
        if self.root is None:
            raise usage_error("not inside a git repository (run `git init` or cd into one)")
        return self.root

    @property
    def base(self) -> Path:
        """Where repository-relative paths start: the root, or cwd outside a repository."""
        return self.root if self.root is not None else self.cwd

    def rel(self, user_path: str) -> str:
        """A path the user typed (relative to cwd) as a POSIX path relative to ``base``."""
        if "\x00" in user_path:
            raise usage_error(f"{user_path!r}: path contains a NUL byte")
        absolute = Path(os.path.normpath(self.cwd / user_path))
        try:
            return absolute.relative_to(self.base).as_posix()
        except ValueError:
            raise usage_error(f"{user_path}: outside the repository {self.base}") from None

    def registry(self) -> Registry:
        # Imported here: recipes pull in jsonschema, which history-only commands never need.
        from gittrain.core.recipes import load_registry

        return load_registry(self.root, self.settings)

    def recipe(self, spec: str) -> Recipe:
        """``ID`` from the registry, or ``ID@REV`` as it was at that revision."""
        from gittrain.core.recipeversions import recipe_at, split_spec

        recipe_id, rev = split_spec(spec)
        if rev is None:
            return self.registry().get(recipe_id)
        return recipe_at(self.require_root(), self.settings, recipe_id, rev)


def open_workspace(cwd: Path) -> Workspace:
    root = gitdir.toplevel(cwd)
    try:
        settings = settings_mod.load(root)
    except GittrainError as exc:
        raise GittrainError(exc.message, code=1) from None
    if settings.dialects or settings.spellings:
        from gittrain.core.dialects.effective import effective

        # An unknown framework or a clashing spelling stops every command here, naming its
        # line, rather than surfacing later as an error on each config file.
        effective(settings)
    return Workspace(root, cwd, settings)
