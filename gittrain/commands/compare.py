"""`git train diff --jobs A B`, `--recipes A B` and `--no-index A B`: two configs compared.

Named jobs and recipes may be at any revision; `--no-index` files need no repository.
"""

from __future__ import annotations

from pathlib import Path

from gittrain.adapters import gitdir, gitrepo
from gittrain.commands.diff import DiffReport, SideInfo, SideKind
from gittrain.core import importance, jobrefs, settings
from gittrain.core.data import lockstore
from gittrain.core.data.lockfile import Lockfile
from gittrain.core.data.lockhistory import LockReader
from gittrain.core.diff import ChangeKind, diff, leaf_changes
from gittrain.core.filediff import DatasetChange, FileKind, FileStatus, Side, compare, kind_of
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
    if kind is FileKind.JOB and not file.error:
        sides = ((old_info, old_side), (new_info, new_side))
        changed = locked_versions(root, conf.lockfile, *sides)
        file = file._replace(datasets=file.datasets + changed)
    return DiffReport(old_info, new_info, (file,))


def locked_versions(
    root: Path, lock_rel: str, old: tuple[SideInfo, Side], new: tuple[SideInfo, Side]
) -> tuple[DatasetChange, ...]:
    """Each dataset role whose reference resolves, in the lockfile of its own side, to a
    different version: two jobs that both say ``train: train`` may still have trained on
    different data."""
    (old_refs, old_lock), (new_refs, new_lock) = (_locked(root, lock_rel, *s) for s in (old, new))
    out: list[DatasetChange] = []
    for role in sorted(old_refs.keys() & new_refs.keys()):
        before, after = old_lock.resolve(old_refs[role]), new_lock.resolve(new_refs[role])
        if before is None or after is None or before.version == after.version:
            continue
        refs = dict.fromkeys((old_refs[role], new_refs[role]))
        name = role if list(refs) == [role] else f"{role} ({' → '.join(refs)})"
        changes = diff(before.to_dict(), after.to_dict(), identity_keys=())
        out.append(DatasetChange(name, ChangeKind.MODIFIED, tuple(leaf_changes(changes))))
    return tuple(out)


def _locked(
    root: Path, lock_rel: str, info: SideInfo, side: Side
) -> tuple[dict[str, str], Lockfile]:
    """A side's dataset references and the lockfile beside it.

    A lockfile that does not parse is an error naming it (``REV:gittrain.lock``),
    as in every data command, rather than a comparison that quietly skips data.
    """
    try:
        refs, _ = jobrefs.parse(side.raw or b"", side.source)
    except GittrainError:
        return {}, Lockfile()  # the job itself does not parse: compare() reports it
    if not refs.datasets:
        return {}, Lockfile()
    if info.commit is None:
        return refs.datasets, lockstore.read(root, lock_rel)
    with gitrepo.CatFile(root) as cat:
        return refs.datasets, LockReader(cat, lock_rel).at(info.commit) or Lockfile()


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


NULL_DEVICE = "/dev/null"  # as with `git diff --no-index`: the file is added or deleted


def compare_files(cwd: Path, old: str, new: str) -> DiffReport:
    """Two files outside git, each read in its dialect (``/dev/null`` for an absent side).

    Inside a work tree the repository's settings apply; elsewhere the defaults.
    A missing file or a directory is a usage error (exit 2); an unparsable
    file is an error naming its line (exit 1).
    """
    if old == new == NULL_DEVICE:
        raise usage_error(f"--no-index: both sides are {NULL_DEVICE}")
    root = gitdir.toplevel(cwd)
    conf = settings.load(root)
    policy = importance.load(conf.document)
    sides = [_file_side(cwd, root, word) for word in (old, new)]
    present = next(s for s in reversed(sides) if s.raw is not None)
    status = (
        FileStatus.ADDED
        if sides[0].raw is None
        else FileStatus.DELETED
        if sides[1].raw is None
        else FileStatus.MODIFIED
    )
    kind = _kind(present, conf)
    file = compare(sides[0], sides[1], status=status, kind=kind, policy=policy)
    if file.error:
        raise GittrainError(file.error)
    infos = (SideInfo(SideKind.FILE, word) for word in (old, new))
    return DiffReport(next(infos), next(infos), (file,))


def _file_side(cwd: Path, root: Path | None, word: str) -> Side:
    if word == NULL_DEVICE:
        return Side(None, None, word)
    path = cwd / word
    if path.is_dir():
        raise usage_error(f"{word}: is a directory (--no-index compares two files)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise usage_error(f"{word}: no such file") from None
    except OSError as exc:
        raise usage_error(f"{word}: cannot read: {exc.strerror}") from None
    rel = word
    resolved = path.resolve()
    if root is not None and resolved.is_relative_to(root.resolve()):
        # Inside the work tree: `.gittrain.yaml`'s path globs apply.
        rel = resolved.relative_to(root.resolve()).as_posix()
    return Side(rel, raw, word)


def _kind(side: Side, conf: settings.Settings) -> FileKind:
    """Where the file lives decides, else what it holds (as `validate` decides)."""
    assert side.path is not None and side.raw is not None
    kind = kind_of(
        side.path, recipes_dir=conf.recipes_dir, jobs_dir=conf.jobs_dir, lockfile=conf.lockfile
    )
    if kind is not FileKind.CONFIG:
        return kind
    from gittrain.adapters import yamlio
    from gittrain.core.validation import Kind, classify

    try:
        data = yamlio.load_bytes(side.raw, side.source, expect_mapping=False).data
    except GittrainError:
        return kind  # the comparison reports it
    found = classify(side.path, conf, data)
    return {Kind.RECIPE: FileKind.RECIPE, Kind.JOB: FileKind.JOB}.get(found, FileKind.CONFIG)
