"""`git train diff --jobs A B` and `--recipes A B`: two named configs, each at any revision."""

from __future__ import annotations

from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.commands.diff import DiffReport, SideInfo, SideKind
from gittrain.core import importance, settings
from gittrain.core.filediff import FileKind, FileStatus, Side, compare
from gittrain.core.revspec import split_at
from gittrain.errors import GittrainError, usage_error


def compare_named(
    root: Path, kind: FileKind, old: str, new: str, *, builtin_recipes: Path | None = None
) -> DiffReport:
    """Compare two jobs or two recipes; ``name@rev`` reads the file at that revision.

    Recipes missing from the repository fall back to the built-in ones
    (``builtin_recipes``, by default the recipes shipped with gittrain).
    """
    conf = settings.load(root)
    policy = importance.load(conf.document)
    if kind is FileKind.RECIPE and builtin_recipes is None:
        from gittrain.core.resources import data_dir

        builtin_recipes = data_dir("recipes")
    folder = conf.jobs_dir if kind is FileKind.JOB else conf.recipes_dir
    fallback = builtin_recipes if kind is FileKind.RECIPE else None
    old_info, old_side = _load(root, folder, old, fallback)
    new_info, new_side = _load(root, folder, new, fallback)
    file = compare(old_side, new_side, status=FileStatus.MODIFIED, kind=kind, policy=policy)
    return DiffReport(old_info, new_info, (file,))


def _load(root: Path, folder: str, word: str, fallback: Path | None) -> tuple[SideInfo, Side]:
    name, revision = split_at(word)
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise usage_error(f"{word!r}: expected a name, optionally with @revision")
    rel = f"{folder}/{name}.yaml"
    if revision is not None:
        commit = gitrepo.resolve_commit(root, revision)
        raw = gitrepo.read_blobs(root, [f"{commit}:{rel}"]).get(f"{commit}:{rel}")
        if raw is None:
            raise GittrainError(f"{word}: there is no {rel} at {revision}")
        info = SideInfo(SideKind.COMMIT, word, commit)
        return info, Side(rel, raw, f"{revision}:{rel}")
    path = root / rel
    if not path.is_file() and fallback is not None and (fallback / f"{name}.yaml").is_file():
        path = fallback / f"{name}.yaml"
        rel = f"(built-in) {name}.yaml"
    if not path.is_file():
        raise GittrainError(f"{word}: there is no {folder}/{name}.yaml")
    return SideInfo(SideKind.WORKTREE, word), Side(rel, path.read_bytes(), rel)
