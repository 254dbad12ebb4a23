"""`git train init`: scaffold a training repository, then install hooks and drivers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittrain.core import hookspec, settings
from gittrain.core.atomic import atomic_write
from gittrain.core.data.lockfile import Lockfile, render
from gittrain.errors import usage_error

SETTINGS_TEXT = """\
# gittrain settings; paths are relative to the repository root.
version: 1
recipes_dir: recipes
jobs_dir: jobs
config_dirs: [configs]
lockfile: gittrain.lock
"""

PRE_COMMIT_TEXT = """\
# pre-commit hooks (https://pre-commit.com): pip install pre-commit && pre-commit install
# These run the git-train installed in this environment.  `git train install --hooks`
# sets up the same checks as plain git hooks instead; use one or the other.
repos:
  - repo: local
    hooks:
      - id: gittrain-validate
        name: gittrain validate (schema and sanity rules)
        entry: git-train validate --quiet
        language: system
        files: {config}
        require_serial: true
      - id: gittrain-data
        name: gittrain datasets are locked and unchanged
        entry: git-train check-data
        language: system
        files: {jobs}
        require_serial: true
      - id: gittrain-yaml-numbers
        name: gittrain YAML values the framework misreads
        entry: git-train lint-yaml
        language: system
        types: [yaml]
"""


@dataclass(frozen=True, slots=True)
class InitResult:
    created: tuple[str, ...]
    kept: tuple[str, ...]  # already there; never overwritten


def scaffold(root: Path) -> InitResult:
    """Create what is missing; files that exist are left alone."""
    defaults = settings.Settings()
    files = {
        f"{defaults.recipes_dir}/.gitkeep": "",
        f"{defaults.jobs_dir}/.gitkeep": "",
        settings.SETTINGS_FILE: SETTINGS_TEXT,
        defaults.lockfile: render(Lockfile()),
        ".pre-commit-config.yaml": PRE_COMMIT_TEXT.format(
            config=_quoted(hookspec.config_files_regex(defaults)),
            jobs=_quoted(hookspec.job_files_regex(defaults)),
        ),
    }
    created, kept = [], []
    for rel, text in files.items():
        path = root / rel
        if path.exists() or (rel.endswith(".gitkeep") and path.parent.is_dir()):
            kept.append(rel.removesuffix("/.gitkeep"))
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text.encode("utf-8"))
        except OSError as exc:
            raise usage_error(f"{rel}: cannot create: {exc.strerror}") from None
        created.append(rel.removesuffix("/.gitkeep"))
    return InitResult(tuple(created), tuple(kept))


def _quoted(regex: str) -> str:
    return "'" + regex.replace("'", "''") + "'"
