"""`git train diff` output formats, exit codes, `--jobs`/`--recipes`, and `review`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Repo
from test_diff_git import JOB

from gittrain.cli import cli


def invoke(repo: Repo, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo.root)
        return CliRunner().invoke(cli, list(args))


@pytest.fixture
def edited(repo: Repo) -> Repo:
    repo.write("jobs/a.yaml", JOB)
    repo.commit("base")
    repo.write(
        "jobs/a.yaml",
        JOB.replace("1.0e-6", "5e-7")
        .replace("rollout_n: 8", "rollout_n: 16")
        .replace("/tmp/out", "/tmp/other")
        + "  lora_rank: 64\n  gradient_checkpointing: true\n",
    )
    return repo


TEXT = """\
git train diff: index → working tree
4 changes in 1 file: 2 modified, 2 added
WARNING: 2 critical changes
(1 noise change hidden; --all shows them)

Files
  [~] jobs/a.yaml (job)

Critical
  jobs/a.yaml
    [~] config.learning_rate: 1e-06 → 5e-07 (×0.5, -50%)
    [~] responses per step (prompts x group size): 8192 → 16384 (×2, +100%)  (derived)

Important
  jobs/a.yaml
    [~] config.rollout_n: 8 → 16 (×2, +100%)
    [+] config.lora_rank = 64

Normal
  jobs/a.yaml
    [+] config.gradient_checkpointing = true
"""


def test_text_report(edited: Repo) -> None:
    result = invoke(edited, "diff")
    assert result.exit_code == 0
    assert result.stdout == TEXT
    assert result.stderr == ""


def test_all_shows_noise(edited: Repo) -> None:
    result = invoke(edited, "diff", "--all")
    assert 'Noise\n  jobs/a.yaml\n    [~] config.output_dir: "/tmp/out" → "/tmp/other"' in (
        result.stdout
    )
    assert "hidden" not in result.stdout


def test_colour_only_when_asked_for() -> None:
    from gittrain.cli.diffformat import styler

    assert styler(True)("x", fg="red") == "\x1b[31mx\x1b[0m"
    assert styler(False)("x", fg="red") == "x"


def test_no_color_and_non_tty_print_plain_text(
    edited: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.cli.diff import use_colour

    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in invoke(edited, "diff").stdout  # CliRunner's stdout is no TTY
    assert use_colour() is False


def test_markdown_report(edited: Repo) -> None:
    result = invoke(edited, "diff", "--format", "markdown")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "### gittrain diff: `index` → `working tree`"
    assert "**4 changes in 1 file: 2 modified, 2 added**" in lines
    assert "> **Warning:** 2 critical changes" in lines
    assert "| [~] | `jobs/a.yaml` | `config.learning_rate` | 1e-06 → 5e-07 (×0.5, -50%) |" in lines
    assert lines.index("#### Critical") < lines.index("#### Important") < lines.index("#### Normal")


def test_json_shape(edited: Repo) -> None:
    data = json.loads(invoke(edited, "diff", "--format", "json").stdout)
    assert set(data) == {"version", "old", "new", "summary", "files", "skipped"}
    assert data["version"] == 1
    assert data["summary"] == {
        "changes": 4,
        "files": 1,
        "modified": 2,
        "added": 2,
        "removed": 0,
        "files_added": 0,
        "files_deleted": 0,
        "renamed": 0,
        "datasets": 0,
        "unreadable": 0,
        "critical": 2,
    }
    assert data["skipped"] == []
    (file,) = data["files"]
    assert set(file) == {
        "status",
        "kind",
        "old_path",
        "new_path",
        "error",
        "dialect",
        "contents",
        "changes",
        "derived",
        "datasets",
    }
    assert (file["dialect"], file["contents"]) == ("gittrain", None)
    lr = file["changes"][0]
    assert lr == {
        "kind": "modified",
        "path": ["config", "learning_rate"],
        "display_path": "config.learning_rate",
        "old": 1e-6,
        "new": 5e-7,
        "ratio": 0.5,
        "percent": -50.0,
        "tier": "critical",
        "idea": "learning rate",
    }
    added = next(c for c in file["changes"] if c["kind"] == "added")
    assert "old" not in added  # MISSING is absent, never null
    assert [c["tier"] for c in file["changes"]].count("noise") == 1  # json lists noise too
    assert file["derived"] == [
        {
            "name": "responses per step (prompts x group size)",
            "tier": "critical",
            "old": 8192.0,
            "new": 16384.0,
            "ratio": 2.0,
        }
    ]


def test_null_and_true_are_reported(repo: Repo) -> None:
    repo.write("configs/c.yaml", "a: 1\nflag: true\n")
    repo.commit("c")
    repo.write("configs/c.yaml", "a: 1\nflag: 1\nb: null\n")
    result = invoke(repo, "diff")
    assert "[~] flag: true → 1" in result.stdout
    assert "[+] b = null" in result.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 0),
        (("--exit-code",), 1),
        (("--fail-on", "critical"), 1),
        (("--fail-on", "noise"), 1),
    ],
)
def test_exit_codes_with_changes(edited: Repo, args: tuple[str, ...], code: int) -> None:
    assert invoke(edited, "diff", *args).exit_code == code


def test_fail_on_respects_the_tier(repo: Repo) -> None:
    repo.write("jobs/a.yaml", JOB)
    repo.commit("base")
    repo.write("jobs/a.yaml", JOB.replace("/tmp/out", "/tmp/x"))
    assert invoke(repo, "diff", "--exit-code").exit_code == 0  # only noise: hidden, no diff
    assert invoke(repo, "diff", "--exit-code", "--all").exit_code == 1
    assert invoke(repo, "diff", "--fail-on", "normal").exit_code == 0
    assert invoke(repo, "diff", "--fail-on", "noise").exit_code == 1
    repo.write("jobs/a.yaml", JOB.replace("rollout_n: 8", "rollout_n: 4"))
    assert invoke(repo, "diff", "--fail-on", "critical").exit_code == 1  # via the derived batch
    repo.write("jobs/a.yaml", JOB.replace("num_gpus: 8", "num_gpus: 8\nseed: 1"))
    assert invoke(repo, "diff", "--fail-on", "important").exit_code == 0
    assert invoke(repo, "diff", "--fail-on", "normal").exit_code == 1


def test_settings_silence_a_key(repo: Repo) -> None:
    repo.write(
        ".gittrain.yaml", "diff:\n  rules:\n    - {match: config.learning_rate, tier: off}\n"
    )
    repo.write("jobs/a.yaml", JOB)
    repo.commit("base")
    repo.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    result = invoke(repo, "diff", "--all", "--exit-code")
    assert result.exit_code == 0
    assert "learning_rate" not in result.stdout


def test_bad_settings_file_is_one_line(repo: Repo) -> None:
    repo.write(".gittrain.yaml", "diff:\n  rules: 3\n")
    result = invoke(repo, "diff")
    assert result.exit_code == 1
    assert result.stderr == "error: .gittrain.yaml:2:3: diff.rules: expected a list of rules\n"


# ------------------------------------------------------------------ --jobs / --recipes


def test_compare_jobs_at_revisions(repo: Repo) -> None:
    repo.write("jobs/a.yaml", JOB)
    repo.write("jobs/b.yaml", JOB.replace("name: a", "name: b").replace("1.0e-6", "2e-6"))
    repo.commit("two jobs")
    repo.write("jobs/a.yaml", JOB.replace("num_gpus: 8", "num_gpus: 4"))
    result = invoke(repo, "diff", "--jobs", "a@HEAD", "a")
    assert "[~] num_gpus: 8 → 4 (×0.5, -50%)" in result.stdout
    data = json.loads(invoke(repo, "diff", "--format", "json", "--jobs", "a@HEAD", "b").stdout)
    paths = [c["display_path"] for c in data["files"][0]["changes"]]
    assert paths == ["name", "config.learning_rate"]
    assert data["old"]["label"] == "a@HEAD" and data["old"]["commit"]


def lock(repo: Repo, rows: int) -> None:
    repo.write("data/t.jsonl", "".join(f'{{"q": {i}}}\n' for i in range(rows)))
    verb = "update" if (repo.root / "gittrain.lock").exists() else "add"
    assert (
        invoke(
            repo, "data", verb, *(["data/t.jsonl", "--name", "train"] * (verb == "add"))
        ).exit_code
        == 0
    )


def test_compare_jobs_shows_different_locked_versions_of_one_dataset(repo: Repo) -> None:
    """Issue 11.11: both jobs say `train: train`, but each trained on its own commit's data."""
    job = JOB.replace("num_gpus: 8", "num_gpus: 8\ndatasets:\n  train: train")
    repo.write("jobs/a.yaml", job)
    lock(repo, 10)
    repo.commit("a on v1")
    repo.write("jobs/b.yaml", job.replace("name: a", "name: b"))
    lock(repo, 12)
    repo.commit("b on v2")
    result = invoke(repo, "diff", "--jobs", "a@HEAD~1", "b", "--fail-on", "critical")
    assert result.exit_code == 1, result.output
    # name a → b is noise; the dataset is the one change shown, and it is critical.
    assert "1 change in 1 file: 1 dataset changed\nWARNING: 1 critical change\n" in result.stdout
    assert "  [~] train changed: sha256 " in result.stdout
    assert "num_samples 10 → 12 (×1.2, +20%)" in result.stdout
    data = json.loads(invoke(repo, "diff", "--format", "json", "--jobs", "a@HEAD~1", "b").stdout)
    assert [(d["name"], d["kind"]) for d in data["files"][0]["datasets"]] == [("train", "modified")]
    # The same version on both sides (or a job that names no dataset) adds nothing.
    same = json.loads(invoke(repo, "diff", "--format", "json", "--jobs", "a", "b").stdout)
    assert same["files"][0]["datasets"] == []
    renamed = job.replace("train: train", "train: data/t.jsonl")
    repo.write("jobs/b.yaml", renamed.replace("name: a", "name: b"))
    data = json.loads(invoke(repo, "diff", "--format", "json", "--jobs", "a@HEAD~1", "b").stdout)
    assert [d["name"] for d in data["files"][0]["datasets"]] == ["train (train → data/t.jsonl)"]


def test_a_lockfile_only_diff_counts_its_datasets(repo: Repo) -> None:
    """Issue 11.11: never "0 modified, 0 added, 0 removed" under "1 critical change"."""
    lock(repo, 10)
    repo.commit("v1")
    lock(repo, 12)
    text = invoke(repo, "diff").stdout
    assert "1 change in 1 file: 1 dataset changed\nWARNING: 1 critical change\n" in text
    markdown = invoke(repo, "diff", "--format", "markdown").stdout
    assert "**1 change in 1 file: 1 dataset changed**" in markdown
    repo.commit("v2")
    review = invoke(repo, "review", "HEAD~1...HEAD", "--format", "text").stdout
    assert "1 change in 1 file: 1 dataset changed" in review


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--jobs", "a"), 2, "error: --jobs takes exactly two names: A B\n"),
        (("--jobs", "a", "zzz"), 1, "error: zzz: there is no jobs/zzz.yaml\n"),
        (("--jobs", "a@nope", "a"), 2, "error: unknown revision 'nope'\n"),
        (("--jobs", "a@HEAD", "b@HEAD"), 1, "error: b@HEAD: there is no jobs/b.yaml at HEAD\n"),
        (("--jobs", "../x", "a"), 2, "error: '../x': expected a name, optionally with @revision\n"),
        (("--jobs", "--recipes", "a", "b"), 2, "error: --jobs and --recipes cannot be combined\n"),
    ],
)
def test_compare_bad_names(repo: Repo, args: tuple[str, ...], code: int, message: str) -> None:
    repo.write("jobs/a.yaml", JOB)
    repo.commit("a")
    result = invoke(repo, "diff", *args)
    assert (result.exit_code, result.stderr) == (code, message)


def test_compare_recipes_falls_back_to_built_ins(repo: Repo, tmp_path: Path) -> None:
    from gittrain.commands.compare import compare_named
    from gittrain.core.filediff import FileKind

    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "sft_basic.yaml").write_text("id: sft_basic\nlearning_rate: 2.0e-5\n")
    repo.write("recipes/mine.yaml", "id: mine\nlearning_rate: 0.00002\nwarmup_ratio: 0.1\n")
    repo.commit("recipe")
    report = compare_named(
        repo.root, FileKind.RECIPE, "sft_basic", "mine@HEAD", builtin_recipes=builtin
    )
    (file,) = report.files
    assert [(r.change.path, r.tier.value) for r in file.changes] == [
        (("id",), "normal"),
        (("warmup_ratio",), "important"),
    ]
    assert file.old_path == "(built-in) sft_basic.yaml"


def test_compare_built_in_recipes(repo: Repo) -> None:
    result = invoke(
        repo, "diff", "--recipes", "grpo_basic", "math_reasoning_grpo", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    (file,) = json.loads(result.stdout)["files"]
    assert file["old_path"] == "(built-in) grpo_basic.yaml"
    assert file["error"] is None
    assert any(c["display_path"] == "name" for c in file["changes"])
