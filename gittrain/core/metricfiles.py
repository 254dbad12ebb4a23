"""Metrics a training run wrote: Hugging Face Trainer files, generic JSON and JSONL logs.

The Trainer (and TRL, LLaMA-Factory and axolotl on top of it) writes
``trainer_state.json`` (``log_history``: one object per logging or eval step) and,
from the example scripts, ``all_results.json``, ``train_results.json`` and
``eval_results.json`` (flat). Loggers such as verl's file logger write one JSON
object per line. Every reader keeps the last value of each numeric key.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gittrain.errors import GittrainError

METRIC_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./@-]{0,127}\Z")
# Read in this order when PATH is a directory, so eval results win over train results.
HF_FILES = ("trainer_state.json", "all_results.json", "train_results.json", "eval_results.json")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_JSON_LIMIT = 256 * 1024 * 1024
_CHECKPOINT = re.compile(r"checkpoint-([0-9]+)\Z")

# key -> (value, where it was found, for messages)
_Found = dict[str, tuple[object, str]]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which keys to keep: those starting with ``prefix``, then exactly ``keys`` if given."""

    prefix: str | None = None
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Metrics:
    values: Mapping[str, float]
    files: tuple[str, ...]  # as shown to the user, in the order read
    skipped: tuple[str, ...]  # numeric keys that are not metric names


def read_metrics(path: Path, shown: str, selection: Selection = Selection()) -> Metrics:
    """The last value of every numeric key in ``path`` (a file, or a Trainer output directory).

    Raises ``GittrainError`` (exit 1) naming the file (and line) for a missing path, a
    file that does not parse, a chosen value that is NaN or infinite, or no metric at all.
    """
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.is_file()
    except OSError as exc:
        raise GittrainError(f"{shown}: cannot read: {exc.strerror}") from None
    if not exists:
        raise GittrainError(f"{shown}: no such file or directory")
    files = _trainer_files(path, shown) if is_dir else [(path, shown)]
    found: _Found = {}
    for file, name in files:
        found.update(_read_file(file, name))
    return _select(found, selection, tuple(name for _, name in files))


def _trainer_files(directory: Path, shown: str) -> list[tuple[Path, str]]:
    """The Trainer's files in an output directory; else its newest checkpoint's state."""
    prefix = shown.rstrip("/") + "/"
    present = [(directory / n, prefix + n) for n in HF_FILES if (directory / n).is_file()]
    if present:
        return present
    # A run killed before the end leaves only checkpoint-N/trainer_state.json.
    steps = []
    for entry in os.scandir(directory):
        match = _CHECKPOINT.match(entry.name)
        if match and Path(entry.path, HF_FILES[0]).is_file():
            steps.append((int(match.group(1)), entry.name))
    if steps:
        name = max(steps)[1]
        return [(directory / name / HF_FILES[0], f"{prefix}{name}/{HF_FILES[0]}")]
    raise GittrainError(
        f"{shown}: no {', '.join(HF_FILES[:-1])} or {HF_FILES[-1]} in this directory"
    )


def _read_file(path: Path, shown: str) -> _Found:
    if path.name.endswith(JSONL_SUFFIXES):
        return _read_jsonl(path, shown)
    try:
        size = path.stat().st_size
        if size > _JSON_LIMIT:
            raise GittrainError(f"{shown}: file is {size} bytes; the limit is {_JSON_LIMIT}")
        raw = path.read_bytes()
    except OSError as exc:
        raise GittrainError(f"{shown}: cannot read: {exc.strerror}") from None
    data = _load(raw, shown, line=None)
    if not isinstance(data, dict):
        raise GittrainError(f"{shown}: expected a JSON object, not {_kind(data)}")
    history = data.get("log_history")
    if isinstance(history, list):
        return _trainer_state(data, history, shown)
    found: _Found = {}
    _flatten(data, (), found, shown)
    return found


def _trainer_state(state: Mapping[str, object], history: list[object], shown: str) -> _Found:
    found: _Found = {}
    for index, entry in enumerate(history):
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            # Each entry's `step` is the global step; the state's own `global_step` says it once.
            if key != "step" and _is_number(value):
                found[key] = (value, f"{shown}: log_history[{index}]")
    for key in ("global_step", "epoch", "best_metric"):
        value = state.get(key)
        if _is_number(value):
            found[key] = (value, shown)
    return found


def _read_jsonl(path: Path, shown: str) -> _Found:
    found: _Found = {}
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                record = _load(raw, shown, line=number)
                if not isinstance(record, dict):
                    where = f"{shown}:{number}"
                    raise GittrainError(f"{where}: expected a JSON object, not {_kind(record)}")
                data = record.get("data")
                if isinstance(data, dict):  # verl's file logger: {"step": N, "data": {...}}
                    record = {k: v for k, v in record.items() if k != "data"} | data
                _flatten(record, (), found, f"{shown}:{number}")
    except OSError as exc:
        raise GittrainError(f"{shown}: cannot read: {exc.strerror}") from None
    return found


def _load(raw: bytes, shown: str, *, line: int | None) -> object:
    where = shown if line is None else f"{shown}:{line}"
    try:
        text = raw.decode("utf-8-sig")
        if line is not None:  # so an error's column is on this line, not past its end
            text = text.rstrip("\r\n")
    except UnicodeDecodeError:
        raise GittrainError(f"{where}: not valid UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"{shown}:{exc.lineno}:{exc.colno}" if line is None else f"{where}:{exc.colno}"
        raise GittrainError(f"{at}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise GittrainError(f"{where}: nested too deeply") from None


def _flatten(data: Mapping[str, object], path: tuple[str, ...], found: _Found, where: str) -> None:
    """Numbers anywhere in nested objects, their keys joined with ``/`` (``eval/acc``)."""
    for key, value in data.items():
        if isinstance(value, dict):
            if len(path) < 16:
                _flatten(value, (*path, key), found, where)
        elif _is_number(value):
            found["/".join((*path, key))] = (value, where)


def _select(found: _Found, selection: Selection, files: tuple[str, ...]) -> Metrics:
    shown = ", ".join(files)
    named = {k: v for k, v in found.items() if METRIC_NAME.match(k)}
    skipped = tuple(k for k in found if k not in named)
    if selection.prefix is not None:
        named = {k: v for k, v in named.items() if k.startswith(selection.prefix)}
    if selection.keys:
        missing = [k for k in selection.keys if k not in named]
        if missing:
            have = ", ".join(sorted(named)[:12]) or "none"
            raise GittrainError(f"{shown}: no metric {missing[0]!r} (metrics here: {have})")
        named = {k: named[k] for k in selection.keys}
    if not named:
        which = f" starting with {selection.prefix!r}" if selection.prefix else ""
        raise GittrainError(f"{shown}: no numeric metric{which}")
    values: dict[str, float] = {}
    for key, (value, where) in named.items():
        assert isinstance(value, (int, float))
        if not math.isfinite(value):
            raise GittrainError(
                f"{where}: {key} is {_constant(value)}; a metric must be a finite number "
                "(choose others with --select or --metric-prefix)"
            )
        values[key] = value
    return Metrics(values, files, skipped)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _constant(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", type(None): "null"}.get(type(value), "a value")
