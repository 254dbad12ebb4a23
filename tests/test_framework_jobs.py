"""Jobs in a trainer's own keys (`framework:`) or in the trainer's own file (`config_file:`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli, Repo

from gittrain.adapters import yamlio

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"


def _job(repo: Repo) -> dict[str, object]:
    data = yamlio.load_file(repo.root / "jobs/a.yaml", "jobs/a.yaml").data
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("framework", "lr_line"),
    [
        ("trl", "  learning_rate: 2.0e-06  # model size 1.5B"),
        ("verl", "        lr: 2.0e-06  # model size"),
    ],
)
def test_job_new_writes_the_trainers_keys_with_the_reasons(
    repo: Repo, cli: Cli, framework: str, lr_line: str
) -> None:
    result = cli(
        "job", "new", "a", "--recipe", "grpo_basic", "--model-size", "1.5B", "--gpus", "8",
        "--framework", framework, cwd=repo.root,
    )  # fmt: skip
    assert result.code == 0, result
    text = (repo.root / "jobs/a.yaml").read_text()
    assert any(line.startswith(lr_line) for line in text.splitlines()), text
    job = _job(repo)
    assert job["framework"] == framework
    check = cli("validate", "--format", "json", "jobs/a.yaml", cwd=repo.root)
    report = json.loads(check.out)["files"][0]
    assert report["problems"] == [] and report["dialect"] == framework


def test_a_framework_job_is_checked_in_its_trainers_keys(repo: Repo, cli: Cli) -> None:
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: grpo_basic\nframework: trl\nnum_gpus: 8\nconfig:\n"
        "  learning_rate: 0.5\n  num_generations: 1\n  learnign_rate: 1\n",
    )
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines()[:3] == [
        "jobs/a.yaml:6:3: error: config.learning_rate: learning rate 0.5 is above 0.0001, the "
        "limit for GRPO (typical 1e-07..1e-05) [lr-range]",
        "jobs/a.yaml:7:3: error: config.num_generations: GRPO needs at least 2 rollouts per "
        "prompt to form a group, not 1 [rollout-n]",
        "jobs/a.yaml:8:3: warning: config.learnign_rate: not a key TRL 0.24.0 knows; did you "
        "mean learning_rate? [unknown-key]",
    ]


def test_a_config_file_job_points_into_the_trainers_file(repo: Repo, cli: Cli) -> None:
    config = (FIXTURES / "verl/valid/grpo_gsm8k_override.yaml").read_text()
    repo.write("configs/verl.yaml", config.replace("lr: 1.0e-6", "lr: 0.5"))
    repo.write("jobs/a.yaml", "name: a\nrecipe: grpo_basic\nconfig_file: configs/verl.yaml\n")
    result = cli("validate", "--format", "json", "jobs/a.yaml", cwd=repo.root)
    report = json.loads(result.out)["files"][0]
    assert report["dialect"] == "verl"
    (problem,) = report["problems"]
    assert problem["file"] == "configs/verl.yaml" and problem["rule"] == "lr-range"
    assert problem["path"] == "actor_rollout_ref.actor.optim.lr"


def test_a_missing_config_file_is_an_error_at_the_jobs_line(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", "name: a\nrecipe: grpo_basic\nconfig_file: configs/gone.yaml\n")
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "jobs/a.yaml:3:1: error: config_file: configs/gone.yaml: no such file [config-file]"
    )
    repo.write("jobs/b.yaml", "name: b\nrecipe: grpo_basic\nconfig_file: ../elsewhere.yaml\n")
    outside = cli("validate", "jobs/b.yaml", cwd=repo.root)
    assert outside.code == 1 and "config_file" in outside.out and "[schema]" in outside.out


def test_the_hook_reads_the_config_file_as_staged(repo: Repo, cli: Cli) -> None:
    repo.write("configs/verl.yaml", (FIXTURES / "verl/valid/grpo_gsm8k_override.yaml").read_text())
    repo.write("jobs/a.yaml", "name: a\nrecipe: grpo_basic\nconfig_file: configs/verl.yaml\n")
    repo.git("add", "jobs/a.yaml")  # the config file itself is not staged
    result = cli("validate", "--staged", cwd=repo.root)
    assert result.code == 1
    assert "config_file: configs/verl.yaml: not in the index" in result.out
    repo.git("add", "configs/verl.yaml")
    assert cli("validate", "--staged", cwd=repo.root).code == 0


def test_export_and_diff_read_a_framework_job_in_its_dialect(repo: Repo, cli: Cli) -> None:
    cli(
        "job", "new", "a", "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8",
        "--framework", "trl", cwd=repo.root,
    )  # fmt: skip
    repo.commit("a trl job")
    exported = cli("job", "export", "a", "--to", "verl", cwd=repo.root)
    assert exported.code == 0, exported
    assert "actor_rollout_ref.actor.optim.lr=1.0e-06" in exported.out
    assert "actor_rollout_ref.rollout.n=8" in exported.out
    text = (repo.root / "jobs/a.yaml").read_text()
    repo.write("jobs/a.yaml", text.replace("num_generations: 8", "num_generations: 4"))
    diff = cli("diff", cwd=repo.root)
    assert "[~] config.num_generations: 8 → 4 (×0.5, -50%)" in diff.out
    important = diff.out.split("Important", 1)[1]
    assert "config.num_generations" in important  # TRL's group size: important, as ideas say


def test_mining_reads_a_finished_framework_job(repo: Repo, cli: Cli) -> None:
    cli(
        "job", "new", "a", "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8",
        "--framework", "trl", cwd=repo.root,
    )  # fmt: skip
    cli("job", "finish", "a", "--status", "completed", "--metric", "acc=0.7", cwd=repo.root)
    repo.commit("a done")
    result = cli("experience", "recommend", "--format", "json", cwd=repo.root)
    (row,) = json.loads(result.out)["recommendations"]
    assert row["recipe_id"] == "grpo_basic" and row["avg_learning_rate"] == 1e-6


def test_mining_reads_a_config_file_job_at_the_commit_it_finished(repo: Repo, cli: Cli) -> None:
    config = (FIXTURES / "trl/valid/grpo.yaml").read_text()
    repo.write("configs/grpo.yaml", config)
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: grpo_basic\nconfig_file: configs/grpo.yaml\nresult:\n"
        "  status: completed\n  metrics: {acc: 0.7}\n",
    )
    repo.commit("a finished")
    # The file changes later; the run trained with what its commit held.
    lr = next(line for line in config.splitlines() if line.startswith("learning_rate:"))
    repo.write("configs/grpo.yaml", config.replace(lr, "learning_rate: 5.0e-6"))
    repo.commit("retune for the next run")
    result = cli("experience", "recommend", "--format", "json", cwd=repo.root)
    (row,) = json.loads(result.out)["recommendations"]
    expected = float(lr.split(":", 1)[1])
    assert row["recipe_id"] == "grpo_basic" and row["avg_learning_rate"] == expected


def test_a_config_file_outside_the_repository_is_refused_at_the_jobs_line(
    repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((FIXTURES / "trl/valid/grpo.yaml").read_text())
    (repo.root / "configs").mkdir()
    (repo.root / "configs/link.yaml").symlink_to(outside)
    repo.write("jobs/a.yaml", "name: a\nrecipe: grpo_basic\nconfig_file: configs/link.yaml\n")
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 1 and "Traceback" not in result.out + result.err
    line = next(line for line in result.out.splitlines() if "[config-file]" in line)
    assert line.startswith("jobs/a.yaml:3:1: error: config_file: configs/link.yaml: ")
    assert "outside" in line
    assert "num_generations" not in result.out  # nothing read out there is echoed


def test_diff_of_a_config_file_job_with_a_framework_reads_the_job_itself(
    repo: Repo, cli: Cli
) -> None:
    repo.write("configs/g.yaml", (FIXTURES / "trl/valid/grpo.yaml").read_text())
    job = "name: a\nrecipe: grpo_basic\nframework: trl\nconfig_file: configs/g.yaml\n"
    repo.write("jobs/a.yaml", job)
    repo.commit("a")
    repo.write("jobs/a.yaml", job + "num_gpus: 8\n")
    result = cli("diff", cwd=repo.root)
    assert "unreadable" not in result.out and "error" not in result.out, result.out
    assert "[+] num_gpus = 8" in result.out
