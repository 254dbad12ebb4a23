"""Job files: the record narrowed from a schema-valid job document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from gittrain.document import Document

STATUSES = ("pending", "running", "completed", "failed", "cancelled")
TERMINAL = frozenset({"completed", "failed", "cancelled"})


# Records here are not dataclasses: validation in the pre-commit hook imports this module, and
# importing `dataclasses` costs ~6 ms (see gittrain/document.py).
class RecipeRef(NamedTuple):
    """``grpo_basic``, ``grpo_basic@<rev>`` or ``{id, version, rev}``."""

    id: str
    version: str | None = None
    rev: str | None = None

    @classmethod
    def parse(cls, value: object) -> RecipeRef | None:
        if isinstance(value, str):
            recipe_id, _, rev = value.partition("@")
            return cls(recipe_id, None, rev or None)
        if not isinstance(value, dict):
            return None
        ident = value.get("id")
        if isinstance(ident, str):
            version, at = value.get("version"), value.get("rev")
            return cls(
                ident,
                version if isinstance(version, str) else None,
                at if isinstance(at, str) else None,
            )
        return None

    def __str__(self) -> str:
        return self.id + (f"@{self.rev}" if self.rev else "")


_NO_METRICS: Mapping[str, float] = {}


class Job:
    """A job as far as it could be narrowed; fields the document lacks are None.

    A slotted class rather than a NamedTuple: jobs compare by identity (their documents
    and configs are not compared), as the dataclass with ``eq=False`` did; ``Final`` keeps
    the attributes read-only for mypy.  Built with keywords only.
    """

    __slots__ = (
        "config",
        "datasets",
        "document",
        "metrics",
        "model",
        "model_size",
        "name",
        "num_gpus",
        "recipe",
        "status",
    )

    def __init__(
        self,
        *,
        name: str | None,
        recipe: RecipeRef | None,
        model: str | None,
        model_size: str | None,
        num_gpus: int | None,
        datasets: Mapping[str, str],
        config: Mapping[str, Any],
        status: str | None,
        metrics: Mapping[str, float] = _NO_METRICS,
        document: Document | None = None,
    ) -> None:
        self.name: Final = name
        self.recipe: Final = recipe
        self.model: Final = model
        self.model_size: Final = model_size
        self.num_gpus: Final = num_gpus
        self.datasets: Final = datasets
        self.config: Final = config
        self.status: Final = status
        self.metrics: Final = metrics
        self.document: Final = document

    def __repr__(self) -> str:
        return f"Job(name={self.name!r}, recipe={self.recipe!r}, status={self.status!r})"


def from_doc(doc: Document) -> Job:
    """Narrow a parsed job document; tolerant, since schema errors are reported separately."""
    data = doc.data if isinstance(doc.data, dict) else {}
    result = data.get("result") if isinstance(data.get("result"), dict) else {}
    assert isinstance(result, dict)
    metrics = result.get("metrics") if isinstance(result.get("metrics"), dict) else {}
    assert isinstance(metrics, dict)
    datasets = data.get("datasets") if isinstance(data.get("datasets"), dict) else {}
    assert isinstance(datasets, dict)
    gpus = data.get("num_gpus")
    config = data.get("config")
    return Job(
        name=_str(data.get("name")),
        recipe=RecipeRef.parse(data.get("recipe")),
        model=_str(data.get("model")),
        model_size=_str(data.get("model_size")),
        num_gpus=gpus if isinstance(gpus, int) and not isinstance(gpus, bool) else None,
        datasets={k: v for k, v in datasets.items() if isinstance(v, str)},
        config=config if isinstance(config, dict) else {},
        status=_str(result.get("status")),
        metrics={
            k: float(v)
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        },
        document=doc,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
