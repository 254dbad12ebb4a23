"""Checking one file's bytes: parse strictly, classify, schema, then sanity rules.

Every problem is data (a :class:`Problem` with file:line:col); nothing here
raises for bad content, so callers report every file before setting an exit code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gittrain.adapters import schemas, yamlio
from gittrain.core import jobs, rules
from gittrain.core import settings as settings_mod
from gittrain.core.problems import Problem, Severity, count
from gittrain.core.recipes import (
    Origin,
    RecipeFile,
    RecipeInvalid,
    Registry,
    file_problems,
    from_data,
    resolve,
)
from gittrain.core.settings import Settings
from gittrain.core.settings import under as _under
from gittrain.document import DocPath, Document
from gittrain.errors import GittrainError


class Kind(str, enum.Enum):
    RECIPE = "recipe"
    JOB = "job"
    LOCKFILE = "lockfile"
    SETTINGS = "settings"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    kind: Kind | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return count(self.problems)

    @property
    def warnings(self) -> int:
        return count(self.problems, Severity.WARNING)


@dataclass(frozen=True, slots=True)
class Checker:
    """What validation needs to know about the repository."""

    settings: Settings
    registry: Registry
    team_recipes: Mapping[str, RecipeFile]
    builtin_recipes: Mapping[str, RecipeFile]

    def check(self, rel: str, raw: bytes, kind: Kind | None = None) -> FileReport:
        try:
            doc = yamlio.load_bytes(raw, rel)
        except GittrainError as exc:
            problem = Problem(rel, exc.mark, (), Severity.ERROR, exc.detail, "yaml")
            return FileReport(rel, kind or classify(rel, self.settings), (problem,))
        kind = kind or classify(rel, self.settings, doc.data)
        problems = {
            Kind.RECIPE: self._recipe,
            Kind.JOB: self._job,
            Kind.SETTINGS: self._settings,
            Kind.LOCKFILE: self._lockfile,
            Kind.CONFIG: self._config,
        }[kind](rel, doc)
        ordered = sorted(problems, key=lambda p: (p.mark.line, p.mark.column) if p.mark else (0, 0))
        return FileReport(rel, kind, tuple(ordered))

    def _recipe(self, rel: str, doc: Document) -> list[Problem]:
        item = RecipeFile(PurePosixPath(rel).stem, Origin.REPO, rel, doc)
        problems = file_problems(item)
        if problems:
            return problems
        team = {**self.team_recipes, item.id: item}
        try:
            data = resolve(item, team, self.builtin_recipes)
            recipe = from_data(data, item, overrides_builtin=False)
        except RecipeInvalid as exc:
            return exc.problems
        ctx = rules.Context(
            config=recipe.default_config,
            config_path=("default_config",),
            num_gpus=recipe.recommended_gpus,
            num_gpus_path=("recommended_gpus",),
            algorithm=recipe.recommended_algorithm,
            min_gpus=recipe.min_gpus,
            recipe_id=recipe.id,
        )
        return _findings(doc, rules.check(ctx, self.settings.rules))

    def _job(self, rel: str, doc: Document) -> list[Problem]:
        problems = _schema_problems(doc, "job")
        job = jobs.from_doc(doc)
        stem = PurePosixPath(rel).stem
        if job.name is not None and job.name != stem:
            problems.append(
                _error(
                    doc,
                    ("name",),
                    f"name {job.name!r} does not match the file name {stem!r}",
                    "job-name",
                )
            )
        recipe = self.registry.recipes.get(job.recipe.id) if job.recipe else None
        if job.recipe is not None and recipe is None:
            problems.append(
                Problem(
                    rel,
                    doc.mark_of(("recipe",)),
                    ("recipe",),
                    Severity.WARNING,
                    f"recipe {job.recipe.id!r} is not in the registry; "
                    "recipe-specific checks were skipped",
                    "recipe",
                )
            )
        ctx = rules.Context(
            config=job.config,
            num_gpus=job.num_gpus,
            algorithm=recipe.recommended_algorithm if recipe else None,
            min_gpus=recipe.min_gpus if recipe else None,
            recipe_id=recipe.id if recipe else None,
        )
        return problems + _findings(doc, rules.check(ctx, self.settings.rules))

    def _settings(self, rel: str, doc: Document) -> list[Problem]:
        problems = _schema_problems(doc, "settings")
        if not problems:
            try:
                settings_mod.from_doc(doc)
            except GittrainError as exc:
                problems.append(Problem(rel, exc.mark, (), Severity.ERROR, exc.detail, "settings"))
        return problems

    def _lockfile(self, rel: str, doc: Document) -> list[Problem]:
        return _schema_problems(doc, "lockfile")

    def _config(self, rel: str, doc: Document) -> list[Problem]:
        data = doc.data
        assert isinstance(data, dict)
        gpus = data.get("num_gpus")
        ctx = rules.Context(
            config=data,
            config_path=(),
            num_gpus=gpus if isinstance(gpus, int) and not isinstance(gpus, bool) else None,
        )
        return _findings(doc, rules.check(ctx, self.settings.rules))


def classify(rel: str, settings: Settings, data: object = None) -> Kind:
    """A file's kind from where it lives, else from what it contains."""
    if rel == settings.lockfile:
        return Kind.LOCKFILE
    if rel == settings_mod.SETTINGS_FILE:
        return Kind.SETTINGS
    if _under(rel, settings.recipes_dir):
        return Kind.RECIPE
    if _under(rel, settings.jobs_dir):
        return Kind.JOB
    if isinstance(data, dict):
        if "default_config" in data or "extends" in data:
            return Kind.RECIPE
        if "config" in data and ("recipe" in data or "result" in data):
            return Kind.JOB
    return Kind.CONFIG


def _schema_problems(doc: Document, name: str) -> list[Problem]:
    return [_error(doc, e.path, e.message, "schema") for e in schemas.check(name, doc.data)]


def _error(doc: Document, path: DocPath, message: str, rule: str) -> Problem:
    return Problem(doc.source, doc.mark_of(path), path, Severity.ERROR, message, rule)


def _findings(doc: Document, findings: Iterable[rules.Finding]) -> list[Problem]:
    return [
        Problem(doc.source, doc.mark_of(f.path), f.path, f.severity, f.message, f.rule)
        for f in findings
    ]


def summary(reports: Iterable[FileReport]) -> dict[str, Any]:
    items = list(reports)
    return {
        "files": len(items),
        "errors": sum(r.errors for r in items),
        "warnings": sum(r.warnings for r in items),
    }
