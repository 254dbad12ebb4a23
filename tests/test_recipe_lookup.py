"""Validation's recipe lookup resolves only the recipes jobs name, and answers exactly what
the whole registry answers for every id: built-ins, team overrides, extends chains, cycles,
unknown parents, misnamed, unparsable and broken team files."""

from __future__ import annotations

from conftest import Repo

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
