"""`git train review BASE...HEAD`: the pull-request summary."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from click.testing import CliRunner, Result
from conftest import Repo

from gittrain.cli import cli
from gittrain.commands.review import run_review

RECIPE = (
    "extends: grpo_basic\n"
    "name: grpo_basic\n"
    "default_config:\n  learning_rate: 1.0e-6\n  kl_coef: 0.001\n  seed: 1\n"
)


def job(name: str, recipe: str, extra: str = "") -> str:
    return f"name: {name}\nrecipe: {recipe}\nconfig:\n  learning_rate: 1.0e-6\n{extra}"


def invoke(repo: Repo, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo.root)
        return CliRunner().invoke(cli, ["review", *args])


@pytest.fixture
def pr(repo: Repo) -> Repo:
    repo.write("recipes/grpo_basic.yaml", RECIPE)
    repo.write(
        "recipes/sft_basic.yaml", "extends: sft_basic\nname: sft_basic\ndefault_config: {seed: 1}\n"
    )
    repo.write("jobs/one.yaml", job("one", "grpo_basic", "result: {status: completed}\n"))
    repo.write("jobs/two.yaml", job("two", "{id: grpo_basic, version: '1.0.0'}"))
    repo.write("jobs/old.yaml", job("old", "grpo_basic@abc123"))
    repo.write("jobs/sft.yaml", job("sft", "sft_basic"))
    repo.commit("base")
    repo.git("rm", "-q", "jobs/old.yaml")
    repo.commit("drop old job")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write(
        "recipes/grpo_basic.yaml", RECIPE.replace("0.001", "0.01").replace("seed: 1", "seed: 2")
    )
    repo.write("jobs/sft.yaml", job("sft", "sft_basic", "  output_dir: x\n"))
    repo.write(
        "jobs/two.yaml", job("two", "{id: grpo_basic, version: '1.0.0'}").replace("1.0e-6", "2e-6")
    )
    repo.commit("topic")
    return repo


def test_markdown_review(pr: Repo) -> None:
    result = invoke(pr, "main...topic")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("## gittrain review: merge-base of main and topic (")
    # kl_coef, seed, and two's learning rate; noise (sft's output_dir) is not counted.
    assert "**3 changes in 2 files: 3 modified**" in text
    assert "> **Warning:** 1 critical change" in text
    assert "- **`recipes/grpo_basic.yaml`** (recipe)\n" in text
    assert "  - [~] `default_config.kl_coef` 0.001 → 0.01 (×10, +900%) — _important_\n" in text
    assert "seed" not in text  # normal tier: not part of the review
    assert "jobs/sft.yaml" not in text  # only a noise change
    assert "- **`jobs/two.yaml`** (job)\n" in text
    assert "- `grpo_basic`: `old` (deleted), `one` (completed), `two`\n" in text
    assert "sft" not in text.split("### Jobs that used")[1]


def test_json_review(pr: Repo) -> None:
    result = invoke(pr, "main...topic", "--format", "json")
    data = json.loads(result.stdout)
    assert [f["new_path"] for f in data["files"]] == ["jobs/two.yaml", "recipes/grpo_basic.yaml"]
    (use,) = data["recipe_uses"]
    assert use["recipe"] == "grpo_basic"
    assert [(j["name"], j["status"], j["present"]) for j in use["jobs"]] == [
        ("old", None, False),
        ("one", "completed", True),
        ("two", None, True),
    ]


def test_text_review_and_gate(pr: Repo) -> None:
    result = invoke(pr, "main", "topic", "--format", "text", "--fail-on", "critical")
    assert result.exit_code == 1
    assert "    [~] config.learning_rate: 1e-06 → 2e-06 (×2, +100%)  (critical)" in result.stdout
    assert "  grpo_basic (recipes/grpo_basic.yaml): old (deleted), one (completed), two" in (
        result.stdout
    )


def test_review_needs_two_commits(pr: Repo) -> None:
    assert invoke(pr).exit_code == 2
    result = invoke(pr, "HEAD")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: review compares two commits, e.g. origin/main...HEAD\n",
    )
    result = invoke(pr, "main...nope")
    assert (result.exit_code, result.stderr) == (2, "error: unknown revision 'nope'\n")


def test_dataset_changes_from_the_lockfile(pr: Repo) -> None:
    pr.write("data/train.jsonl", '{"prompt": "a"}\n{"prompt": "b"}\n')
    assert invoke(pr, "main...topic").exit_code == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pr.root)
        assert CliRunner().invoke(cli, ["data", "add", "data/train.jsonl"]).exit_code == 0
    pr.commit("lock the training data")
    pr.write("data/train.jsonl", '{"prompt": "a"}\n{"prompt": "b"}\n{"prompt": "c"}\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pr.root)
        assert CliRunner().invoke(cli, ["data", "update"]).exit_code == 0
    pr.commit("more training data")
    report = run_review(pr.root, ["main...topic"])
    assert [(d.name, d.kind.value) for d in report.datasets] == [("train", "added")]
    text = invoke(pr, "main...topic", "--format", "text").stdout
    assert "Dataset changes (lockfile)\n  train added: " in text
    assert "num_samples=3" in text
    data = json.loads(invoke(pr, "main...topic", "--format", "json").stdout)
    assert data["datasets"][0]["name"] == "train"
    assert data["datasets"][0]["kind"] == "added"
    step = run_review(pr.root, ["HEAD~1...HEAD"])
    (changed,) = step.datasets
    assert changed.kind.value == "modified"
    fields = {tuple(c.path) for c in changed.fields}
    assert ("num_samples",) in fields and ("sha256",) in fields


def test_hook_sections_render(pr: Repo) -> None:
    from gittrain.cli.reviewformat import json_review, markdown_review

    report = dataclasses.replace(
        run_review(pr.root, ["main...topic"]),
        validation=("jobs/two.yaml:3:3: config.learning_rate: too high",),
        datasets=(),
    )
    text = markdown_review(report)
    assert "### Validation problems in the changed files\n\n- jobs/two.yaml:3:3: " in text
    assert "### Dataset changes (lockfile)\n\n_None._" in text
    assert json_review(report)["datasets"] == []


def test_validation_problems_in_the_changed_files(pr: Repo) -> None:
    clean = invoke(pr, "main...topic").stdout
    assert "### Validation problems in the changed files\n\n_None._\n" in clean
    pr.write(
        "jobs/bad.yaml",
        "name: bad\nrecipe: grpo_basic\nconfig:\n  algorithm: grpo\n"
        "  learning_rate: 1.0e-6\n  rollout_n: 1\n",
    )
    pr.commit("a bad job")
    pr.write("jobs/bad.yaml", "name: [unparsable in the work tree only\n")  # HEAD is read
    result = invoke(pr, "main...topic", "--format", "json")
    assert json.loads(result.stdout)["validation"] == [
        "jobs/bad.yaml:6:3: error: config.rollout_n: GRPO needs at least 2 rollouts per prompt "
        "to form a group, not 1 [rollout-n]"
    ]


def test_review_shows_the_outcomes_of_runs_of_changed_recipes(pr: Repo) -> None:
    base = pr.git("rev-parse", "main").strip()
    one = next(
        line.split()[0]
        for line in pr.git("log", "--format=%H %s", "main").splitlines()
        if line.endswith(" base")
    )
    pr.write("jobs/two.yaml", job("two", "grpo_basic", "result:\n  status: failed\n"))
    failed = pr.commit("two failed")
    data = json.loads(invoke(pr, f"{base}...topic", "--format", "json").stdout)
    (use,) = data["recipe_uses"]
    assert [(o["job"], o["commit"], o["status"]) for o in use["outcomes"]] == [
        ("one", one, "completed"),
        ("two", failed, "failed"),
    ]
    text = invoke(pr, f"{base}...topic", "--format", "text").stdout
    assert "    2 finished runs: 1 completed, 1 failed\n" in text
    assert f"    one@{one[:7]} completed\n" in text
    markdown = invoke(pr, f"{base}...topic").stdout
    assert f"  - `two@{failed[:7]}` failed\n" in markdown


EVIL_NAME = "configs/x`<img src=x>`.yaml"
EVIL_VALUE = '"</details>`<b>x</b>` [y](http://e) a|b"'


def _unescaped_syntax(markdown: str) -> list[str]:
    """Markdown syntax left outside code spans unescaped: HTML, backticks, links, line ends."""
    found = []
    # gittrain's own marks ([~], [+], ...) are no links.
    for line in re.sub(r"\[[~+>-]\] ", "", markdown).splitlines():
        rest, i = "", 0
        while i < len(line):  # drop code spans as CommonMark finds them
            if line[i] == "`":
                run = len(line[i:]) - len(line[i:].lstrip("`"))
                close = re.search(rf"(?<!`)`{{{run}}}(?!`)", line[i + run :])
                assert close, f"unclosed code span: {line}"
                i += run + close.end()
                continue
            if line[i] == "\\":
                i += 2
                continue
            rest += line[i]
            i += 1
        found += [f"{ch} in {line}" for ch in "<`[" if ch in rest]
    return found


def test_markdown_escapes_file_names_and_values(repo: Repo) -> None:
    # A pull request names the files and writes the values: none of it may become
    # HTML, a link, or a code span that swallows the rest of a PR comment.
    repo.write(EVIL_NAME, "learning_rate: 1.0e-6\nmodel_name_or_path: a\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write(EVIL_NAME, f"learning_rate: 2.0e-6\nmodel_name_or_path: {EVIL_VALUE}\n")
    repo.write("configs/n``ew|`.yaml", 'model_name_or_path: "</details>`x` ``y"\n')
    repo.commit("topic")
    review = invoke(repo, "main...topic", "--format", "markdown")
    assert review.exit_code == 0, review.output
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo.root)
        diff = CliRunner().invoke(cli, ["diff", "main", "topic", "--format", "markdown"])
    assert diff.exit_code == 0, diff.output
    for text in (review.stdout, diff.stdout):
        assert _unescaped_syntax(text) == []
        assert "<img" not in text.replace("``configs/x`<img src=x>`.yaml``", "")
    changed = '"a" → "\\</details>\\`\\<b>x\\</b>\\` \\[y](http://e) a\\|b"'
    assert review.stdout.splitlines()[8:12] == [
        "- **```configs/n``ew|`.yaml```** (config, added; generic, 1 key): "
        "model \\</details>\\`x\\` \\`\\`y",
        "- **``configs/x`<img src=x>`.yaml``** (config, generic)",
        "  - [~] `learning_rate` 1e-06 → 2e-06 (×2, +100%) — _critical_",
        f"  - [~] `model_name_or_path` {changed} — _critical_",
    ]
    assert diff.stdout.splitlines()[-2:] == [
        "| [~] | ``configs/x`<img src=x>`.yaml`` | `learning_rate` | 1e-06 → 2e-06 (×2, +100%) |",
        f"| [~] | ``configs/x`<img src=x>`.yaml`` | `model_name_or_path` | {changed} |",
    ]
    assert "- [+] ```configs/n``ew\\|`.yaml``` (config, added; generic, 1 key)" not in diff.stdout
    assert "- [+] ```configs/n``ew|`.yaml``` (config, added; generic, 1 key): model " in diff.stdout
