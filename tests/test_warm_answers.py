"""Warm experience answers (issue 14): best, suggest and similar keep their answer.

A kept answer is keyed by everything it depends on (HEAD, settings, the query, the
registry where used, the job file's bytes) and gives exactly the cold output in every
format, or is ignored: a corrupt, foreign, other-HEAD or hostile answer file is
computed again, never an error and never a wrong answer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Repo
from test_experience import _history, job
from test_mining_flat import HOSTILE

from gittrain.core.diff import MISSING
from gittrain.core.runs import runanswers

ANSWERS = ".git/gittrain/answers"
HISTORY_CACHES = ("history-cache.json", "history-head.json")
FORMATS = ("text", "json")
EXTRA = (
    "  target_modules: [q_proj, v_proj]\n"
    "  lora: {r: 8, alpha: 16.0, dropout: null, on: true}\n"
    "  warmup_steps: 10\n"
)

QUESTIONS = {
    "best": ["best", "--recipe", "grpo_basic", "--top", "3"],
    "best-by-algorithm": ["best", "--algorithm", "grpo", "--metric", "acc", "--minimize"],
    "best-of-a-size": ["best", "--recipe", "grpo_basic", "--model-size", "7B", "--top", "1"],
    "suggest": ["suggest", "next"],
    "suggest-at-a-revision": ["suggest", "g1@HEAD"],
    "suggest-of-a-size": ["suggest", "next", "--model-size", "3B-14B"],
    "suggest-thin": ["suggest", "thin"],
    "similar": ["similar", "next", "--top", "3"],
    "similar-at-a-revision": ["similar", "g4@HEAD~1", "--top", "2", "--model-size", ">=7B"],
}


def _setup(repo: Repo) -> None:
    _history(repo)
    repo.write("jobs/f1.yaml", job("f1", "failed", lr=1e-6, extra=EXTRA))
    repo.write("jobs/f2.yaml", job("f2", "failed", lr=1.05e-6))
    repo.commit("two failures near 1e-6")
    repo.write("jobs/next.yaml", job("next", "pending", lr=1e-6, extra=EXTRA))
    repo.write("jobs/thin.yaml", job("thin", "pending", recipe="dpo_basic"))


def _ask(cli: Cli, repo: Repo, question: list[str], fmt: str) -> tuple[int, str, str]:
    result = cli("experience", *question, "--format", fmt, cwd=repo.root)
    return result.code, result.out, result.err


def _forget(repo: Repo, *, answers: bool = False, history: bool = False) -> None:
    if answers:
        shutil.rmtree(repo.root / ANSWERS, ignore_errors=True)
    if history:
        for name in HISTORY_CACHES:
            (repo.root / ".git/gittrain" / name).unlink(missing_ok=True)


def _answer_files(repo: Repo) -> list[Path]:
    return sorted((repo.root / ANSWERS).glob("*.json"))


def _cold(cli: Cli, repo: Repo, question: list[str]) -> dict[str, tuple[int, str, str]]:
    """Each format's output computed with no answer kept."""
    out = {}
    for fmt in FORMATS:
        _forget(repo, answers=True)
        out[fmt] = _ask(cli, repo, question, fmt)
        assert out[fmt][0] == 0, out[fmt]
    return out


@pytest.mark.parametrize("name", QUESTIONS)
def test_the_warm_answer_is_the_cold_one_in_every_format(repo: Repo, cli: Cli, name: str) -> None:
    _setup(repo)
    question = QUESTIONS[name]
    cold = _cold(cli, repo, question)
    _forget(repo, answers=True)
    _ask(cli, repo, question, "text")  # keeps the answer
    assert len(_answer_files(repo)) == 1
    _forget(repo, history=True)  # only the kept answer can give it now
    for fmt in FORMATS:
        assert _ask(cli, repo, question, fmt) == cold[fmt], fmt
    assert not (repo.root / ".git/gittrain/history-head.json").exists()  # nothing was mined


def test_the_answers_show_what_they_keep(repo: Repo, cli: Cli) -> None:
    """The setup gives answers with rows, suggestions, failures, matches and differing terms."""
    _setup(repo)
    best = json.loads(_ask(cli, repo, QUESTIONS["best"], "json")[1])
    assert len(best["runs"]) == 3 and best["shared"]
    advice = json.loads(_ask(cli, repo, QUESTIONS["suggest"], "json")[1])
    assert advice["suggestions"] and len(advice["failed_near"]) == 2
    similar = json.loads(_ask(cli, repo, QUESTIONS["similar"], "json")[1])
    assert similar["matches"] and any(m["differ"] for m in similar["matches"])
    assert similar["failed_near"]


def test_the_job_file_settings_and_registry_are_in_the_key(repo: Repo, cli: Cli) -> None:
    _setup(repo)
    for question in (QUESTIONS["suggest"], QUESTIONS["similar"]):
        before = _ask(cli, repo, question, "json")
        # The work tree's job file changes, HEAD does not: the answer is about the new file.
        repo.write("jobs/next.yaml", job("next", "pending", lr=5e-7, recipe="grpo_basic"))
        after = _ask(cli, repo, question, "json")
        assert after != before
        assert after == _cold(cli, repo, question)["json"]
        repo.write("jobs/next.yaml", job("next", "pending", lr=1e-6, extra=EXTRA))
        assert _ask(cli, repo, question, "json") == before
    best = QUESTIONS["best-by-algorithm"]
    before = _ask(cli, repo, best, "json")
    repo.write(".gittrain.yaml", "jobs_dir: elsewhere\n")
    assert _ask(cli, repo, best, "json")[0] == 1  # no runs there: an error, never kept
    repo.write(".gittrain.yaml", "jobs_dir: jobs\n")
    assert _ask(cli, repo, best, "json") == before
    # --algorithm reads each recipe's algorithm: the registry is part of its key.
    builtin = Path(__file__).resolve().parents[1] / "recipes" / "dpo_basic.yaml"
    text = builtin.read_text(encoding="utf-8")
    assert "recommended_algorithm: dpo\n" in text
    repo.write("recipes/dpo_basic.yaml", text.replace("algorithm: dpo\n", "algorithm: grpo\n"))
    changed = _ask(cli, repo, best, "json")
    assert changed == _cold(cli, repo, best)["json"]


def test_a_new_head_asks_again(repo: Repo, cli: Cli) -> None:
    _setup(repo)
    before = _ask(cli, repo, QUESTIONS["best"], "text")
    repo.write("jobs/g9.yaml", job("g9", "completed", lr=5e-7, metrics="acc: 0.95"))
    repo.commit("a better run")
    after = _ask(cli, repo, QUESTIONS["best"], "text")
    assert after != before and after[1].splitlines()[1].startswith("1. acc=0.95  g9@")


def _spoiled(name: str, value: dict[str, Any]) -> list[object]:
    """The kept answer with a wrong type, shape or HEAD somewhere: each must be refused."""
    common: list[object] = [
        {**value, "runs": -1},
        {**value, "head": "0" * 40},
        {**value, "skipped": [[1, 2, 3]]},
        {**value, "extra": 1},
        [value],
    ]
    if name == "best":
        [run, key] = value["rows"][0]
        version = run[8]
        return [
            *common,
            {**value, "metric": 1},
            {**value, "minimize": 1},
            {**value, "chosen": "yes"},
            {**value, "shared": {"d": [[1, 2]]}},
            {**value, "shared": {"x": []}},
            {**value, "shared": {"m": False}},
            {**value, "rows": [[run[:-1], key]]},
            {**value, "rows": [[run, {"l": []}]]},
            {**value, "rows": [[[*run[:4], "1", *run[5:]], key]]},
            {
                **value,
                "rows": [[[*run[:8], [*version[:7], {"d": [["acc", "x"]]}, *version[8:]]], key]],
            },
            {**value, "rows": [[[*run[:8], [*version[:8], [], *version[9:]]], key]]},
            {**value, "rows": [[[*run[:8], [*version[:4], 8.0, *version[5:]]], key]]},
            {**value, "rows": [[[*run[:7], [["r", "f", None]], version], key]]},
        ]
    if name == "suggest":
        recipe, metric, top, suggestions, note = value["advice"]
        return [
            *common,
            {**value, "model_size": 7},
            {**value, "scope": [None, "x"]},
            {**value, "scope": [[1, None], "x", []]},
            {**value, "scope": [None, "x", [1]]},
            {**value, "advice": [recipe, 1, top, suggestions, note]},
            {**value, "advice": [recipe, metric, top, [[*suggestions[0][:4], [1]]], note]},
            {**value, "advice": [recipe, metric, [top[0][1:]], suggestions, note]},
            {**value, "failures": [[*value["failures"][0][:1], "x", "why"]]},
        ]
    run, score, agree, differ = next(m for m in value["matches"] if m[3] and m[2])
    return [
        *common,
        {**value, "matches": [[run, "0.5", agree, differ]]},
        {**value, "matches": [[run, score, [[1, None, None, 1.0, 1.0]], differ]]},
        {**value, "matches": [[run, score, agree, [differ[0][:4]]]]},
        {**value, "matches": [[run, score, agree, [[differ[0][0], {"q": 1}, *differ[0][2:]]]]]},
        {**value, "failures": [[]]},
    ]


@pytest.mark.parametrize("name", ["best", "suggest", "similar"])
@pytest.mark.parametrize("how", HOSTILE, ids=lambda h: repr(h)[:30])
def test_a_corrupt_foreign_or_hostile_answer_file_is_ignored(
    repo: Repo, cli: Cli, name: str, how: bytes | dict[str, object] | str
) -> None:
    _setup(repo)
    question = QUESTIONS[name]
    cold = _ask(cli, repo, question, "json")
    [answer] = _answer_files(repo)
    data = json.loads(answer.read_bytes())
    if how == "truncated":
        how = answer.read_bytes()[: answer.stat().st_size // 2]
    if how == "every value":
        variants = _spoiled(name, data["answer"])
        for variant in variants:  # one at a time, in the real answer's file
            answer.write_text(json.dumps({**data, "answer": variant}))
            assert _ask(cli, repo, question, "json") == cold, variant
        return
    if not isinstance(how, bytes):
        assert isinstance(how, dict)
        how = json.dumps({**data, **how}).encode()
    answer.write_bytes(how)
    assert _ask(cli, repo, question, "json") == cold
    assert _ask(cli, repo, question, "text")[0] == 0
    assert json.loads(answer.read_bytes())["format"] == 2  # written again, readable


def test_an_answer_that_cannot_be_written_costs_only_speed(repo: Repo, cli: Cli) -> None:
    _setup(repo)
    cold = {name: _ask(cli, repo, QUESTIONS[name], "json") for name in ("best", "suggest")}
    _forget(repo, answers=True)
    (repo.root / ANSWERS).write_text("not a directory")
    for name, out in cold.items():
        assert _ask(cli, repo, QUESTIONS[name], "json") == out


def test_config_values_come_back_exactly() -> None:
    value = {
        "a": [1, 1.0, True, None, "x", (2, [3])],
        1: {"nested": {"deep": ()}},
        "missing": MISSING,
        "empty": {},
        2.5: float("inf"),
    }
    saved = json.loads(json.dumps(runanswers.value_json(value)))
    back = runanswers.value_of(saved)
    assert back == value and repr(back) == repr(value)
    assert [type(x) for x in back["a"]] == [int, float, bool, type(None), str, tuple]  # type: ignore[index]
    with pytest.raises(runanswers.Unkept):
        runanswers.value_json({"a": {1, 2}})  # a set: not kept, computed every time
    for hostile in (
        {"m": 1},
        {"m": False},
        {"x": []},
        {"d": [[[], 1]]},
        {"l": 1},
        {"l": [], "t": []},
    ):
        with pytest.raises((TypeError, ValueError)):
            runanswers.value_of(hostile)
