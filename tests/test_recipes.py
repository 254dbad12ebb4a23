"""The recipe registry: built-ins, team overrides, extends, and the browse commands."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot

from gittrain.core import recipes
from gittrain.core.problems import Problem
from gittrain.core.recipes import Origin, load_registry
from gittrain.core.settings import Settings
from gittrain.core.validation import Kind

BUILTINS = {
    "sft_basic",
    "sft_large_scale",
    "grpo_basic",
    "grpo_large_scale",
    "dpo_basic",
    "ppo_classic",
    "math_reasoning_grpo",
    "general_chat_sft",
    "code_generation_ppo",
}


def test_nine_builtins_load_without_problems() -> None:
    registry = load_registry(None, Settings())
    assert set(registry.recipes) == BUILTINS
    assert registry.problems == []
    for recipe in registry.recipes.values():
        assert recipe.origin is Origin.BUILTIN
        assert recipe.data_requirements.formats
        assert recipe.tips
        assert recipe.min_gpus <= recipe.recommended_gpus


def test_builtins_pass_their_own_sanity_rules(cli: Cli, tmp_path: Path) -> None:
    from gittrain.core.resources import data_dir

    files = sorted(str(p) for p in data_dir("recipes").glob("*.yaml"))
    result = cli("validate", "--strict", *files, cwd=data_dir("recipes").parent)
    assert result.code == 0, result.out + result.err


def test_grounded_values() -> None:
    registry = load_registry(None, Settings())
    grpo = registry.get("grpo_basic").default_config
    assert grpo["learning_rate"] == 1e-6
    assert 5 <= grpo["rollout_n"] <= 8  # type: ignore[operator]
    assert grpo["kl_coef"] == 0.001
    assert grpo["global_batch_size"] == 1024
    assert registry.get("dpo_basic").default_config["beta"] == 0.1
    assert registry.get("sft_basic").default_config["learning_rate"] == 2e-5


TEAM_OVERRIDE = """\
name: sft_basic
extends: sft_basic
version: "2.0.0"
description: Our SFT defaults.
default_config:
  learning_rate: 1.0e-5
tags: [team, sft]
"""


def test_team_recipe_overrides_builtin_and_list_says_so(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/sft_basic.yaml", TEAM_OVERRIDE)
    result = cli("recipe", "list", cwd=repo.root)
    assert result.code == 0, result
    line = next(x for x in result.out.splitlines() if x.startswith("sft_basic "))
    assert "2.0.0" in line
    assert "recipes/sft_basic.yaml (overrides built-in)" in line
    shown = json.loads(cli("recipe", "show", "sft_basic", "--format", "json").out)
    assert shown["overrides_builtin"] is True
    assert shown["default_config"]["learning_rate"] == 1e-5
    # inherited, deep-merged from the built-in
    assert shown["default_config"]["global_batch_size"] == 128
    assert shown["tags"] == ["team", "sft"]


def test_extends_chain_deep_merges(repo: Repo, cli: Cli) -> None:
    repo.write(
        "recipes/math_a.yaml",
        "name: math_a\nextends: grpo_basic\nversion: '1.1.0'\ndefault_config:\n  rollout_n: 16\n",
    )
    repo.write(
        "recipes/math_b.yaml",
        "name: math_b\nextends: math_a\ndefault_config:\n  learning_rate: 5.0e-7\n",
    )
    data = json.loads(cli("recipe", "show", "math_b", "--format", "json", cwd=repo.root).out)
    assert data["default_config"]["rollout_n"] == 16
    assert data["default_config"]["learning_rate"] == 5e-7
    assert data["default_config"]["kl_coef"] == 0.001
    assert data["version"] == "1.1.0"
    assert data["extends"] == "math_a"


def test_extends_cycle_is_reported(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/a.yaml", "name: a\nextends: b\n")
    repo.write("recipes/b.yaml", "name: b\nextends: a\n")
    result = cli("recipe", "list", cwd=repo.root)
    assert result.code == 1
    assert "recipes/a.yaml:2:1: error: extends: extends cycle: a -> b -> a" in result.out
    assert "recipes/b.yaml:2:1: error: extends: extends cycle: b -> a -> b" in result.out
    assert "grpo_basic" in result.out  # the rest still lists


def test_unknown_extends_is_reported(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/x.yaml", "name: x\nextends: nope\n")
    result = cli("validate", "recipes/x.yaml", cwd=repo.root)
    assert result.code == 1
    assert "recipes/x.yaml:2:1: error: extends: unknown recipe 'nope' [schema]" in result.out


def test_name_must_match_file(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/x.yaml", "name: y\nextends: sft_basic\n")
    result = cli("validate", "recipes/x.yaml", cwd=repo.root)
    assert (
        "recipes/x.yaml:1:1: error: name: name 'y' does not match the file name 'x'" in result.out
    )


def test_broken_team_recipe_does_not_hide_the_others(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/bad.yaml", "name: bad\nname: again\n")
    result = cli("recipe", "list", cwd=repo.root)
    assert result.code == 1
    assert "recipes/bad.yaml:2:1: error: duplicate key 'name' (first defined at line 1) [yaml]" in (
        result.out
    )
    assert "dpo_basic" in result.out


def test_list_filters(cli: Cli, tmp_path: Path) -> None:
    out = cli("recipe", "list", "--task-type", "grpo", "--format", "json", cwd=tmp_path).out
    ids = [r["id"] for r in json.loads(out)["recipes"]]
    assert ids == ["grpo_basic", "grpo_large_scale", "math_reasoning_grpo"]
    out = cli("recipe", "list", "--tag", "math", "--format", "json").out
    assert "math_reasoning_grpo" in [r["id"] for r in json.loads(out)["recipes"]]
    result = cli("recipe", "list", "--tag", "no-such-tag")
    assert result.code == 0
    assert "no recipes match" in result.err


def test_task_types_and_tags(cli: Cli, tmp_path: Path) -> None:
    types = json.loads(cli("recipe", "task-types", "--format", "json", cwd=tmp_path).out)
    assert types["task_types"] == {"dpo": 1, "grpo": 3, "rlhf": 2, "sft": 3}
    text = cli("recipe", "task-types").out
    assert "grpo\t3" in text
    tags = json.loads(cli("recipe", "tags", "--format", "json").out)["tags"]
    assert tags["math"] >= 1


def test_show_text(cli: Cli, tmp_path: Path) -> None:
    out = cli("recipe", "show", "dpo_basic", cwd=tmp_path).out
    assert "task type: dpo" in out
    assert "default config:" in out
    assert "  beta: 0.1" in out
    assert "model-size adjustments:" in out
    assert "tips:" in out


def test_show_unknown_recipe(cli: Cli, tmp_path: Path) -> None:
    result = cli("recipe", "show", "nope", cwd=tmp_path)
    assert_one_line_error(result, 1, "unknown recipe 'nope'", "grpo_basic")


def test_recipe_new_copies_for_editing(repo: Repo, cli: Cli) -> None:
    result = cli("recipe", "new", "my_grpo", "--from", "grpo_basic", cwd=repo.root)
    assert result.code == 0, result
    assert result.out == "wrote recipes/my_grpo.yaml (copied from grpo_basic)\n"
    text = (repo.root / "recipes/my_grpo.yaml").read_text()
    assert "name: my_grpo\n" in text
    # The built-in's schema comment points at gittrain's own schemas/: not copied (issue 11).
    assert "yaml-language-server" not in text
    listed = json.loads(cli("recipe", "list", "--format", "json").out)["recipes"]
    mine = next(r for r in listed if r["id"] == "my_grpo")
    assert mine["origin"] == "repo"
    assert cli("validate", "recipes/my_grpo.yaml").code == 0


def test_recipe_new_points_at_the_saved_schema(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "recipes_dir: team/recipes\n")
    saved = cli("schema", "recipe", cwd=repo.root).out
    repo.write(".gittrain/recipe.schema.json", saved)
    for args in (("a", "--from", "grpo_basic"), ("b", "--from", "dpo_basic", "--extends")):
        assert cli("recipe", "new", *args, cwd=repo.root).code == 0
        text = (repo.root / f"team/recipes/{args[0]}.yaml").read_text()
        first = text.splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../.gittrain/recipe.schema.json"
        target = (repo.root / "team/recipes" / first.split("=", 1)[1]).resolve()
        assert target.is_file()


def test_recipe_new_extends(repo: Repo, cli: Cli) -> None:
    result = cli("recipe", "new", "small", "--from", "dpo_basic", "--extends", cwd=repo.root)
    assert result.code == 0
    shown = json.loads(cli("recipe", "show", "small", "--format", "json").out)
    assert shown["extends"] == "dpo_basic"
    assert shown["default_config"]["beta"] == 0.1


def test_recipe_new_refuses_to_overwrite(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/mine.yaml", "name: mine\nextends: sft_basic\n")
    before = snapshot(repo.root)
    result = cli("recipe", "new", "mine", "--from", "grpo_basic", cwd=repo.root)
    assert_one_line_error(result, 1, "recipes/mine.yaml: already exists")
    assert snapshot(repo.root) == before


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["recipe", "new", "Bad Id", "--from", "sft_basic"], 2, "recipe id 'Bad Id'"),
        (["recipe", "new", "ok", "--from", "nope"], 1, "unknown recipe 'nope'"),
    ],
)
def test_recipe_new_bad_input(
    repo: Repo, cli: Cli, args: list[str], code: int, needle: str
) -> None:
    result = cli(*args, cwd=repo.root)
    assert_one_line_error(result, code, needle)
    assert not (repo.root / "recipes").exists()


def test_recipe_new_outside_repo(cli: Cli, tmp_path: Path) -> None:
    result = cli("recipe", "new", "x", "--from", "sft_basic", cwd=tmp_path)
    assert_one_line_error(result, 2, "not inside a git repository")


def test_team_recipe_in_subdirectory_run(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/mine.yaml", "name: mine\nextends: sft_basic\n")
    (repo.root / "jobs").mkdir()
    out = cli("recipe", "list", "--format", "json", cwd=repo.root / "jobs").out
    assert "mine" in [r["id"] for r in json.loads(out)["recipes"]]


def test_kind_enum_values() -> None:
    assert {k.value for k in Kind} == {"recipe", "job", "lockfile", "settings", "config"}


def test_a_deep_extends_chain_checks_and_merges_each_file_once(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Resolving every recipe of an N-deep chain once merged N**2 layers and ran an
    # N**2 cycle check per recipe; now each file is checked and merged exactly once.
    depth = 200
    repo.write("recipes/r000.yaml", "name: r000\nextends: grpo_basic\ndefault_config:\n  k000: 0\n")
    for i in range(1, depth):
        repo.write(
            f"recipes/r{i:03}.yaml",
            f"name: r{i:03}\nextends: r{i - 1:03}\ndefault_config:\n  k{i:03}: {i}\n",
        )
    checked: list[str] = []
    real_check = recipes.file_problems
    merged: list[str] = []
    real_merge = recipes.Resolver._merge

    def counting_check(item: recipes.RecipeFile) -> list[Problem]:
        checked.append(item.source)
        return real_check(item)

    def counting_merge(
        self: recipes.Resolver, base: Mapping[str, Any], item: recipes.RecipeFile
    ) -> dict[str, Any]:
        merged.append(item.source)
        return real_merge(self, base, item)

    monkeypatch.setattr(recipes, "file_problems", counting_check)
    monkeypatch.setattr(recipes.Resolver, "_merge", counting_merge)
    registry = load_registry(repo.root, Settings())
    assert not registry.problems
    files = depth + len(BUILTINS)
    assert len(checked) == len(set(checked)) == files
    assert len(merged) == len(set(merged)) == files
    last = registry.get(f"r{depth - 1:03}").default_config
    assert [last[f"k{i:03}"] for i in range(depth)] == list(range(depth))
    assert last["kl_coef"] == 0.001  # from grpo_basic, under all 200
    assert "k199" not in registry.get("r198").default_config
    # `validate` (the pre-commit hook) resolves only the recipes jobs name, and every
    # file through one resolver: each file merged once, not once per descendant.
    checked.clear()
    merged.clear()
    assert cli("validate", "recipes", cwd=repo.root).code == 0
    assert max(Counter(merged).values()) == 1
    assert max(Counter(checked).values()) <= 3  # the registry, the file itself, its resolution


def test_a_chain_into_a_cycle_names_every_file(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/x.yaml", "name: x\nextends: a\n")
    repo.write("recipes/a.yaml", "name: a\nextends: b\n")
    repo.write("recipes/b.yaml", "name: b\nextends: c\n")
    repo.write("recipes/c.yaml", "name: c\nextends: a\n")
    repo.write("recipes/ok.yaml", "name: ok\nextends: sft_basic\n")
    result = cli("recipe", "list", cwd=repo.root)
    assert result.code == 1
    for line in (
        "recipes/x.yaml:2:1: error: extends: extends cycle: x -> a -> b -> c -> a",
        "recipes/a.yaml:2:1: error: extends: extends cycle: a -> b -> c -> a",
        "recipes/b.yaml:2:1: error: extends: extends cycle: b -> c -> a -> b",
        "recipes/c.yaml:2:1: error: extends: extends cycle: c -> a -> b -> c",
    ):
        assert line in result.out
    assert "\nok " in result.out  # the rest still lists
    shown = cli("recipe", "show", "x", cwd=repo.root)
    assert_one_line_error(shown, 1, "recipes/x.yaml:2:1", "extends cycle: x -> a -> b -> c -> a")
