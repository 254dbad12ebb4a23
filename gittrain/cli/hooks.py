"""`git train install/uninstall/init`, the hook checks `check-data` and `lint-yaml`, and `hook`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gittrain.cli.common import (
    emit_json,
    print_problems,
    problems_json,
    repo_root,
    workspace,
)
from gittrain.cli.options import CONTEXT, format_option

if TYPE_CHECKING:
    from pathlib import Path

    from gittrain.commands.install import InstallResult
    from gittrain.commands.install_hooks import HooksResult
    from gittrain.commands.install_merge import InstallMergeResult


def _parts(hooks: bool, diff: bool, merge: bool) -> tuple[bool, bool, bool]:
    """No flags means all three."""
    return (True, True, True) if not (hooks or diff or merge) else (hooks, diff, merge)


@click.command(context_settings=CONTEXT)
@click.option("--hooks", is_flag=True, help="The native git hooks (hooks/*).")
@click.option(
    "--diff",
    "diff_driver",
    is_flag=True,
    help="Semantic diffs of the configs inside plain git diff.",
)
@click.option("--merge", is_flag=True, help="The gittrain.lock merge driver.")
def install(hooks: bool, diff_driver: bool, merge: bool) -> None:
    """Wire gittrain into this repository: hooks, diff driver, merge driver (all by default).

    Idempotent.  Hooks go where git runs them (core.hooksPath is respected); a
    hook that is already there is kept as NAME.pre-gittrain and runs first.
    """
    root, _prefix = repo_root()
    _install(root, *_parts(hooks, diff_driver, merge))


def _install(root: Path, hooks: bool, diff_driver: bool, merge: bool) -> None:
    from gittrain.commands import install, install_hooks, install_merge

    lines = _changes(
        install_hooks.install_hooks(root) if hooks else None,
        install.install_diff(root) if diff_driver else None,
        install_merge.install_merge(root) if merge else None,
        undo=False,
    )
    if diff_driver:
        from gittrain.commands.textconv_cache import prefill

        done = prefill(root)
        if done.converted:
            more = f"; {done.skipped} older left to git" if done.skipped else ""
            lines.append(
                f"textconv cache: {done.converted} config versions converted now "
                f"({done.cached} already cached{more}), so the first `git log -p` finds them"
            )
    click.echo("\n".join(lines) if lines else "already installed")


@click.command(context_settings=CONTEXT)
@click.option("--hooks", is_flag=True, help="The native git hooks.")
@click.option("--diff", "diff_driver", is_flag=True, help="The textconv diff driver.")
@click.option("--merge", is_flag=True, help="The gittrain.lock merge driver.")
def uninstall(hooks: bool, diff_driver: bool, merge: bool) -> None:
    """Reverse `git train install` (all three by default); moved-aside hooks are restored."""
    from gittrain.commands import install, install_hooks, install_merge

    root, _prefix = repo_root()
    hooks, diff_driver, merge = _parts(hooks, diff_driver, merge)
    lines = _changes(
        install_hooks.uninstall_hooks(root) if hooks else None,
        install.uninstall_diff(root) if diff_driver else None,
        install_merge.uninstall_merge(root) if merge else None,
        undo=True,
    )
    click.echo("\n".join(lines) if lines else "nothing to uninstall")


def _changes(
    hooks: HooksResult | None,
    diff: InstallResult | None,
    merge: InstallMergeResult | None,
    *,
    undo: bool,
) -> list[str]:
    """One line per change made (nothing for what was already in place)."""
    set_word, added = ("unset", "removed from") if undo else ("set", "added to")
    lines = []
    if hooks is not None:
        for change in hooks.changes:
            if change.action == "unchanged":
                continue
            chained = change.chained and change.action in ("installed", "updated")
            tail = f" (runs {change.name}.pre-gittrain first)" if chained else ""
            if change.kept is not None:
                tail = f" (it had been edited: kept as {change.kept})"
            lines.append(f"{change.action} hook {hooks.directory / change.name}{tail}")
    if diff is not None:
        lines += [f"{set_word} {line}" for line in diff.config_set]
        lines += [f"{added} {diff.attributes_file}: {line}" for line in diff.attributes_added]
        lines += [
            f"removed from {diff.attributes_file}: {line}" for line in diff.attributes_removed
        ]
    if merge is not None and merge.config_changed:
        lines.append(f"{set_word} merge.gittrain-lock.driver (the gittrain.lock merge driver)")
    if merge is not None and merge.attributes_changed:
        lines.append(f"{added} .gitattributes: the lockfile's merge=gittrain-lock line")
    return lines


@click.command(context_settings=CONTEXT)
def init() -> None:
    """Scaffold recipes/, jobs/, .gittrain.yaml, gittrain.lock and a sample
    .pre-commit-config.yaml (existing files are kept), then `git train install`."""
    from gittrain.commands.init import scaffold

    root, _prefix = repo_root()
    result = scaffold(root)
    for rel in result.created:
        click.echo(f"created {rel}")
    for rel in result.kept:
        click.echo(f"kept {rel} (already there)")
    _install(root, True, True, True)


@click.command("lint-yaml", context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@format_option()
def lint_yaml(files: tuple[str, ...], fmt: str) -> None:
    """Flag plain values a file's framework will misread, each with its fix.

    Each file is read as its framework reads it (named in .gittrain.yaml
    `dialects:` or detected, as validate does): OmegaConf (verl, LLaMA-Factory,
    torchtune) reads 2e-5 as a number, TRL and axolotl convert it for a numeric
    field, and all of them read 500_000 as 500000; yes/no/on/off (booleans),
    0755 (octal) and 1:30 (base 60) are flagged for every framework.  A file in
    no known dialect gets every YAML 1.1 trap, 2e-5 (a string to PyYAML) included.
    Works on any YAML; exits 1 on a finding.
    """
    from pathlib import Path  # not at the top: `git train -h` imports this module

    from gittrain.commands.lint_yaml import lint_yaml as run
    from gittrain.core.dialects.effective import effective

    ws = workspace()
    result = run(Path.cwd(), files, effective(ws.settings), ws.root)
    if fmt == "json":
        emit_json({"files": result.files, "problems": problems_json(result.problems)})
    else:
        print_problems(result.problems)
    raise SystemExit(1 if result.problems else 0)


@click.command("check-data", context_settings=CONTEXT)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--staged", is_flag=True, help="Check the staged jobs against the staged lockfile.")
@format_option()
def check_data(files: tuple[str, ...], staged: bool, fmt: str) -> None:
    """Every dataset the jobs use is in the lockfile, unchanged on disk, and has the
    columns and format its recipe requires.

    FILES are job files or job names; none means every job.  Other files are
    ignored, a missing one is an error.  Unchanged datasets are verified from
    the stat cache without reading them; requirements are compared with the
    lockfile's record.  Exits 1 on an error, naming the job and the dataset.
    """
    import posixpath

    from gittrain.commands.data_check import check_data as run

    # Not open_workspace(): the recipe registry loads only once a job with a
    # training dataset needs its recipe's data requirements.
    root, prefix = repo_root()
    rels = [f if _bare(f) else posixpath.normpath(posixpath.join(prefix, f)) for f in files]
    result = run(root, rels, staged=staged)
    if fmt == "json":
        emit_json({"jobs": result.jobs, "problems": problems_json(result.problems)})
    else:
        print_problems(result.problems)
    raise SystemExit(1 if result.errors else 0)


def _bare(word: str) -> bool:
    """A job name (``a``), not a path: it is not relative to the current directory."""
    from pathlib import Path

    return "/" not in word and not word.endswith((".yaml", ".yml")) and not Path(word).exists()


@click.group(context_settings=CONTEXT, hidden=True)  # run by the hooks
def hook() -> None:
    """What the installed git hooks run (see hooks/ and `git train install --hooks`)."""


def _err(line: str) -> None:
    click.echo(line, err=True)


@hook.command("pre-commit", context_settings=CONTEXT)
def hook_pre_commit() -> None:
    """Validate the staged configs and check the staged jobs' datasets; exit 1 blocks."""
    from gittrain.cli import hookrun

    code = hookrun.pre_commit(click.echo, _err)
    if code:
        raise SystemExit(code)


@hook.command("prepare-commit-msg", context_settings=CONTEXT)
@click.argument("message_file", type=click.Path(dir_okay=False))
@click.argument("source", required=False, default="")
@click.argument("sha", required=False, default="")
def hook_prepare_commit_msg(message_file: str, source: str, sha: str) -> None:
    """Add a Config-Changes: summary (critical and important changes) to the message."""
    from gittrain.cli import hookrun

    hookrun.prepare_commit_msg(message_file, source, sha, err=_err)


def _warn_drift() -> None:
    """The post-merge and post-checkout warning; these hooks never fail, whatever happens."""
    from gittrain.commands.hooks import dataset_drift
    from gittrain.errors import GittrainError

    try:
        from gittrain.cli.hookrun import sync_diff

        root, _prefix = repo_root()
        sync_diff(root, _err)  # the checked-out .gittrain.yaml (or a new gittrain) may differ
        warnings = dataset_drift(root)
    except Exception as exc:  # a warning hook must not turn a merge or checkout into an error
        shown = exc.message if isinstance(exc, GittrainError) else f"internal error: {exc!r}"
        click.echo(f"gittrain: warning: datasets not checked; {shown}", err=True)
        return
    for warning in warnings:
        click.echo(f"gittrain: warning: {warning.text}", err=True)
    if warnings:
        click.echo("gittrain: see `git train data status`", err=True)


@hook.command("post-merge", context_settings=CONTEXT)
@click.argument("squash", required=False, default="0")
def hook_post_merge(squash: str) -> None:
    """Warn when datasets on disk no longer match the lockfile (never fails)."""
    _warn_drift()


@hook.command("post-checkout", context_settings=CONTEXT)
@click.argument("previous", required=False, default="")
@click.argument("new", required=False, default="")
@click.argument("branch_flag", required=False, default="1")
def hook_post_checkout(previous: str, new: str, branch_flag: str) -> None:
    """After a branch checkout, warn when datasets no longer match the lockfile."""
    if branch_flag != "1" or (previous and previous == new):
        return  # a file checkout, or the same commit: the lockfile did not move
    _warn_drift()
