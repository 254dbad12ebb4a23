"""Checking one file's bytes: parse strictly, classify, schema, then sanity rules.

Every problem is data (a :class:`Problem` with file:line:col); nothing here
raises for bad content, so callers report every file before setting an exit code.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from gittrain.adapters import schemas
from gittrain.core import doccache, jobs, rules
from gittrain.core import settings as settings_mod
from gittrain.core.data import requirements
from gittrain.core.data.lockfile import Lockfile
from gittrain.core.dialects.config import ConfigRead, read_job, read_native, read_own
from gittrain.core.dialects.detect import Detection
from gittrain.core.dialects.effective import effective
from gittrain.core.dialects.keys import unknown_keys
from gittrain.core.dialects.view import Value, View
from gittrain.core.dialects.vocabulary import Effective
from gittrain.core.problems import Problem, Severity, count, findings
from gittrain.core.recipes import (
    Origin,
    Recipe,
    RecipeFile,
    RecipeInvalid,
    RecipeLookup,
    Resolver,
    file_problems,
    from_data,
)
from gittrain.core.recipeversions import Pins
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


# Records here are NamedTuples, not dataclasses: the pre-commit hook imports this module
# (see gittrain/document.py).
class FileReport(NamedTuple):
    path: str
    kind: Kind | None
    problems: tuple[Problem, ...]
    dialect: str | None = None  # the dialect the file was read in, and why
    why: str | None = None

    @property
    def errors(self) -> int:
        return count(self.problems)

    @property
    def warnings(self) -> int:
        return count(self.problems, Severity.WARNING)


class Checker(NamedTuple):
    """What validation needs to know about the repository."""

    settings: Settings
    registry: RecipeLookup  # the registry's recipes, resolved when a job names them
    recipes: Resolver  # the work tree's team recipes and the built-ins
    strict: bool = False  # unknown keys are errors
    pins: Pins | None = None  # recipes at the revisions jobs pin (None: pins are errors)
    # The lockfile jobs' datasets are judged against (raises GittrainError when it is
    # broken; its own report says why).  Called only for a job that needs it.
    lock: Callable[[], Lockfile] | None = None
    # Reads a job's ``config_file`` (the work tree, the index or a commit).
    files: Callable[[str], bytes] | None = None
    # Filled with each own-format file's strict parse (path -> its bytes and document), for
    # a later check of the same bytes (the pre-commit hook's data check) to reuse.
    parsed: dict[str, tuple[bytes, Document]] | None = None

    @property
    def vocabulary(self) -> Effective:
        return effective(self.settings)

    def check(self, rel: str, raw: bytes, kind: Kind | None = None) -> FileReport:
        kind = kind or classify(rel, self.settings)
        try:
            if kind is Kind.CONFIG:
                read = read_native(raw, rel, self.vocabulary)
                doc = read.doc
                kind = classify(rel, self.settings, doc.data)
            if kind is not Kind.CONFIG:
                doc = doccache.load_bytes(raw, rel)
                if self.parsed is not None:
                    self.parsed[rel] = (raw, doc)
                kind = classify(rel, self.settings, doc.data)
        except GittrainError as exc:
            problem = Problem(rel, exc.mark, (), Severity.ERROR, exc.detail, "yaml")
            return FileReport(rel, kind, (problem,))
        dialect: str | None
        if kind is Kind.CONFIG:
            problems = self._config(rel, read)
            dialect, why = read.detection.dialect.name, read.detection.why
        else:
            problems, dialect, why = self._own(kind, rel, doc)
        ordered = sorted(problems, key=lambda p: (p.mark.line, p.mark.column) if p.mark else (0, 0))
        return FileReport(rel, kind, tuple(ordered), dialect, why)

    def _own(self, kind: Kind, rel: str, doc: Document) -> tuple[list[Problem], str | None, str]:
        if kind is Kind.RECIPE:
            return self._recipe(rel, doc), "gittrain", "a recipe (under the recipes directory)"
        if kind is Kind.JOB:
            problems, detection = self._job(rel, doc)
            if detection is None or detection.dialect.name == "gittrain":
                return problems, "gittrain", "a job (under the jobs directory)"
            return problems, detection.dialect.name, f"a job's config, {detection.why}"
        if kind is Kind.SETTINGS:
            return self._settings(rel, doc), None, "the settings file"
        return self._lockfile(rel, doc), None, "the lockfile"

    def _recipe(self, rel: str, doc: Document) -> list[Problem]:
        item = RecipeFile(PurePosixPath(rel).stem, Origin.REPO, rel, doc)
        problems = file_problems(item)
        if problems:
            return problems
        known = self.recipes.team.get(item.id)
        if known is not None and known.document == doc:
            # The work tree's own file: its ancestors are resolved once for every file.
            resolver, item = self.recipes, known
        else:
            resolver = Resolver({**self.recipes.team, item.id: item}, self.recipes.builtins)
        try:
            data = resolver.resolve(item)
            recipe = from_data(data, item, overrides_builtin=False)
        except RecipeInvalid as exc:
            return exc.problems
        outside = {"algorithm": Value(recipe.recommended_algorithm, ("recommended_algorithm",))}
        read = read_own(
            doc,
            self.vocabulary,
            recipe.default_config,
            ("default_config",),
            "recipe",
            outside=outside,
        )
        ctx = rules.Context(read.view, min_gpus=recipe.min_gpus, recipe_id=recipe.id)
        return findings(doc, rules.check(ctx, self.settings.rules))

    def _job(self, rel: str, doc: Document) -> tuple[list[Problem], Detection | None]:
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
        recipe, pin_problem = self._pinned(doc, job.recipe)
        if pin_problem is not None:
            problems.append(pin_problem)
        elif job.recipe is not None and recipe is None:
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
        outside = {"algorithm": Value(recipe.recommended_algorithm, None)} if recipe else {}
        try:
            read = read_job(doc, self.vocabulary, outside=outside, load=self.files)
        except GittrainError as exc:
            level = rules.severity("config-file", Severity.ERROR, self.settings.rules)
            if level is not None:
                where = ("config_file",)
                problems.append(Problem(rel, exc.mark, where, level, exc.detail, "config-file"))
            return problems, None
        view = _without(read.view, [p.path for p in problems if p.rule == "schema"])
        ctx = rules.Context(
            view,
            min_gpus=recipe.min_gpus if recipe else None,
            recipe_id=recipe.id if recipe else None,
        )
        problems += self._unknown(read)
        if recipe is not None:
            problems += self._data(doc, job, recipe)
        return problems + findings(read.doc, rules.check(ctx, self.settings.rules)), read.detection

    def _pinned(
        self, doc: Document, ref: jobs.RecipeRef | None
    ) -> tuple[Recipe | None, Problem | None]:
        """The job's recipe: at its pinned revision when it has one, else the registry's."""
        if ref is None:
            return None, None
        if ref.rev is None:
            return self.registry.get(ref.id), None
        try:
            return (self.pins or Pins(None, self.settings)).recipe(ref), None
        except GittrainError as exc:
            data = doc.data if isinstance(doc.data, dict) else {}
            path: DocPath = (
                ("recipe", "rev") if isinstance(data.get("recipe"), dict) else ("recipe",)
            )
            return None, _error(doc, path, exc.message, "recipe")

    def _data(self, doc: Document, job: jobs.Job, recipe: Recipe) -> list[Problem]:
        """``data-requirements``: the job's training datasets, as locked, against the recipe."""
        reqs = recipe.data_requirements
        refs = {role: ref.strip() for role, ref in job.datasets.items()}
        if self.lock is None or not requirements.checked_roles(refs, reqs):
            return []
        try:
            lock = self.lock()
        except GittrainError:
            return []
        found = requirements.check(refs, recipe.id, reqs, lock, self.settings.rules)
        return findings(doc, found)

    def _unknown(self, read: ConfigRead) -> list[Problem]:
        """``unknown-key`` findings for the config mapping at ``read.base``."""
        dialect = read.detection.dialect
        default = Severity.ERROR if self.strict else Severity.WARNING
        level = rules.severity("unknown-key", default, self.settings.rules)
        if level is None:
            return []
        doc = read.doc
        return [
            Problem.at(doc, (*read.base, *found.path), level, found.message(dialect), "unknown-key")
            for found in unknown_keys(dialect, doc.value_at(read.base))
        ]

    def _settings(self, rel: str, doc: Document) -> list[Problem]:
        problems = _schema_problems(doc, "settings")
        if not problems:
            try:
                # Frameworks and spellings too: a staged .gittrain.yaml is not the one loaded.
                effective(settings_mod.from_doc(doc))
            except GittrainError as exc:
                problems.append(Problem(rel, exc.mark, (), Severity.ERROR, exc.detail, "settings"))
        return problems

    def _lockfile(self, rel: str, doc: Document) -> list[Problem]:
        return _schema_problems(doc, "lockfile")

    def _config(self, rel: str, read: ConfigRead) -> list[Problem]:
        doc = read.doc
        problems: list[Problem] = []
        detection = read.detection
        if detection.conflict is not None:
            level = rules.severity("dialect", Severity.WARNING, self.settings.rules)
            if level is not None:
                path = detection.conflict_path
                problems.append(Problem.at(doc, path, level, detection.conflict, "dialect"))
        problems += self._unknown(read)
        ctx = rules.Context(read.view)
        return problems + findings(doc, rules.check(ctx, self.settings.rules))


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
    return Problem.at(doc, path, Severity.ERROR, message, rule)


def _without(view: View, rejected: Iterable[DocPath]) -> View:
    """The view less every value the schema already rejected: rules never judge those twice."""
    bad = [tuple(p) for p in rejected if p]
    if not bad:
        return view
    kept = {
        idea: value
        for idea, value in view.values.items()
        if value.path is None or not any(value.path[: len(b)] == b for b in bad)
    }
    return view._replace(values=kept)


def summary(reports: Iterable[FileReport]) -> dict[str, Any]:
    items = list(reports)
    return {
        "files": len(items),
        "errors": sum(r.errors for r in items),
        "warnings": sum(r.warnings for r in items),
    }
