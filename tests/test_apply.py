"""`recipe apply`: size parsing, batch fitting across GPU counts, reasons, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot

from gittrain.adapters.yamlio import load_file
from gittrain.core.apply import fit_batch
from gittrain.core.sizes import parse_size


@pytest.mark.parametrize(
    ("text", "billions"),
    [
        ("135M", 0.135),
        ("0.5B", 0.5),
        ("1.5B", 1.5),
        ("7B", 7),
        ("70B", 70),
        ("8x7B", 56),
        ("405B", 405),
        ("7b", 7),
    ],
)
def test_parse_size(text: str, billions: float) -> None:
    assert parse_size(text).billions == pytest.approx(billions)


@pytest.mark.parametrize("text", ["seven", "7", "B", "-7B", "0B", "7 B B", "x7B"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="model size"):
        parse_size(text)


@pytest.mark.parametrize("gpus", [1, 2, 4, 8, 16, 32, 64, 128, 256])
def test_global_batch_is_kept_when_gpus_divide_it(gpus: int) -> None:
    config = {
        "global_batch_size": 1024,
        "per_device_batch_size": 4,
        "gradient_accumulation_steps": 32,
    }
    changes, warnings = fit_batch(config, gpus)
    new = {**config, **{path[0]: value for path, value, _ in changes}}
    assert warnings == []
    assert new["global_batch_size"] == 1024
    assert new["per_device_batch_size"] * new["gradient_accumulation_steps"] * gpus == 1024
    assert all(reason for _, _, reason in changes)


def test_micro_batch_shrinks_to_divide_evenly() -> None:
    changes, warnings = fit_batch({"global_batch_size": 96, "per_device_batch_size": 8}, 12)
    assert warnings == []
    values = {path[0]: value for path, value, _ in changes}
    assert values == {"gradient_accumulation_steps": 1}
    changes, _ = fit_batch({"global_batch_size": 96, "per_device_batch_size": 16}, 12)
    values = {path[0]: value for path, value, _ in changes}
    assert values == {"per_device_batch_size": 8, "gradient_accumulation_steps": 1}


def test_uneven_split_warns_and_uses_nearest() -> None:
    changes, warnings = fit_batch({"global_batch_size": 128, "per_device_batch_size": 8}, 6)
    values = {path[0]: value for path, value, _ in changes}
    assert values["per_device_batch_size"] * values["gradient_accumulation_steps"] * 6 == 126
    assert values["global_batch_size"] == 126
    assert warnings == [
        "global batch 128 cannot be split evenly over 6 GPUs; using 7 per device x 3 x 6 GPUs = 126"
    ]


def test_apply_writes_a_valid_job_with_reasons(repo: Repo, cli: Cli) -> None:
    result = cli(
        "recipe",
        "apply",
        "grpo_basic",
        "--model-size",
        "1.5B",
        "--gpus",
        "2",
        "--model",
        "Qwen/Qwen2.5-1.5B-Instruct",
        "--dataset",
        "train=gsm8k",
        "-o",
        "jobs/gsm8k-grpo.yaml",
        cwd=repo.root,
    )
    assert result.code == 0, result
    assert result.out.splitlines()[0] == "recipe grpo_basic 1.0.0 for 1.5B on 2 GPUs:"
    assert result.out.splitlines()[-1] == "wrote jobs/gsm8k-grpo.yaml"
    assert "config.gradient_accumulation_steps: 32 -> " in result.out
    assert "(keeps the global batch 1024 = " in result.out
    job = load_file(repo.root / "jobs/gsm8k-grpo.yaml", "j").data
    assert isinstance(job, dict)
    assert job["name"] == "gsm8k-grpo"
    assert job["recipe"] == {"id": "grpo_basic", "version": "1.0.0"}
    assert job["model"] == "Qwen/Qwen2.5-1.5B-Instruct"
    assert job["num_gpus"] == 2
    assert job["datasets"] == {"train": "gsm8k"}
    assert job["result"] == {"status": "pending"}
    cfg = job["config"]
    assert (
        cfg["global_batch_size"]
        == cfg["per_device_batch_size"] * cfg["gradient_accumulation_steps"] * 2
    )
    text = (repo.root / "jobs/gsm8k-grpo.yaml").read_text()
    assert "# Made by `git train recipe apply grpo_basic --model-size 1.5B --gpus 2`" in text
    assert "gradient_accumulation_steps: " in text and "# keeps the global batch 1024" in text
    assert cli("validate", "--strict", "jobs/gsm8k-grpo.yaml").code == 0


def test_apply_model_size_adjustments_are_data(repo: Repo, cli: Cli) -> None:
    repo.write(
        "recipes/tiny.yaml",
        "name: tiny\nextends: sft_basic\nadjustments:\n"
        "  - when: {max_size: 1B}\n    set: {learning_rate: 5.0e-5}\n"
        "    reason: small models take larger steps\n",
    )
    out = cli(
        "recipe",
        "apply",
        "tiny",
        "--model-size",
        "135M",
        "--gpus",
        "8",
        "--format",
        "json",
        cwd=repo.root,
    ).out
    data = json.loads(out)
    change = next(c for c in data["changes"] if c["path"] == "config.learning_rate")
    assert change == {
        "path": "config.learning_rate",
        "old": 2e-5,
        "new": 5e-5,
        "old_missing": False,
        "new_missing": False,
        "reason": "model size 135M (<= 1B): small models take larger steps",
    }
    out = cli(
        "recipe", "apply", "tiny", "--model-size", "7B", "--gpus", "8", "--format", "json"
    ).out
    assert json.loads(out)["job"]["config"]["learning_rate"] == 2e-5


def test_apply_set_and_unset(repo: Repo, cli: Cli) -> None:
    out = cli(
        "recipe",
        "apply",
        "sft_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        "--set",
        "learning_rate=1e-5",
        "--set",
        "lora_rank=16",
        "--set",
        "lora_alpha=32",
        "--set",
        "extra.nested.key=on",
        "--unset",
        "seed",
        "--format",
        "json",
        cwd=repo.root,
    ).out
    data = json.loads(out)
    cfg = data["job"]["config"]
    assert cfg["learning_rate"] == 1e-5 and isinstance(cfg["learning_rate"], float)
    assert cfg["lora_rank"] == 16
    assert cfg["extra"] == {"nested": {"key": "on"}}
    assert "seed" not in cfg
    reasons = {c["path"]: c["reason"] for c in data["changes"]}
    assert reasons["config.learning_rate"] == "set on the command line"
    assert reasons["config.seed"] == "removed on the command line"


def test_apply_to_stdout_puts_report_on_stderr(repo: Repo, cli: Cli) -> None:
    result = cli("recipe", "apply", "dpo_basic", "--model-size", "7B", "--gpus", "4", cwd=repo.root)
    assert result.code == 0
    assert result.out.startswith("# Made by `git train recipe apply dpo_basic")
    assert "recipe dpo_basic" in result.err
    assert snapshot(repo.root) == {}


def test_apply_refuses_invalid_result_and_writes_nothing(repo: Repo, cli: Cli) -> None:
    result = cli(
        "recipe",
        "apply",
        "grpo_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        "--set",
        "rollout_n=1",
        "-o",
        "jobs/x.yaml",
        cwd=repo.root,
    )
    assert result.code == 1
    assert "jobs/x.yaml:" in result.out and "[rollout-n]" in result.out
    assert "not written: 1 error" in result.err
    assert not (repo.root / "jobs").exists()


def test_apply_fewer_gpus_than_recipe_minimum(repo: Repo, cli: Cli) -> None:
    result = cli(
        "recipe",
        "apply",
        "grpo_large_scale",
        "--model-size",
        "70B",
        "--gpus",
        "2",
        "-o",
        "jobs/big.yaml",
        cwd=repo.root,
    )
    assert result.code == 1
    assert "error: num_gpus: 2 GPUs is fewer than recipe grpo_large_scale's minimum" in result.out
    assert not (repo.root / "jobs").exists()


def test_apply_existing_output_needs_force(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/x.yaml", "keep me\n")
    result = cli(
        "recipe",
        "apply",
        "sft_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        "-o",
        "jobs/x.yaml",
        cwd=repo.root,
    )
    assert result.code == 1
    assert "jobs/x.yaml: already exists (use --force to replace it)" in result.err
    assert (repo.root / "jobs/x.yaml").read_text() == "keep me\n"
    result = cli(
        "recipe",
        "apply",
        "sft_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        "-o",
        "jobs/x.yaml",
        "--force",
    )
    assert result.code == 0
    assert "name: x" in (repo.root / "jobs/x.yaml").read_text()


def test_apply_from_subdirectory_writes_relative_to_cwd(repo: Repo, cli: Cli) -> None:
    (repo.root / "jobs").mkdir()
    result = cli(
        "recipe",
        "apply",
        "sft_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        "-o",
        "new.yaml",
        cwd=repo.root / "jobs",
    )
    assert result.code == 0, result
    assert (repo.root / "jobs/new.yaml").is_file()
    assert result.out.splitlines()[-1] == "wrote jobs/new.yaml"


@pytest.mark.parametrize(
    ("args", "code", "needles"),
    [
        (["nope", "--model-size", "7B", "--gpus", "8"], 1, ["unknown recipe 'nope'"]),
        (
            ["grpo_basic", "--model-size", "seven", "--gpus", "8"],
            2,
            ["--model-size", "'seven' is not a size like"],
        ),
        (["grpo_basic", "--model-size", "7B", "--gpus", "0"], 2, ["--gpus must be at least 1"]),
        (["grpo_basic", "--model-size", "7B", "--gpus", "-3"], 2, ["--gpus must be at least 1"]),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--set", "a..b=1"],
            2,
            ["--set 'a..b=1': expected KEY.PATH=VALUE"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--set", "novalue"],
            2,
            ["--set 'novalue': expected KEY.PATH=VALUE"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--set", "a[x]=1"],
            2,
            ["expected KEY.PATH=VALUE"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--set", "lr=[1"],
            2,
            ["--set 'lr=[1': value is not valid YAML"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--set", "lr=.nan"],
            2,
            ["not a finite number"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--unset", "nope"],
            2,
            ["--unset config.nope: no such key"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--dataset", "train"],
            2,
            ["--dataset 'train': expected ROLE=NAME-OR-PATH"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "-o", "../outside.yaml"],
            2,
            ["outside the repository"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "-o", "jobs/x.txt"],
            2,
            ["job files end in .yaml"],
        ),
        (
            ["grpo_basic", "--model-size", "7B", "--gpus", "8", "--name", "bad name"],
            2,
            ["job name 'bad name'"],
        ),
    ],
)
def test_apply_bad_input(
    repo: Repo, cli: Cli, args: list[str], code: int, needles: list[str]
) -> None:
    result = (
        cli("recipe", "apply", *args, "-o", "jobs/out.yaml", cwd=repo.root)
        if "-o" not in args
        else cli("recipe", "apply", *args, cwd=repo.root)
    )
    assert_one_line_error(result, code, *needles)
    assert snapshot(repo.root) == {}
    assert result.out == ""


def test_apply_gpus_not_a_number(repo: Repo, cli: Cli) -> None:
    result = cli(
        "recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "eight", cwd=repo.root
    )
    assert result.code == 2
    assert "'eight' is not a valid integer" in result.err
    assert "Traceback" not in result.err


def test_apply_outside_a_repository_writes_relative_to_cwd(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "recipe",
        "apply",
        "sft_basic",
        "--model-size",
        "7B",
        "--gpus",
        "8",
        "-o",
        "job.yaml",
        cwd=tmp_path,
    )
    assert result.code == 0, result
    assert (tmp_path / "job.yaml").is_file()
