"""Run records and the job versions they are made of, as mining parses and caches them.

A run record is a job at the commit where its status became terminal
(completed, failed or cancelled), or where a terminal result was recorded
again with a new ``finished_at``.  ``gittrain.core.runs.mining`` finds them.
"""

from __future__ import annotations

import json
import operator
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gittrain.core.jobs import STATUSES, TERMINAL, RecipeRef
from gittrain.document import DocPath, Document, format_path
from gittrain.errors import GittrainError

if TYPE_CHECKING:
    from gittrain.core.dialects.vocabulary import Effective
    from gittrain.core.settings import Settings

JOB = "job"
LOCK = "lock"
# idea -> (value, the config path it was read from; None for a dialect default)
Ideas = Mapping[str, tuple[object, DocPath | None]]
# The ideas mining caches for every run (what recommend and the failure check read);
# the rest of the view is read again for the few runs an answer shows.
SUMMARY = ("algorithm", "learning_rate", "per_device_batch", "global_batch")
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True, slots=True)
class Version:
    """What mining needs from one version of a job file."""

    recipe: str | None
    recipe_version: str | None
    model: str | None
    model_size: str | None
    num_gpus: int | None
    status: str | None
    finished_at: str | None
    metrics: Mapping[str, float]
    config: Mapping[str, Any]
    datasets: Mapping[str, str]
    # The SUMMARY ideas of the config's canonical view; read for finished versions (runs).
    ideas: Mapping[str, object] = field(default_factory=dict)
    framework: str | None = None  # the trainer whose keys ``config`` is written in
    config_file: str | None = None  # instead of ``config``: the trainer's own file

    @property
    def algorithm(self) -> str | None:
        value = self.ideas.get("algorithm")
        return value.lower() if isinstance(value, str) else None

    def number(self, name: str) -> float | None:
        value = self.ideas.get(name)
        return float(value) if _is_number(value) else None  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """A job's dataset reference resolved against the lockfile of the run's commit."""

    role: str
    ref: str
    name: str | None  # the lock name, when the lockfile had it
    sha256: str | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    job: str
    path: str
    commit: str
    author: str
    timestamp: int
    version: Version
    datasets: tuple[DatasetVersion, ...]
    at_boundary: bool  # first seen at a shallow clone's cut: it may be older
    blob: str = ""  # the job file's blob at ``commit``

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.timestamp))

    @property
    def cite(self) -> str:
        """``job@1a2b3c4``: how every number is traced back to its commit."""
        return f"{self.job}@{self.commit[:7]}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A job version mining could not use; reported, never fatal."""

    path: str
    commit: str
    message: str

    def render(self) -> str:
        return f"{self.commit[:7]}:{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Summary:
    """What an answer says about the history it rests on (its header), without the runs."""

    head: str | None  # None: the repository has no commits yet
    runs: int  # run records mined
    skipped: tuple[Skipped, ...]
    shallow: tuple[str, ...]  # commits where a shallow clone's history is cut


@dataclass(frozen=True, slots=True)
class History:
    head: str | None  # None: the repository has no commits yet
    runs: tuple[RunRecord, ...]  # oldest first
    skipped: tuple[Skipped, ...]
    shallow: tuple[str, ...]  # commits where a shallow clone's history is cut
    versions: int  # job file versions seen

    @property
    def summary(self) -> Summary:
        return Summary(self.head, len(self.runs), self.skipped, self.shallow)


def narrow(doc: Document) -> Version:
    """A job document as a :class:`Version`; ``GittrainError`` (with a mark) when unusable."""
    data = doc.data
    assert isinstance(data, dict)

    def bad(path: tuple[str, ...], message: str) -> GittrainError:
        return GittrainError(
            f"{format_path(path)}: {message}", source=doc.source, mark=doc.mark_of(path)
        )

    result = data.get("result", {})
    if not isinstance(result, dict):
        raise bad(("result",), "expected a mapping")
    status = result.get("status")
    if status is not None and status not in STATUSES:
        raise bad(("result", "status"), f"expected one of {', '.join(STATUSES)}")
    metrics = result.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise bad(("result", "metrics"), "expected a mapping of name to number")
    for key, value in metrics.items():
        if not _is_number(value):
            raise bad(("result", "metrics", key), f"expected a number, not {value!r}")
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise bad(("config",), "expected a mapping")
    datasets = data.get("datasets") or {}
    ref = RecipeRef.parse(data.get("recipe"))
    gpus = data.get("num_gpus")
    return Version(
        recipe=ref.id if ref else None,
        recipe_version=ref.version if ref else None,
        model=_text(data.get("model")),
        model_size=_text(data.get("model_size")),
        num_gpus=gpus if _is_number(gpus) and isinstance(gpus, int) else None,
        status=status,
        finished_at=_text(result.get("finished_at")),
        metrics={k: float(v) for k, v in metrics.items()},
        config=config,
        datasets={k: v for k, v in datasets.items() if isinstance(v, str)}
        if isinstance(datasets, dict)
        else {},
        framework=_text(data.get("framework")),
        config_file=_text(data.get("config_file")),
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def version_entry(v: Version) -> dict[str, Any]:
    return {
        "k": JOB,
        "recipe": v.recipe,
        "rv": v.recipe_version,
        "model": v.model,
        "size": v.model_size,
        "gpus": v.num_gpus,
        "status": v.status,
        "fin": v.finished_at,
        "metrics": dict(v.metrics),
        "config": dict(v.config),
        "datasets": dict(v.datasets),
        "ideas": None,
        "fw": v.framework,
        "cf": v.config_file,
    }


def version_from(entry: Mapping[str, Any]) -> Version:
    return Version(
        entry["recipe"],
        entry["rv"],
        entry["model"],
        entry["size"],
        entry["gpus"],
        entry["status"],
        entry["fin"],
        entry["metrics"],
        entry["config"],
        entry["datasets"],
        _ideas(entry["ideas"]),
        entry.get("fw"),
        entry.get("cf"),
    )


def _ideas(saved: Mapping[str, Any] | None) -> Mapping[str, object]:
    return {} if saved is None else saved["v"]


def canonical(v: Version, eff: Effective, load: Callable[[str], bytes] | None = None) -> Ideas:
    """A job version's config through the canonical view (``read_own``, as validate reads it)."""
    from gittrain.core.dialects.config import read_job

    root: dict[str, object] = {"config": dict(v.config), "num_gpus": v.num_gpus, "model": v.model}
    if v.framework is not None:
        root["framework"] = v.framework  # read in that trainer's dialect
    if v.config_file is not None:
        root["config_file"] = v.config_file  # read by ``load`` as the run's commit holds it
    try:
        view = read_job(Document("", root), eff, load=load).view
    except GittrainError:
        return {}  # its file is missing at that commit: a run with no readable settings
    return {idea: (value.value, value.path) for idea, value in view.values.items()}


# The fields of a job entry its canonical view is read from (``canonical``'s ``root``).
_READ_FROM = operator.itemgetter("fw", "gpus", "model", "config")
_SEEN_KEPT = 4096


class IdeaReader:
    """Reads a finished job version's config the way validate and diff do (``read_own``).

    ``key`` names the repository's spellings for gittrain's own files, so cached
    readings made under other spellings are read again.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        own = settings.spellings.get("gittrain")
        self.key = json.dumps(own, sort_keys=True) if own else ""
        self._eff: Effective | None = None
        # What a config in the job itself reads as, by the repr of all it is read from
        # (repr tells 1, 1.0, True and "1" apart): versions that only change their
        # status or metrics repeat their config, and reading one costs ~60 us.
        self._seen: dict[str, dict[str, object]] = {}

    def wanted(self, entry: Mapping[str, Any]) -> bool:
        return entry["status"] in TERMINAL

    def fresh(self, entry: Mapping[str, Any]) -> bool:
        """The entry's reading (if it needs one) was made with these spellings."""
        if entry.get("k") != JOB or not self.wanted(entry):
            return True
        ideas = entry["ideas"]
        return ideas is not None and ideas["fp"] == self.key

    def read(
        self, entry: dict[str, Any], load: Callable[[str], bytes] | None = None
    ) -> dict[str, Any]:
        """``entry`` with its ``ideas`` (only for finished versions: they make runs).

        ``load`` reads a ``config_file`` as the commit that holds this version does.
        """
        if entry.get("k") != JOB or not self.wanted(entry):
            return entry
        from gittrain.core.dialects.effective import effective

        if self._eff is None:
            self._eff = effective(self.settings)
        # A config_file is read as the version's commit holds it: never shared.
        key = None if entry["cf"] is not None else repr(_READ_FROM(entry))
        values = self._seen.get(key) if key is not None else None
        if values is None:
            ideas = canonical(version_from(entry), self._eff, load)
            values = {
                idea: ideas[idea][0]
                for idea in SUMMARY
                if idea in ideas and isinstance(ideas[idea][0], _SCALARS)
            }
            if key is not None and len(self._seen) < _SEEN_KEPT:
                self._seen[key] = values
        return {**entry, "ideas": {"fp": self.key, "v": dict(values)}}


def parse_job(
    raw: bytes | None,
    reader: IdeaReader | None = None,
    load: Callable[[str], bytes] | None = None,
) -> dict[str, Any]:
    """A job blob as a cache entry: its :class:`Version`, or why it cannot be used."""
    from gittrain.adapters import yamlio  # only new blobs are parsed; warm runs skip it

    if raw is None:
        return {"k": "error", "message": "the blob is missing from the repository"}
    try:
        # Marks only locate a problem: read again with them when narrowing finds one.
        doc = yamlio.load_bytes(raw, "", marks=False)
        try:
            version = narrow(doc)
        except GittrainError:
            version = narrow(yamlio.load_bytes(raw, ""))
    except GittrainError as exc:
        where = f"{exc.mark.line}:{exc.mark.column}: " if exc.mark else ""
        return {"k": "error", "message": where + exc.detail}
    if version.status not in TERMINAL:
        # Not a run: the walk reads only its status, so that is all that is kept.
        return {"k": JOB, "status": version.status, "fin": version.finished_at}
    entry = version_entry(version)
    return reader.read(entry, load) if reader is not None else entry


def parse_lock(raw: bytes | None) -> dict[str, Any]:
    """A lockfile blob as a cache entry: dataset name -> sha256, and path -> name."""
    from gittrain.core.data import lockstore

    if raw is None:
        return {"k": LOCK, "names": {}, "paths": {}}
    try:
        lock = lockstore.parse_bytes(raw, "lockfile")
    except GittrainError:
        return {"k": LOCK, "names": {}, "paths": {}}  # an unreadable lockfile resolves nothing
    names = {name: entry.version for name, entry in lock.datasets.items()}
    paths = {entry.path: name for name, entry in lock.datasets.items()}
    return {"k": LOCK, "names": names, "paths": paths}


JOB_KEYS = frozenset(version_entry(narrow(Document("", {}))))
UNFINISHED_KEYS = frozenset({"k", "status", "fin"})  # a version that is not a run
LOCK_KEYS = frozenset({"k", "names", "paths"})
ERROR_KEYS = frozenset({"k", "message"})


def usable(entry: object, keys: frozenset[str]) -> bool:
    """A cache entry of the expected shape and types (anything else is parsed again).

    The cache is a file anyone can edit, so every value the walk reads is checked
    here: a wrong type means "parse the blob again", never a crash or a wrong answer.
    """
    if type(entry) is not dict:
        return False
    if entry.get("k") == "error":
        return entry.keys() == ERROR_KEYS and type(entry["message"]) is str
    if keys is JOB_KEYS and entry.keys() == UNFINISHED_KEYS:
        status = entry["status"]
        return (
            entry["k"] == JOB
            and (status is None or (status in STATUSES and status not in TERMINAL))
            and _opt_str(entry["fin"])
        )
    if entry.keys() != keys:
        return False
    if keys is LOCK_KEYS:
        return entry["k"] == LOCK and _str_map(entry["names"]) and _str_map(entry["paths"])
    return (
        entry["k"] == JOB
        and all(_opt_str(entry[k]) for k in ("recipe", "rv", "model", "size", "fin"))
        and (entry["status"] is None or entry["status"] in STATUSES)
        and (entry["gpus"] is None or type(entry["gpus"]) is int)
        and type(entry["config"]) is dict
        and type(entry["metrics"]) is dict
        and all(type(v) in (int, float) for v in entry["metrics"].values())
        and _str_map(entry["datasets"])
        and _ideas_ok(entry["ideas"])
    )


def _ideas_ok(value: object) -> bool:
    if value is None:
        return True
    if type(value) is not dict or value.keys() != {"fp", "v"} or type(value["fp"]) is not str:
        return False
    values = value["v"]
    return type(values) is dict and all(type(v) in _SCALARS for v in values.values())


def _opt_str(value: object) -> bool:
    return value is None or type(value) is str


def _str_map(value: object) -> bool:
    return type(value) is dict and all(type(v) is str for v in value.values())
