"""Recipe versions: `recipe log`, `ID@REV` for show/apply/job new, job pins in validate and review."""

from __future__ import annotations

import json

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot
from hookhelp import git_commit, run

from gittrain import __version__


def team_recipe(name: str, *, version: str, lr: str, min_gpus: int = 1, extra: str = "") -> str:
    return (
        f'name: {name}\nextends: grpo_basic\nversion: "{version}"\nmin_gpus: {min_gpus}\n'
        f"default_config:\n  learning_rate: {lr}\n{extra}"
    )


def job(name: str, recipe: str, *, gpus: int = 8, config: str = "  algorithm: grpo\n") -> str:
    return (
        f"name: {name}\nrecipe: {recipe}\nnum_gpus: {gpus}\nconfig:\n{config}"
        "  learning_rate: 1.0e-6\n  rollout_n: 8\n"
    )


@pytest.fixture
def history(repo: Repo) -> dict[str, str]:
    """``mine`` added and tuned, then renamed to ``ours`` and tuned again: four commits."""
    shas = {}
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.0.0", lr="2.0e-6", min_gpus=4))
    shas["added"] = repo.commit("add mine", date="2026-01-01T00:00:00Z")
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.1.0", lr="3.0e-6"))
    shas["tuned"] = repo.commit("tune mine", date="2026-01-02T00:00:00Z")
    repo.git("mv", "recipes/mine.yaml", "recipes/ours.yaml")
    repo.write("recipes/ours.yaml", team_recipe("ours", version="1.1.0", lr="3.0e-6"))
    shas["renamed"] = repo.commit("rename to ours", date="2026-01-03T00:00:00Z")
    repo.write(
        "recipes/ours.yaml",
        team_recipe(
            "ours",
            version="2.0.0",
            lr="4.0e-6",
            min_gpus=2,
            extra="  kl_coef: 0.01\ndata_requirements:\n  formats: [jsonl]\n"
            "  required_fields: [prompt, answer]\nadjustments: []\n",
        ),
    )
    shas["v2"] = repo.commit("ours 2.0", date="2026-01-04T00:00:00Z")
    return shas


# -- recipe log ------------------------------------------------------------------------------


def test_log_lists_every_version_with_the_ideas_that_changed(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    result = cli("recipe", "log", "ours", cwd=repo.root)
    assert result.code == 0, result
    short = {k: v[:7] for k, v in history.items()}
    assert result.out.splitlines() == [
        f"{short['v2']}  2026-01-04  Test Author  2.0.0  changed recipes/ours.yaml",
        "    kl_coef: 0.001 -> 0.01",
        "    learning_rate: 3e-06 -> 4e-06",
        "    min_gpus: 1 -> 2",
        "    adjustments: 3 -> 0 entries",
        "    data_requirements.formats: [parquet, jsonl] -> [jsonl]",
        "    data_requirements.required_fields: [prompt] -> [prompt, answer]",
        f"{short['renamed']}  2026-01-03  Test Author  1.1.0  changed recipes/ours.yaml",
        f"{short['tuned']}  2026-01-02  Test Author  1.1.0  changed recipes/mine.yaml",
        "    learning_rate: 2e-06 -> 3e-06",
        "    min_gpus: 4 -> 1",
        f"{short['added']}  2026-01-01  Test Author  1.0.0  added recipes/mine.yaml",
    ]
    assert result.err == ""


def test_log_json_carries_full_commits_and_canonical_values(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    result = cli("recipe", "log", "ours", "--format", "json", cwd=repo.root)
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["recipe"] == "ours"
    assert data["builtin_release"] is None
    assert [v["commit"] for v in data["versions"]] == [
        history["v2"],
        history["renamed"],
        history["tuned"],
        history["added"],
    ]
    assert [v["version"] for v in data["versions"]] == ["2.0.0", "1.1.0", "1.1.0", "1.0.0"]
    assert data["versions"][0]["ideas"][1] == {
        "idea": "learning_rate",
        "old": 3e-6,
        "new": 4e-6,
        "old_missing": False,
        "new_missing": False,
    }
    assert data["versions"][0]["date"] == "2026-01-04T00:00:00Z"
    assert data["versions"][-1]["event"] == "added"


def test_log_compares_ideas_not_spellings(repo: Repo, cli: Cli) -> None:
    """`2.0e-6` and `0.000002` are one value: only the idea whose value changed is listed."""
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.0.0", lr="2.0e-6"))
    repo.commit("add")
    repo.write(
        "recipes/mine.yaml",
        team_recipe("mine", version="1.0.1", lr="2.0e-6").replace(
            "  learning_rate: 2.0e-6\n", "  learning_rate: 0.000002\n  seed: 7\n"
        ),
    )
    repo.commit("respell")
    result = cli("recipe", "log", "mine", cwd=repo.root)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert [line for line in lines if line.startswith("    ")] == ["    seed: 42 -> 7"]


def test_log_follows_first_parent_and_shows_deletion(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.0.0", lr="2.0e-6"))
    repo.commit("add")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.0.1", lr="2.5e-6"))
    repo.commit("side: try 2.5e-6")
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.1.0", lr="3.0e-6"))
    repo.commit("side: settle on 3e-6")
    repo.git("checkout", "-q", "main")
    repo.write("README", "x\n")
    repo.commit("unrelated")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    merge = repo.git("rev-parse", "HEAD").strip()
    result = cli("recipe", "log", "mine", "--format", "json", cwd=repo.root)
    versions = json.loads(result.out)["versions"]
    # The side branch's two commits count as the one change the merge made to the mainline.
    assert versions[0]["commit"] == merge
    assert [v["version"] for v in versions] == ["1.1.0", "1.0.0"]
    repo.git("rm", "-q", "recipes/mine.yaml")
    removed = repo.commit("drop mine")
    result = cli("recipe", "log", "mine", "--format", "json", cwd=repo.root)
    newest = json.loads(result.out)["versions"][0]
    assert (newest["commit"], newest["event"], newest["path"]) == (removed, "removed", None)
    text = cli("recipe", "log", "mine", cwd=repo.root).out.splitlines()[0]
    assert text.startswith(removed[:7]) and text.endswith("  Test Author  -  removed")


def test_log_shows_a_version_that_does_not_resolve(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.0.0", lr="2.0e-6"))
    repo.commit("add")
    repo.write("recipes/mine.yaml", "name: mine\nextends: nothing_here\n")
    broken = repo.commit("break")
    repo.write("recipes/mine.yaml", team_recipe("mine", version="1.0.2", lr="5.0e-6"))
    repo.commit("fix")
    result = cli("recipe", "log", "mine", cwd=repo.root)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert "    learning_rate: 2e-06 -> 5e-06" in lines
    assert lines[lines.index(next(x for x in lines if x.startswith(broken[:7]))) + 1] == (
        f"    cannot read: {broken[:7]}:recipes/mine.yaml:2:1: extends: unknown recipe "
        "'nothing_here'"
    )


def test_log_of_a_builtin_never_overridden_says_where_it_comes_from(repo: Repo, cli: Cli) -> None:
    repo.write("README", "x\n")
    repo.commit("init")
    result = cli("recipe", "log", "grpo_basic", cwd=repo.root)
    assert result.code == 0, result
    assert result.out == (
        "grpo_basic is a built-in recipe that this repository never overrode: it ships with "
        f"gittrain {__version__} and has no history here\n"
    )
    data = json.loads(cli("recipe", "log", "grpo_basic", "--format", "json", cwd=repo.root).out)
    assert data == {"recipe": "grpo_basic", "builtin_release": __version__, "versions": []}


def test_log_of_an_unknown_recipe_is_one_line(repo: Repo, cli: Cli) -> None:
    result = cli("recipe", "log", "nope", cwd=repo.root)  # no commits at all
    assert_one_line_error(result, 1, "no recipe 'nope'", "recipes/nope.yaml")


# -- ID@REV ------------------------------------------------------------------------------------


def test_show_at_a_revision_reads_that_commits_recipe(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    result = cli("recipe", "show", f"mine@{history['added']}", "--format", "json", cwd=repo.root)
    assert result.code == 0, result
    data = json.loads(result.out)
    assert (data["version"], data["min_gpus"]) == ("1.0.0", 4)
    assert data["default_config"]["learning_rate"] == 2e-6
    assert data["default_config"]["rollout_n"] == 8  # from the built-in it extends
    assert data["rev"] == history["added"]
    assert data["source"] == f"{history['added'][:7]}:recipes/mine.yaml"
    text = cli("recipe", "show", "ours@HEAD~1", cwd=repo.root)
    assert text.out.splitlines()[0] == f"ours 1.1.0  ({history['renamed'][:7]}:recipes/ours.yaml)"
    builtin = cli("recipe", "show", "grpo_basic@HEAD", cwd=repo.root)
    assert builtin.out.splitlines()[0] == f"grpo_basic 1.0.0  (built-in, as at {history['v2'][:7]})"


def test_extends_is_resolved_against_the_same_commit(repo: Repo, cli: Cli) -> None:
    repo.write("recipes/base.yaml", team_recipe("base", version="1.0.0", lr="2.0e-6"))
    repo.write("recipes/child.yaml", 'name: child\nextends: base\nversion: "1.0.0"\n')
    first = repo.commit("base and child")
    repo.write("recipes/base.yaml", team_recipe("base", version="1.1.0", lr="7.0e-6"))
    repo.commit("retune base")
    old = json.loads(cli("recipe", "show", f"child@{first}", "--format", "json", cwd=repo.root).out)
    now = json.loads(cli("recipe", "show", "child", "--format", "json", cwd=repo.root).out)
    assert old["default_config"]["learning_rate"] == 2e-6
    assert now["default_config"]["learning_rate"] == 7e-6


def test_apply_and_job_new_at_a_revision_pin_the_job(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    added = history["added"]
    result = cli(
        "recipe", "apply", f"mine@{added[:10]}", "--model-size", "7B", "--gpus", "8",
        "-o", "jobs/a.yaml", cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    text = (repo.root / "jobs/a.yaml").read_text()
    assert f"# from recipe mine 1.0.0 ({added[:7]}:recipes/mine.yaml)." in text
    assert f"recipe:\n  id: mine\n  version: 1.0.0\n  rev: {added}\n" in text
    assert "  learning_rate: 2.0e-06\n" in text
    result = cli(
        "job", "new", "b", "--recipe", "ours@HEAD", "--model-size", "7B", "--gpus", "8",
        cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    assert result.out == "wrote jobs/b.yaml (recipe ours 2.0.0)\n"
    assert f"  rev: {history['v2']}\n" in (repo.root / "jobs/b.yaml").read_text()
    assert cli("validate", "jobs", cwd=repo.root).code == 0


def test_recipe_validate_checks_against_the_recipe_at_a_revision(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    repo.write("jobs/a.yaml", job("a", "ours", gpus=3))
    old = cli(
        "recipe", "validate", "jobs/a.yaml", "--recipe", f"mine@{history['added']}", cwd=repo.root
    )
    assert old.code == 1, old
    assert "3 GPUs is fewer than recipe mine's minimum of 4 [min-gpus]" in old.out
    now = cli("recipe", "validate", "jobs/a.yaml", "--recipe", "ours@HEAD", cwd=repo.root)
    assert now.code == 0, now


@pytest.mark.parametrize(
    ("argv", "code", "needles"),
    [
        (["recipe", "show", "mine@nope"], 2, ["unknown revision 'nope'"]),
        (["recipe", "show", "ours@HEAD~3"], 1, ["no recipe 'ours' at HEAD~3"]),
        (["recipe", "show", "mine@"], 2, ["'mine@': expected ID or ID@REV"]),
        (
            [
                "recipe",
                "apply",
                "mine@nope",
                "--model-size",
                "7B",
                "--gpus",
                "8",
                "-o",
                "jobs/x.yaml",
            ],
            2,
            ["unknown revision 'nope'"],
        ),
        (
            ["job", "new", "x", "--recipe", "mine@HEAD", "--model-size", "7B", "--gpus", "8"],
            1,
            ["no recipe 'mine' at HEAD"],
        ),
    ],
)
def test_bad_revisions_are_one_line_and_write_nothing(
    repo: Repo, cli: Cli, history: dict[str, str], argv: list[str], code: int, needles: list[str]
) -> None:
    before = snapshot(repo.root)
    assert_one_line_error(cli(*argv, cwd=repo.root), code, *needles)
    assert snapshot(repo.root) == before


# -- pins in validate --------------------------------------------------------------------------


def test_validate_uses_the_pinned_revisions_rules(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    """`mine` needed 4 GPUs at its first commit; `ours` (its renamed successor) needs 2."""
    added = history["added"]
    repo.write("jobs/old.yaml", job("old", f"mine@{added}", gpus=3))
    repo.write("jobs/new.yaml", job("new", "ours", gpus=3))
    repo.write("jobs/dict.yaml", job("dict", f"{{id: mine, rev: {added[:8]}}}", gpus=3))
    result = cli("validate", "jobs", cwd=repo.root)
    assert result.code == 1, result
    assert result.out.splitlines()[:2] == [
        "jobs/dict.yaml:3:1: error: num_gpus: 3 GPUs is fewer than recipe mine's minimum of 4 "
        "[min-gpus]",
        "jobs/old.yaml:3:1: error: num_gpus: 3 GPUs is fewer than recipe mine's minimum of 4 "
        "[min-gpus]",
    ]
    assert "jobs/new.yaml" not in result.out


def test_validate_takes_the_algorithm_from_the_pinned_revision(repo: Repo, cli: Cli) -> None:
    repo.write(
        "recipes/mine.yaml",
        'name: mine\nextends: sft_basic\nversion: "1.0.0"\n',
    )
    sft = repo.commit("mine is sft")
    repo.write(
        "recipes/mine.yaml",
        'name: mine\nextends: grpo_basic\nversion: "2.0.0"\n',
    )
    repo.commit("mine is grpo")
    no_algorithm = "  max_steps: 10\n"
    repo.write(
        "jobs/a.yaml", job("a", f"mine@{sft}", config=no_algorithm).replace("1.0e-6", "2.0e-5")
    )
    repo.write("jobs/b.yaml", job("b", "mine", config=no_algorithm).replace("1.0e-6", "2.0e-5"))
    result = cli("validate", "jobs", "--format", "json", cwd=repo.root)
    files = {f["path"]: [p["rule"] for p in f["problems"]] for f in json.loads(result.out)["files"]}
    assert "lr-range" not in files["jobs/a.yaml"]  # 2e-5 is an SFT learning rate
    assert "lr-range" in files["jobs/b.yaml"]  # and far too high for GRPO


def test_unknown_pins_are_errors_at_the_pins_line(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    repo.write("jobs/a.yaml", job("a", "mine@nope"))
    repo.write("jobs/b.yaml", job("b", "{id: ours, rev: HEAD~3}"))
    repo.write("jobs/c.yaml", job("c", "nothing@HEAD"))
    before = snapshot(repo.root)
    result = cli("validate", "jobs", cwd=repo.root)
    assert result.code == 1, result
    assert result.out.splitlines()[:3] == [
        "jobs/a.yaml:2:1: error: recipe: unknown revision 'nope' (pinned as mine@nope) [recipe]",
        "jobs/b.yaml:2:20: error: recipe.rev: no recipe 'ours' at HEAD~3 [recipe]",
        "jobs/c.yaml:2:1: error: recipe: no recipe 'nothing' at HEAD [recipe]",
    ]
    assert snapshot(repo.root) == before


def test_the_pre_commit_check_honours_pins(repo: Repo, cli: Cli, history: dict[str, str]) -> None:
    repo.write("jobs/a.yaml", job("a", "mine@nope"))
    repo.git("add", "jobs/a.yaml")
    result = cli("validate", "--staged", cwd=repo.root)
    assert result.code == 1, result
    assert "jobs/a.yaml:2:1: error: recipe: unknown revision 'nope'" in result.out
    repo.write("jobs/a.yaml", job("a", f"mine@{history['added']}", gpus=2))
    repo.git("add", "jobs/a.yaml")
    result = cli("hook", "pre-commit", cwd=repo.root)
    assert result.code == 1, result
    assert "recipe mine's minimum of 4 [min-gpus]" in result.out + result.err


def test_a_real_commit_with_a_bad_pin_is_blocked(repo: Repo, history: dict[str, str]) -> None:
    assert run(["git-train", "install", "--hooks"], repo.root).returncode == 0
    repo.write("jobs/a.yaml", job("a", f"mine@{history['added']}", gpus=2))
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-m", "job on too few GPUs for the pinned recipe")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == (
        "jobs/a.yaml:3:1: error: num_gpus: 2 GPUs is fewer than recipe mine's minimum of 4 "
        "[min-gpus]"
    )
    assert repo.git("rev-parse", "HEAD").strip() == history["v2"]
    repo.write("jobs/a.yaml", job("a", f"mine@{history['tuned']}", gpus=2))
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-q", "-m", "pinned to the version that runs on 1 GPU")
    assert proc.returncode == 0, proc.stderr


# -- review ------------------------------------------------------------------------------------


def test_review_lists_jobs_pinned_to_an_older_version(
    repo: Repo, cli: Cli, history: dict[str, str]
) -> None:
    renamed = history["renamed"]
    repo.write("jobs/old.yaml", job("old", f"ours@{renamed}"))
    repo.write("jobs/same.yaml", job("same", "ours@HEAD"))
    repo.write("jobs/ver.yaml", job("ver", '{id: ours, version: "1.1.0"}'))
    repo.write("jobs/free.yaml", job("free", "ours"))
    base = repo.commit("jobs")
    repo.write("recipes/ours.yaml", team_recipe("ours", version="2.1.0", lr="5.0e-6"))
    repo.commit("ours 2.1")
    result = cli("review", f"{base}...HEAD", "--format", "text", cwd=repo.root)
    assert result.code == 0, result
    pinned = [line.strip() for line in result.out.splitlines() if "pinned to an older" in line]
    assert pinned == [f"pinned to an older version: old (ours@{renamed}), ver (version 1.1.0)"]
    data = json.loads(cli("review", f"{base}...HEAD", "--format", "json", cwd=repo.root).out)
    jobs = {j["name"]: j["pinned_older"] for j in data["recipe_uses"][0]["jobs"]}
    assert jobs == {
        "free": None,
        "old": f"ours@{renamed}",
        "same": None,  # HEAD is where the review looks: the newest version
        "ver": "version 1.1.0",
    }
    markdown = cli("review", f"{base}...HEAD", cwd=repo.root).out
    assert f"  - pinned to an older version: `old` (ours@{renamed})" in markdown
