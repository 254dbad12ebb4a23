"""Framework configs read as their frameworks read them: OmegaConf and PyYAML as oracles,
anchors and merges allowed but bounded in framework configs, errors in gittrain's own files."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import Cli, Repo
from omegaconf import OmegaConf

from gittrain.core.dialects.reading import read_omegaconf, read_pyyaml

SCALARS = [
    # exponents without a dot or a sign: strings to PyYAML, floats to OmegaConf
    "2e-5", "2E-5", "1e6", "1.0e5", "+1e3", "-2e-5", "5e+3", "1.e5",
    # floats both read
    "1.0e-5", "1.0E+5", ".5", "1.5", "1.", "0.", "-.5", "3.14_15", "1_000.5", "1__0.5",
    # digit separators, odd underscores
    "500_000", "1_000", "1__0", "1_", "0_1", "_1", "._5", "1_e5", "1e-5_0",
    # integers in every YAML 1.1 base
    "42", "-7", "+7", "0", "00", "-0", "09", "010", "0755", "0o17", "0b101", "0b", "0x1f",
    "0xFF", "0x", "1:30", "-1:30", "1:30.5", "190:20:30", "1:60", "1:5", "0:30",
    # booleans and nulls
    "yes", "no", "on", "off", "Yes", "NO", "On", "OFF", "y", "n", "true", "True", "FALSE",
    "null", "~", "Null", "NULL",
    # words
    "word", "1e", "e5", ".e5", "grpo", "Qwen/Qwen2.5-7B",
]  # fmt: skip


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("text", SCALARS)
def test_omegaconf_reading_is_omegaconfs(text: str) -> None:
    created = OmegaConf.to_container(OmegaConf.create(f"v: {text}\n"))
    assert isinstance(created, dict)
    assert _same(read_omegaconf(text), created["v"]), (read_omegaconf(text), created["v"])


@pytest.mark.parametrize("text", SCALARS)
def test_pyyaml_reading_is_safe_load(text: str) -> None:
    loaded = yaml.safe_load(f"v: {text}\n")["v"]
    assert _same(read_pyyaml(text), loaded), (read_pyyaml(text), loaded)


def test_dates_stay_text_where_safe_load_makes_a_date() -> None:
    """A deliberate difference: gittrain keeps documents JSON-shaped.  OmegaConf agrees."""
    assert read_pyyaml("2024-01-01") == "2024-01-01"
    assert OmegaConf.create("v: 2024-01-01\n")["v"] == "2024-01-01"


def test_omegaconf_load_of_a_whole_file_agrees(tmp_path) -> None:
    from gittrain.adapters import yamlio
    from gittrain.core.dialects.reading import reading

    text = "a: 2e-5\nb: {c: 500_000, d: [yes, 0755, 1:30, 1.0e5]}\ne: ~\n"
    (tmp_path / "c.yaml").write_text(text)
    theirs = OmegaConf.to_container(OmegaConf.load(tmp_path / "c.yaml"))
    ours = yamlio.load_bytes(text.encode(), "c.yaml", reading=reading("omegaconf")).data
    assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)


@pytest.mark.parametrize("text", [".inf", "-.inf", ".nan"])
def test_non_finite_numbers_are_refused_not_read(text: str) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        read_omegaconf(text)
    with pytest.raises(ValueError, match="not a finite number"):
        read_pyyaml(text)


ANCHORED = """\
model_name_or_path: Qwen/Qwen2.5-0.5B
stage: sft
finetuning_type: lora
dataset: alpaca_en_demo
template: qwen
defaults: &defaults
  per_device_train_batch_size: 2
  gradient_accumulation_steps: 4
train: &train
  <<: *defaults
  learning_rate: 1.0e-4
learning_rate: *lr
"""

MERGED = """\
base_model: Qwen/Qwen2.5-0.5B
adapter: lora
lora_r: &rank 16
lora_alpha: *rank
datasets:
  - &alpaca
    path: a.jsonl
    type: alpaca
  - <<: *alpaca
    path: b.jsonl
learning_rate: 2e-4
micro_batch_size: &batch 2
eval_batch_size: *batch
"""

BOMB = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n"
    if i
    else "l0: &l0 [x, x, x, x, x, x, x, x, x]\n"
    for i in range(9)
)


def test_anchors_and_merges_in_a_framework_config_validate(repo: Repo, cli: Cli) -> None:
    repo.write("configs/axolotl.yaml", MERGED)
    result = cli("validate", "--format", "json", "configs/axolotl.yaml", cwd=repo.root)
    assert result.code == 0, result
    report = json.loads(result.out)["files"][0]
    assert report["dialect"] == "axolotl"
    assert report["problems"] == []


def test_an_aliased_value_is_checked_and_located(repo: Repo, cli: Cli) -> None:
    repo.write("configs/axolotl.yaml", MERGED.replace("&batch 2", "&batch 0"))
    result = cli("validate", "--format", "json", "configs/axolotl.yaml", cwd=repo.root)
    assert result.code == 1, result
    problems = json.loads(result.out)["files"][0]["problems"]
    assert problems, result
    assert {(p["line"], p["rule"]) for p in problems} == {(12, "positive-count")}, problems


def test_an_alias_to_an_undefined_anchor_is_one_error(repo: Repo, cli: Cli) -> None:
    repo.write("configs/lf.yaml", ANCHORED)
    result = cli("validate", "configs/lf.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines()[0].startswith("configs/lf.yaml:12:16: error: alias *lr")


def test_a_billion_laughs_framework_config_is_one_line(repo: Repo, cli: Cli) -> None:
    repo.write("configs/bomb.yaml", "stage: sft\n" + BOMB)
    result = cli("validate", "configs/bomb.yaml", cwd=repo.root)
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if line.startswith("configs/")]
    assert len(lines) == 1, result.out
    assert "aliases expand to more than 100000 values" in lines[0]
    assert "Traceback" not in result.out + result.err


def test_a_billion_laughs_under_a_named_dialect_is_one_line(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "dialects:\n  'configs/*.yaml': verl\n")
    repo.write("configs/bomb.yaml", BOMB)
    result = cli("validate", "configs/bomb.yaml", cwd=repo.root)
    assert result.code == 1
    assert "configs/bomb.yaml:" in result.out and "aliases expand to more than" in result.out
    assert len([x for x in result.out.splitlines() if x.startswith("configs/")]) == 1


def test_the_same_anchors_stay_errors_in_a_gittrain_job(repo: Repo, cli: Cli) -> None:
    job = (
        "name: a\nrecipe: sft_basic\nnum_gpus: 8\ndatasets: {train: train}\n"
        "shared: &shared\n  learning_rate: 1.0e-5\nconfig:\n  <<: *shared\n  algorithm: sft\n"
    )
    repo.write("jobs/a.yaml", job)
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "jobs/a.yaml:8:3: error: merge keys (<<) are not allowed in gittrain's own files [yaml]"
    )
    repo.write("jobs/a.yaml", job.replace("  <<: *shared\n", "  lr: *shared\n"))
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 1
    assert "YAML aliases (*shared) are not allowed in gittrain's own files" in result.out
