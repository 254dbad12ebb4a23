"""Recipes: the record, the registry (built-ins plus the repo's `recipes/`), and `extends`."""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, Final, NamedTuple

from gittrain.adapters import schemas
from gittrain.core import doccache
from gittrain.core.confine import escape
from gittrain.core.problems import Problem, Severity
from gittrain.core.resources import data_dir
from gittrain.core.settings import Settings
from gittrain.core.sizes import ModelSize, parse_size
from gittrain.document import Document, format_path, locate
from gittrain.errors import EXIT_CONTENT, EXIT_USAGE, GittrainError

RECIPE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
OUTSIDE = "io"  # the rule of a recipe file that resolves outside the work tree (exit 2)


class Origin(str, enum.Enum):
    BUILTIN = "builtin"
    REPO = "repo"


# Records here are not dataclasses: validation in the pre-commit hook imports this module,
# and importing `dataclasses` costs ~6 ms (see gittrain/document.py).
class DataRequirements(NamedTuple):
    formats: tuple[str, ...]
    required_fields: tuple[str, ...]
    min_samples: int | None = None
    description: str = ""
    roles: tuple[str, ...] = ()  # the job dataset roles checked; none: the training ones


class Adjustment(NamedTuple):
    """``set`` these config values when the model size is within [min_size, max_size]."""

    min_size: ModelSize | None
    max_size: ModelSize | None
    values: Mapping[str, object]
    reason: str

    def matches(self, size: ModelSize) -> bool:
        low_ok = self.min_size is None or size.params >= self.min_size.params
        high_ok = self.max_size is None or size.params <= self.max_size.params
        return low_ok and high_ok

    def describe_when(self) -> str:
        if self.min_size and self.max_size:
            return f"{self.min_size.text}-{self.max_size.text}"
        if self.min_size:
            return f">= {self.min_size.text}"
        assert self.max_size is not None
        return f"<= {self.max_size.text}"


class Recipe:
    """A resolved recipe (``extends`` already merged in).

    A slotted class rather than a NamedTuple: recipes compare by identity (their
    documents and default configs are not compared), as the dataclass with ``eq=False``
    did; ``Final`` keeps the attributes read-only for mypy.  Built with keywords only.
    """

    __slots__ = (
        "adjustments",
        "author",
        "data_requirements",
        "default_config",
        "description",
        "document",
        "extends",
        "id",
        "min_gpus",
        "model_size_hint",
        "origin",
        "overrides_builtin",
        "recommended_algorithm",
        "recommended_gpus",
        "rev",
        "source",
        "tags",
        "task_type",
        "tips",
        "version",
    )

    def __init__(
        self,
        *,
        id: str,
        version: str,
        description: str,
        task_type: str,
        recommended_algorithm: str,
        author: str,
        tags: tuple[str, ...],
        model_size_hint: str,
        min_gpus: int,
        recommended_gpus: int,
        data_requirements: DataRequirements,
        default_config: Mapping[str, object],
        adjustments: tuple[Adjustment, ...],
        tips: tuple[str, ...],
        origin: Origin,
        source: str,
        extends: str | None = None,
        overrides_builtin: bool = False,
        document: Document | None = None,
        rev: str | None = None,  # the commit a team recipe was read from; None: the work tree
    ) -> None:
        self.id: Final = id
        self.version: Final = version
        self.description: Final = description
        self.task_type: Final = task_type
        self.recommended_algorithm: Final = recommended_algorithm
        self.author: Final = author
        self.tags: Final = tags
        self.model_size_hint: Final = model_size_hint
        self.min_gpus: Final = min_gpus
        self.recommended_gpus: Final = recommended_gpus
        self.data_requirements: Final = data_requirements
        self.default_config: Final = default_config
        self.adjustments: Final = adjustments
        self.tips: Final = tips
        self.origin: Final = origin
        self.source: Final = source
        self.extends: Final = extends
        self.overrides_builtin: Final = overrides_builtin
        self.document: Final = document
        self.rev: Final = rev

    def __repr__(self) -> str:
        return f"Recipe(id={self.id!r}, version={self.version!r}, rev={self.rev!r})"

    def at_rev(self, rev: str | None) -> Recipe:
        """The same recipe, marked as read from commit ``rev``."""
        return Recipe(
            id=self.id,
            version=self.version,
            description=self.description,
            task_type=self.task_type,
            recommended_algorithm=self.recommended_algorithm,
            author=self.author,
            tags=self.tags,
            model_size_hint=self.model_size_hint,
            min_gpus=self.min_gpus,
            recommended_gpus=self.recommended_gpus,
            data_requirements=self.data_requirements,
            default_config=self.default_config,
            adjustments=self.adjustments,
            tips=self.tips,
            origin=self.origin,
            source=self.source,
            extends=self.extends,
            overrides_builtin=self.overrides_builtin,
            document=self.document,
            rev=rev,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "version": self.version,
            "description": self.description,
            "task_type": self.task_type,
            "recommended_algorithm": self.recommended_algorithm,
            "author": self.author,
            "tags": list(self.tags),
            "model_size_hint": self.model_size_hint,
            "min_gpus": self.min_gpus,
            "recommended_gpus": self.recommended_gpus,
            "data_requirements": {
                "formats": list(self.data_requirements.formats),
                "required_fields": list(self.data_requirements.required_fields),
                "min_samples": self.data_requirements.min_samples,
                "description": self.data_requirements.description,
                "roles": list(self.data_requirements.roles),
            },
            "default_config": copy.deepcopy(dict(self.default_config)),
            "adjustments": [
                {"when": a.describe_when(), "set": dict(a.values), "reason": a.reason}
                for a in self.adjustments
            ],
            "tips": list(self.tips),
            "origin": self.origin.value,
            "source": self.source,
            "extends": self.extends,
            "overrides_builtin": self.overrides_builtin,
            "rev": self.rev,
        }


class RecipeFile(NamedTuple):
    """A recipe file as written, before ``extends`` is resolved."""

    id: str
    origin: Origin
    source: str
    document: Document
    rev: str | None = None  # the commit it was read from; None for the work tree


class Registry:
    """Every recipe by id (a repo recipe shadows the built-in of the same id).

    Built in place, never compared (its recipes compare by identity): a plain slotted class.
    """

    __slots__ = ("broken", "problems", "recipes")

    def __init__(
        self,
        recipes: dict[str, Recipe],
        problems: list[Problem],
        broken: dict[str, Problem] | None = None,  # id -> its file's first problem
    ) -> None:
        self.recipes = recipes
        self.problems = problems
        self.broken: dict[str, Problem] = {} if broken is None else broken

    def __repr__(self) -> str:
        return f"Registry(recipes={sorted(self.recipes)!r}, problems={self.problems!r})"

    def get(self, recipe_id: str) -> Recipe:
        recipe = self.recipes.get(recipe_id)
        problem = self.broken.get(recipe_id)
        if recipe is None and problem is not None:
            # A team file that overrides a built-in and is broken: name it, never "unknown".
            where = locate(problem.source, problem.mark)
            subject = f"{format_path(problem.path)}: " if problem.path else ""
            raise GittrainError(
                f"{where}: recipe {recipe_id!r} is broken: {subject}{problem.message}",
                EXIT_USAGE if problem.rule == OUTSIDE else EXIT_CONTENT,
            )
        if recipe is None:
            known = ", ".join(sorted(self.recipes)) or "none"
            raise GittrainError(f"unknown recipe {recipe_id!r} (known: {known})")
        return recipe

    def sorted(self) -> list[Recipe]:
        return [self.recipes[k] for k in sorted(self.recipes)]


def builtin_files() -> tuple[RecipeFile, ...]:
    return tuple(builtin_files_by_id().values())


def builtin_files_by_id() -> Mapping[str, RecipeFile]:
    """The built-in recipe files by id, each read when it is first asked for."""
    return _builtins(data_dir("recipes"))


@cache
def _builtins(directory: Path) -> BuiltinFiles:
    # Packaged files do not change while a process runs; `validate` reads them twice.
    return BuiltinFiles(directory)


class BuiltinFiles(Mapping[str, RecipeFile]):
    """The packaged recipe files by id; a file is read and parsed on first use.

    A commit hook validates jobs that name one or two recipes: reading all nine built-ins
    was ~1.5 ms of every hook run (~2.5 ms when the hook cache is cold).
    """

    __slots__ = ("_files", "_paths")

    def __init__(self, directory: Path) -> None:
        self._paths = {path.stem: path for path in _yaml_files(directory)}
        self._files: dict[str, RecipeFile] = {}

    def __getitem__(self, recipe_id: str) -> RecipeFile:
        found = self._files.get(recipe_id)
        if found is None:
            path = self._paths[recipe_id]
            found = _read(path, Origin.BUILTIN, f"<builtin>/{path.name}")
            self._files[recipe_id] = found
        return found

    def __contains__(self, recipe_id: object) -> bool:
        return recipe_id in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def load_registry(root: Path | None, settings: Settings) -> Registry:
    """The built-in recipes plus the repository's own, with ``extends`` resolved.

    Broken repo recipes are reported in ``problems`` and left out; the rest load.
    """
    problems: list[Problem] = []
    return build_registry(repo_files(root, settings, problems), problems)


def build_registry(files: Sequence[RecipeFile], problems: list[Problem]) -> Registry:
    """The built-ins plus the team recipe ``files`` (from the work tree or a commit)."""
    builtins = builtin_files_by_id()
    team = {item.id: item for item in files}
    # A team file that does not even parse still claims its id: the built-in it
    # overrides is not quietly used in its place.
    broken = {PurePosixPath(p.source).stem: p for p in problems}
    resolver = Resolver(team, builtins)
    resolved: dict[str, Recipe] = {}
    for recipe_id in sorted({*builtins, *team} - set(broken)):
        item = team.get(recipe_id) or builtins[recipe_id]
        try:
            resolved[recipe_id] = resolver.recipe(item)
        except RecipeInvalid as exc:
            problems.extend(p for p in exc.problems if p not in problems)
            broken.setdefault(recipe_id, exc.problems[0])
    return Registry(resolved, problems, broken)


class RecipeLookup:
    """``build_registry(files, problems).recipes.get``, resolving only the ids asked for.

    Validation asks for the recipes the checked jobs name, usually one or two of the
    built-ins; resolving and narrowing all of them was about 2 ms of every commit hook.
    ``resolver`` must be over the same team ``files`` and the built-ins.
    """

    __slots__ = ("_broken", "_found", "_resolver")

    def __init__(self, problems: Sequence[Problem], resolver: Resolver) -> None:
        # As build_registry: a team file that does not even parse still claims its id.
        self._broken = {PurePosixPath(p.source).stem for p in problems}
        self._resolver = resolver
        self._found: dict[str, Recipe | None] = {}

    def get(self, recipe_id: str) -> Recipe | None:
        if recipe_id not in self._found:
            self._found[recipe_id] = self._resolve(recipe_id)
        return self._found[recipe_id]

    def _resolve(self, recipe_id: str) -> Recipe | None:
        team, builtins = self._resolver.team, self._resolver.builtins
        item = team.get(recipe_id) or builtins.get(recipe_id)
        if item is None or recipe_id in self._broken:
            return None
        try:
            return self._resolver.recipe(item)
        except RecipeInvalid:
            return None


class RecipeInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].render() if problems else "invalid recipe")
        self.problems = problems


def resolve(
    item: RecipeFile,
    team: Mapping[str, RecipeFile],
    builtins: Mapping[str, RecipeFile],
) -> dict[str, Any]:
    """The recipe's data with every ``extends`` ancestor deep-merged underneath it."""
    return Resolver(team, builtins).resolve(item)


class _Failed(NamedTuple):
    problems: list[Problem]
    cycle: str | None = None  # "a -> b -> a" when the chain runs into a cycle


_Key = tuple[Origin, str]


class Resolver:
    """``extends`` over one set of recipe files: each file is checked and merged once.

    Every ancestor's merged layers are kept, so resolving all N recipes of a chain
    N deep costs N merges, not N**2 (each with an N**2 cycle check, as it once did).
    """

    def __init__(self, team: Mapping[str, RecipeFile], builtins: Mapping[str, RecipeFile]) -> None:
        self.team = team
        self.builtins = builtins
        self._done: dict[_Key, dict[str, Any] | _Failed] = {}
        self.merges = 0  # layers merged so far: a test keeps it linear

    def resolve(self, item: RecipeFile) -> dict[str, Any]:
        """``item``'s data with every ancestor merged in, checked against the schema."""
        outcome = self._outcome(item)
        if isinstance(outcome, _Failed):
            raise RecipeInvalid(outcome.problems)
        merged = copy.deepcopy(outcome)
        merged["name"] = item.id
        full = schemas.check("recipe", merged)
        if full:
            raise RecipeInvalid([_problem(item, e.path, e.message) for e in full])
        return merged

    def recipe(self, item: RecipeFile) -> Recipe:
        """The recipe ``item`` defines, resolved and narrowed (raises RecipeInvalid)."""
        overrides = item.origin is Origin.REPO and item.id in self.builtins
        return from_data(self.resolve(item), item, overrides_builtin=overrides)

    def _outcome(self, item: RecipeFile) -> dict[str, Any] | _Failed:
        # Walk up to the first file already resolved, a root, or an error; then
        # merge back down. A loop, not recursion: a chain may be deeper than the stack.
        path: list[RecipeFile] = []
        on_path: dict[_Key, int] = {}
        current = item
        while True:
            key = (current.origin, current.id)
            known = self._done.get(key)
            if known is not None:
                start = known
                break
            if key in on_path:
                start = self._cycle(path[on_path[key] :])
                del path[on_path[key] :]
                break
            problems = file_problems(current)
            if problems:
                start = self._done[key] = _Failed(problems)
                break
            data = current.document.data
            assert isinstance(data, dict)
            parent_id = data.get("extends")
            if parent_id is None:
                start = self._done[key] = self._merge({}, current)
                break
            parent = self._parent(current, parent_id)
            if parent is None:
                problem = _problem(current, ("extends",), f"unknown recipe {parent_id!r}")
                start = self._done[key] = _Failed([problem])
                break
            on_path[key] = len(path)
            path.append(current)
            current = parent
        for link in reversed(path):
            start = self._done[(link.origin, link.id)] = self._below(start, link)
        return start

    def _parent(self, item: RecipeFile, parent_id: object) -> RecipeFile | None:
        if not isinstance(parent_id, str):
            return None
        # `extends: <own id>` in a repo recipe means the built-in of that id.
        if parent_id == item.id and item.origin is Origin.REPO:
            return self.builtins.get(parent_id)
        return self.team.get(parent_id) or self.builtins.get(parent_id)

    def _cycle(self, cycle: list[RecipeFile]) -> _Failed:
        """Each file of the cycle fails with the cycle as seen from it; returns the first's."""
        for index, link in enumerate(cycle):
            ids = [c.id for c in (*cycle[index:], *cycle[:index], link)]
            self._done[(link.origin, link.id)] = _Failed(
                [_problem(link, ("extends",), f"extends cycle: {' -> '.join(ids)}")],
                " -> ".join(ids),
            )
        first = self._done[(cycle[0].origin, cycle[0].id)]
        assert isinstance(first, _Failed)
        return first

    def _below(
        self, parent: dict[str, Any] | _Failed, item: RecipeFile
    ) -> dict[str, Any] | _Failed:
        if not isinstance(parent, _Failed):
            return self._merge(parent, item)
        if parent.cycle is None:
            return parent
        cycle = f"{item.id} -> {parent.cycle}"
        return _Failed([_problem(item, ("extends",), f"extends cycle: {cycle}")], cycle)

    def _merge(self, base: Mapping[str, Any], item: RecipeFile) -> dict[str, Any]:
        self.merges += 1
        layer = dict(item.document.data)  # type: ignore[call-overload]
        layer.pop("extends", None)
        return deep_merge(base, layer)


def file_problems(item: RecipeFile) -> list[Problem]:
    """Schema problems of one recipe file as written, plus its name/file agreement."""
    problems = [
        _problem(item, e.path, e.message) for e in schemas.check("recipe", item.document.data)
    ]
    data = item.document.data
    assert isinstance(data, dict)
    name = data.get("name")
    if isinstance(name, str) and name != item.id:
        problems.append(
            _problem(item, ("name",), f"name {name!r} does not match the file name {item.id!r}")
        )
    return problems


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists included) is replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def from_data(data: Mapping[str, Any], item: RecipeFile, *, overrides_builtin: bool) -> Recipe:
    """Narrow schema-valid recipe data to a :class:`Recipe`."""
    reqs = data["data_requirements"]
    adjustments = []
    for index, adj in enumerate(data.get("adjustments", [])):
        when = adj["when"]
        try:
            low = parse_size(when["min_size"]) if "min_size" in when else None
            high = parse_size(when["max_size"]) if "max_size" in when else None
        except ValueError as exc:
            raise RecipeInvalid(
                [_problem(item, ("adjustments", index, "when"), str(exc))]
            ) from None
        adjustments.append(Adjustment(low, high, dict(adj["set"]), adj["reason"]))
    own = item.document.data
    assert isinstance(own, dict)
    return Recipe(
        id=item.id,
        version=str(data["version"]),
        description=data["description"],
        task_type=data["task_type"],
        recommended_algorithm=data["recommended_algorithm"],
        author=data["author"],
        tags=tuple(data["tags"]),
        model_size_hint=data["model_size_hint"],
        min_gpus=data["min_gpus"],
        recommended_gpus=data["recommended_gpus"],
        data_requirements=DataRequirements(
            tuple(reqs["formats"]),
            tuple(reqs["required_fields"]),
            reqs.get("min_samples"),
            reqs.get("description", ""),
            tuple(reqs.get("roles", ())),
        ),
        default_config=data["default_config"],
        adjustments=tuple(adjustments),
        tips=tuple(data["tips"]),
        origin=item.origin,
        source=item.source,
        extends=own.get("extends"),
        overrides_builtin=overrides_builtin,
        document=item.document,
        rev=item.rev,
    )


def _problem(item: RecipeFile, path: tuple[Any, ...], message: str) -> Problem:
    doc = item.document
    return Problem.at(doc, path, Severity.ERROR, message, "schema")


def _yaml_files(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.suffix in (".yaml", ".yml"))


def _read(path: Path, origin: Origin, source: str) -> RecipeFile:
    return RecipeFile(path.stem, origin, source, doccache.load_file(path, source))


def repo_files(
    root: Path | None, settings: Settings, problems: list[Problem] | None = None
) -> list[RecipeFile]:
    """The repository's recipe files; unreadable ones go to ``problems``."""
    if root is None:
        return []
    if problems is None:
        problems = []
    out = []
    for path in _yaml_files(root / settings.recipes_dir):
        source = path.relative_to(root).as_posix()
        if not RECIPE_ID.match(path.stem):
            problems.append(
                Problem(
                    source,
                    None,
                    (),
                    Severity.ERROR,
                    "recipe file names must be lowercase ids (a-z, 0-9, _ and -)",
                    "schema",
                )
            )
            continue
        outside = escape(root, path)
        if outside is not None:
            problems.append(Problem(source, None, (), Severity.ERROR, outside, OUTSIDE))
            continue
        try:
            out.append(_read(path, Origin.REPO, source))
        except GittrainError as exc:
            problems.append(Problem(source, exc.mark, (), Severity.ERROR, exc.detail, "yaml"))
    return out
