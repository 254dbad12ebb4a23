"""Validation's recipe lookup resolves only the recipes jobs name, and answers exactly what
the whole registry answers for every id: built-ins, team overrides, extends chains, cycles,
unknown parents, misnamed, unparsable and broken team files."""

from __future__ import annotations

import json
import sys

from conftest import Repo
from hookhelp import GOOD_JOB, run

from gittrain.core import settings
from gittrain.core.problems import Problem
from gittrain.core.recipes import (
    RecipeLookup,
    Resolver,
    builtin_files,
    load_registry,
    repo_files,
)

TEAM = {
    # A team file that overrides a built-in, and one that extends the override.
    "recipes/grpo_basic.yaml": "name: grpo_basic\nextends: grpo_basic\ndefault_config:\n"
    "  rollout_n: 16\n",
    "recipes/math_a.yaml": "name: math_a\nextends: grpo_basic\nversion: '1.1.0'\n",
    "recipes/math_b.yaml": "name: math_b\nextends: math_a\ndefault_config:\n"
    "  learning_rate: 5.0e-7\n",
    # A cycle, an unknown parent, a name that does not match, a file that does not parse,
    # a file name that is not an id, and one that breaks the schema.
    "recipes/a.yaml": "name: a\nextends: b\n",
    "recipes/b.yaml": "name: b\nextends: a\n",
    "recipes/x.yaml": "name: x\nextends: nope\n",
    "recipes/y.yaml": "name: z\nextends: sft_basic\n",
    "recipes/sft_basic.yaml": "name: sft_basic\nextends: [\n",
    "recipes/Bad Name.yaml": "name: bad\nextends: sft_basic\n",
    "recipes/dpo_basic.yaml": "name: dpo_basic\nextends: dpo_basic\nmin_gpus: -3\n",
}


def _lookup(repo: Repo) -> tuple[RecipeLookup, Resolver]:
    conf = settings.load(repo.root)
    broken: list[Problem] = []
    team = {item.id: item for item in repo_files(repo.root, conf, broken)}
    resolver = Resolver(team, {f.id: f for f in builtin_files()})
    return RecipeLookup(broken, resolver), resolver


def test_every_id_is_answered_as_the_registry_answers_it(repo: Repo) -> None:
    for rel, text in TEAM.items():
        repo.write(rel, text)
    registry = load_registry(repo.root, settings.load(repo.root))
    ids = {f.id for f in builtin_files()} | {rel[8:-5] for rel in TEAM} | {"nope", "z"}
    lookup, _resolver = _lookup(repo)
    for recipe_id in sorted(ids):
        want = registry.recipes.get(recipe_id)
        got = lookup.get(recipe_id)
        assert (got is None) == (want is None), recipe_id
        if got is not None and want is not None:
            assert got.to_json() == want.to_json(), recipe_id
            assert got.document == want.document
    assert {"grpo_basic", "math_a", "math_b"} <= set(registry.recipes)
    assert not {"a", "b", "x", "sft_basic", "dpo_basic"} & set(registry.recipes)


def test_only_the_recipes_asked_for_are_resolved(repo: Repo) -> None:
    lookup, resolver = _lookup(repo)
    assert lookup.get("grpo_basic") is not None
    assert resolver.merges == 1  # one file, no parent
    assert lookup.get("grpo_basic") is lookup.get("grpo_basic")
    assert resolver.merges == 1


# Runs one command line in a fresh process and reports the built-in recipe files it opened.
OPENED = """
import json, sys
from gittrain.core.resources import data_dir

recipes = str(data_dir("recipes"))
opened = []
sys.addaudithook(
    lambda event, args: opened.append(str(args[0]).rsplit("/", 1)[-1])
    if event == "open" and str(args[0]).startswith(recipes) else None
)
from gittrain.cli import main

try:
    main(sys.argv[1:])
except SystemExit as exc:
    sys.stderr.write("\\nOPENED " + json.dumps([exc.code, sorted(opened)]) + "\\n")
"""


def _opened(repo: Repo, *argv: str) -> tuple[object, list[str]]:
    proc = run([sys.executable, "-c", OPENED, *argv], repo.root)
    _, _, tail = proc.stderr.rpartition("\nOPENED ")
    assert tail, proc.stderr
    code, names = json.loads(tail)
    return code, names


def test_validation_reads_only_the_built_in_recipes_the_jobs_name(repo: Repo) -> None:
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="data/t.jsonl"))
    repo.write("jobs/b.yaml", GOOD_JOB.format(name="b", dataset="data/t.jsonl"))
    repo.write("recipes/mine.yaml", "name: mine\nextends: dpo_basic\n")
    repo.write("jobs/c.yaml", GOOD_JOB.format(name="c", dataset="d").replace("grpo_basic", "mine"))
    repo.git("add", "-A")
    assert _opened(repo, "validate", "jobs/a.yaml", "jobs/b.yaml") == (0, ["grpo_basic.yaml"])
    # A team recipe's parent is read as its chain needs it.
    code, names = _opened(repo, "validate", "jobs/c.yaml")
    assert names == ["dpo_basic.yaml"]
    code, names = _opened(repo, "hook", "pre-commit")
    assert names == ["dpo_basic.yaml", "grpo_basic.yaml"]
    # The whole registry still reads every one.
    code, names = _opened(repo, "recipe", "list")
    assert code == 0 and len(names) == len(builtin_files()) >= 9
