"""`git train diff` against real repositories: every `git diff` form and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Repo, snapshot

from gittrain.cli import cli

JOB = """\
name: a
model: Qwen/Qwen2.5-7B-Instruct
num_gpus: 8
config:
  algorithm: grpo
  learning_rate: 1.0e-6
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  rollout_n: 8
  output_dir: /tmp/out
"""


def run(repo: Repo, *args: str, cwd: Path | None = None) -> Result:
    """`git train diff ARGS`; a diff never writes, whatever happens, so that is checked too."""
    before = snapshot(repo.root)
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd or repo.root)
        result = runner.invoke(cli, ["diff", *args])
    assert snapshot(repo.root) == before
    assert "Traceback" not in result.output
    return result


def as_json(repo: Repo, *args: str) -> dict[str, object]:
    result = run(repo, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def changed(data: dict[str, object]) -> list[tuple[str, str, str]]:
    files = data["files"]
    assert isinstance(files, list)
    return [
        (f["new_path"] or f["old_path"], c["display_path"], c["kind"])
        for f in files
        for c in f["changes"]
    ]


@pytest.fixture
def base(repo: Repo) -> Repo:
    repo.write("jobs/a.yaml", JOB)
    repo.write("README.md", "hello\n")
    repo.commit("base")
    return repo


def test_forms_follow_git_diff(base: Repo) -> None:
    lr = ("jobs/a.yaml", "config.learning_rate", "modified")
    base.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    assert changed(as_json(base)) == [lr]  # work tree vs index
    assert changed(as_json(base, "--cached")) == []
    assert changed(as_json(base, "HEAD")) == [lr]
    base.git("add", "jobs/a.yaml")
    assert changed(as_json(base)) == []
    assert changed(as_json(base, "--staged")) == [lr]
    assert changed(as_json(base, "--cached", "HEAD")) == [lr]
    first = base.git("rev-parse", "HEAD").strip()
    second = base.commit("lr")
    for args in ([first, second], [f"{first}..{second}"], ["HEAD~1..HEAD"], ["HEAD~1.."]):
        data = as_json(base, *args)
        assert changed(data) == [lr], args
        assert data["old"] == {"kind": "commit", "label": args[0].split("..")[0], "commit": first}
    reverse = as_json(base, second, first)
    assert reverse["files"][0]["changes"][0]["old"] == 5e-7  # type: ignore[index]


def test_three_dots_compare_with_the_merge_base(base: Repo) -> None:
    base.git("checkout", "-q", "-b", "topic")
    base.write("jobs/a.yaml", JOB.replace("rollout_n: 8", "rollout_n: 16"))
    base.commit("topic")
    base.git("checkout", "-q", "main")
    base.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    base.commit("main moves on")
    assert changed(as_json(base, "main...topic")) == [
        ("jobs/a.yaml", "config.rollout_n", "modified")
    ]
    # Two dots compare the tips, so main's own change shows up reversed.
    assert len(changed(as_json(base, "main..topic"))) == 2


def test_pathspec_restricts_and_widens(base: Repo) -> None:
    base.write("jobs/b.yaml", "name: b\nlr: 1\n")
    base.write("other/x.json", '{"lr": 1}')
    base.write("other/y.txt", "lr: 1\n")
    base.commit("more")
    base.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    base.write("jobs/b.yaml", "name: b\nlr: 2\n")
    base.write("other/x.json", '{"lr": 2}')
    base.write("other/y.txt", "lr: 2\n")
    everything = {path for path, _, _ in changed(as_json(base))}
    assert everything == {"jobs/a.yaml", "jobs/b.yaml"}  # other/ is not watched by default
    assert {p for p, _, _ in changed(as_json(base, "--", "jobs/b.yaml"))} == {"jobs/b.yaml"}
    widened = {p for p, _, _ in changed(as_json(base, "--", "other"))}
    assert widened == {"other/x.json"}  # explicit paths: any YAML or JSON, not .txt
    # Without `--`, a word that is a path and not a revision starts the paths (as in git).
    assert {p for p, _, _ in changed(as_json(base, "HEAD", "other"))} == {"other/x.json"}


def test_settings_paths_and_lockfile_summary(base: Repo) -> None:
    base.write(".gittrain.yaml", "diff:\n  paths: ['experiments/**']\n")
    base.write("experiments/e.yaml", "lr: 1\n")
    lock = "version: 1\ndatasets:\n  gsm8k: {path: data/g.parquet, sha256: aaa, num_samples: 10}\n"
    base.write("gittrain.lock", lock)
    base.commit("settings")
    base.write("experiments/e.yaml", "lr: 2\n")
    base.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    base.write(
        "gittrain.lock",
        lock.replace("aaa", "bbb").replace("10}", "12}")
        + "  math: {path: data/m.parquet, sha256: ccc, num_samples: 5}\n",
    )
    data = as_json(base)
    files = {f["new_path"]: f for f in data["files"]}  # type: ignore[union-attr]
    assert set(files) == {"experiments/e.yaml", "gittrain.lock"}
    datasets = files["gittrain.lock"]["datasets"]
    assert [(d["name"], d["kind"]) for d in datasets] == [("gsm8k", "modified"), ("math", "added")]
    assert [c["display_path"] for c in datasets[0]["changes"]] == ["sha256", "num_samples"]
    text = run(base).stdout
    assert "WARNING: 3 critical changes" in text  # experiments/e.yaml lr, and two datasets
    assert run(base, "--fail-on", "critical", "--", "gittrain.lock").exit_code == 1
    assert "  [~] gsm8k changed: sha256 aaa → bbb; num_samples 10 → 12 (×1.2, +20%)" in text
    assert '  [+] math added: path="data/m.parquet"; sha256="ccc"; num_samples=5' in text


def test_renames_and_whole_files(base: Repo) -> None:
    base.git("mv", "jobs/a.yaml", "jobs/renamed.yaml")
    base.write("jobs/new.yaml", "name: new\nconfig: {lr: 0.1, lora: {rank: 8}}\n")
    base.git("add", "-A")
    data = as_json(base, "--cached")
    files = data["files"]
    assert isinstance(files, list)
    summary = [(f["status"], f["old_path"], f["new_path"], len(f["changes"])) for f in files]
    assert ("renamed", "jobs/a.yaml", "jobs/renamed.yaml", 0) in summary
    added = next(f for f in files if f["status"] == "added")
    assert [c["display_path"] for c in added["changes"]] == [
        "name",
        "config.lr",
        "config.lora.rank",
    ]
    base.commit("rename")
    base.git("rm", "-q", "jobs/new.yaml")
    deleted = as_json(base, "--cached")["files"][0]  # type: ignore[index]
    assert deleted["status"] == "deleted" and len(deleted["changes"]) == 3


def test_comment_only_edit_is_no_change(base: Repo) -> None:
    base.write("jobs/a.yaml", "# a comment\n" + JOB.replace("1.0e-6", "0.000001"))
    result = run(base, "--exit-code")
    assert result.exit_code == 0
    assert "no config changes" in result.stdout


# ------------------------------------------------------------------------- bad input


def test_unknown_revision(base: Repo) -> None:
    result = run(base, "nope", "--")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown revision 'nope'\n"
    result = run(base, "HEAD..nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr and "Traceback" not in result.output


def test_revision_that_looks_like_an_option_creates_nothing(base: Repo, tmp_path: Path) -> None:
    target = tmp_path / "x"
    result = run(base, f"--output={target}")
    assert result.exit_code == 2
    assert "No such option '--output'" in result.stderr
    result = run(base, "--end-of-options", f"--output={target}")
    assert result.exit_code == 2
    result = run(base, f"--output={target}", "HEAD", "--")
    assert result.exit_code == 2
    # Straight into the command layer, it still never becomes a git option.
    from gittrain.commands.diff import DiffRequest, run_diff
    from gittrain.errors import GittrainError

    with pytest.raises(GittrainError, match="unknown revision '--output="):
        run_diff(base.root, DiffRequest((f"--output={target}",), pathspecs=()))
    assert not target.exists()


def test_path_outside_the_repository(base: Repo, tmp_path: Path) -> None:
    for outside in ("../elsewhere.yaml", str(tmp_path / "elsewhere.yaml")):
        result = run(base, "--", outside)
        assert result.exit_code == 2
        assert result.stderr == f"error: {outside}: is outside the repository at {base.root}\n"


def test_binary_file_is_reported_and_the_rest_prints(base: Repo) -> None:
    base.write("configs/blob.yaml", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    base.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    base.git("add", "-A")
    result = run(base, "--cached")
    assert result.exit_code == 1
    assert "error: :configs/blob.yaml: binary file, not YAML or JSON" in result.stdout
    assert "config.learning_rate: 1e-06 → 5e-07" in result.stdout


def test_invalid_yaml_on_one_side_only(base: Repo) -> None:
    base.write("jobs/a.yaml", JOB + "config: [duplicate\n")
    result = run(base, "HEAD")
    assert result.exit_code == 1
    assert "error: jobs/a.yaml:11:" in result.stdout
    assert "HEAD:jobs/a.yaml" not in result.stdout  # the old side parsed fine
    assert "Traceback" not in result.output


def test_syntax_error_at_end_of_file(base: Repo) -> None:
    base.write("jobs/a.yaml", "config: [1, 2\n")
    result = run(base)
    assert result.exit_code == 1
    assert "error: jobs/a.yaml:2:1: " in result.stdout
    assert "Traceback" not in result.output


def test_list_at_one_revision_and_mapping_at_another(base: Repo) -> None:
    base.write("configs/c.yaml", "- 1\n- 2\n")
    base.commit("list")
    base.write("configs/c.yaml", "a: 1\n")
    result = run(base, "HEAD")
    assert result.exit_code == 0, result.output
    assert "[~] (root): [1, 2] → {a: 1}" in result.stdout


def test_empty_repository(repo: Repo) -> None:
    result = run(repo)
    assert result.exit_code == 0 and "no config changes" in result.stdout
    result = run(repo, "HEAD", "--")
    assert result.exit_code == 2 and result.stderr == "error: unknown revision 'HEAD'\n"
    result = run(repo, "HEAD")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision or path not in the working tree: 'HEAD' "
        "(use '--' to separate paths from revisions)\n"
    )
    repo.write("jobs/a.yaml", "lr: 1\n")
    repo.git("add", "-A")
    data = as_json(repo, "--cached")
    assert data["old"] == {"kind": "empty", "label": "nothing (no commits yet)", "commit": None}
    assert changed(data) == [("jobs/a.yaml", "lr", "added")]


def test_outside_a_repository(tmp_path: Path) -> None:
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        result = runner.invoke(cli, ["diff"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: not inside a git work tree: ")


def test_from_a_subdirectory(base: Repo) -> None:
    base.write("jobs/a.yaml", JOB.replace("1.0e-6", "5e-7"))
    sub = base.root / "jobs"
    result = run(base, "--format", "json", cwd=sub)
    assert result.exit_code == 0
    assert changed(json.loads(result.stdout)) == [
        ("jobs/a.yaml", "config.learning_rate", "modified")
    ]
    result = run(base, "--format", "json", "--", "a.yaml", cwd=sub)  # relative to the cwd
    assert len(changed(json.loads(result.stdout))) == 1
    result = run(base, "--format", "json", "--", "b.yaml", cwd=sub)
    assert changed(json.loads(result.stdout)) == []


def test_bad_revision_combinations(base: Repo) -> None:
    result = run(base, "HEAD", "HEAD", "HEAD", "--")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: too many revisions: HEAD HEAD HEAD (at most two)\n",
    )
    result = run(base, "--cached", "HEAD", "HEAD", "--")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --cached compares the index with one revision, not two\n",
    )
    base.git("checkout", "-q", "--orphan", "island")
    base.commit("unrelated")
    result = run(base, "main...island")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: main...island: the revisions have no merge base\n",
    )
