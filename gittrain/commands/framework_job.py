"""A job applied from a recipe, written with its ``config`` in a trainer's own keys.

`recipe apply --framework F` and `job new --framework F` apply the recipe as
always (in gittrain's keys, each adapted value with its reason), then translate
the config through F's dialect: each reason follows its value to the native
key, and what F cannot express is listed in the file's header.
"""

from __future__ import annotations

from typing import Any

from gittrain.adapters import yamlio
from gittrain.core.apply import Applied
from gittrain.core.dialects.config import read_own
from gittrain.core.dialects.export import export
from gittrain.core.dialects.view import Value
from gittrain.core.dialects.vocabulary import Effective
from gittrain.core.recipes import Recipe
from gittrain.document import Document
from gittrain.errors import usage_error


def render_for(
    framework: str,
    applied: Applied,
    recipe: Recipe,
    command: str,
    eff: Effective,
    *,
    data: list[str],
) -> str:
    """The job file's text with ``config`` in ``framework``'s keys and ``framework:`` set."""
    vocabulary = eff.vocabulary
    if framework not in vocabulary.framework_names:
        known = ", ".join(vocabulary.framework_names)
        raise usage_error(f"--framework {framework}: unknown (known: {known})")
    target = vocabulary.get(framework)
    job: dict[str, Any] = dict(applied.job)
    doc = Document("job", job)
    outside = {"algorithm": Value(recipe.recommended_algorithm, None)}
    view = read_own(doc, eff, job.get("config"), ("config",), "job", outside=outside).view
    values = {idea: value.value for idea, value in view.values.items()}
    values.pop("datasets", None)  # the job's roles; the trainer takes paths
    if data:
        values["datasets"] = data[0] if len(data) == 1 else data
    exported = export(vocabulary, target, values, where=f"recipe {recipe.id}")
    # gittrain key -> reason, then idea -> reason, then native path -> reason.
    by_key = {
        change.path[1]: change.reason
        for change in applied.changes
        if len(change.path) == 2 and change.path[0] == "config"
    }
    by_path: dict[tuple[str, ...], str] = {}
    for idea, value in view.values.items():
        key = value.path[-1] if value.path else None
        if isinstance(key, str) and key in by_key:
            for path in exported.written.get(idea, ()):
                by_path[path] = by_key[key]
    ordered: dict[str, Any] = {}
    for key, value in job.items():
        if key == "config":
            ordered["framework"] = framework
            ordered["config"] = exported.config
        else:
            ordered[key] = value
    header = [
        f"# Made by `{command}`",
        f"# from recipe {recipe.id} {recipe.version} ({recipe.source}), in {target.title}'s keys.",
    ]
    header += [
        f"# Not expressible in {target.title}: {idea} = {yamlio.flow_text(value)}"
        for idea, value in exported.unexpressed
    ]
    lines = _with_reasons(yamlio.dump(ordered).splitlines(), by_path)
    return "\n".join([*header, *lines]) + "\n"


def _with_reasons(lines: list[str], reasons: dict[tuple[str, ...], str]) -> list[str]:
    """Each reason as a comment on its native key's line under ``config:`` (block YAML)."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        key = (
            stripped.split(":", 1)[0] if ":" in stripped and not stripped.startswith("-") else None
        )
        if key is not None:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, key))
            path = tuple(k for _, k in stack)
            if path[0] == "config" and path[1:] in reasons and not stripped.endswith(":"):
                out.append(f"{line}  # {reasons[path[1:]]}")
                continue
        out.append(line)
    return out
