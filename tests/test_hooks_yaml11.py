"""`git train lint-yaml`: plain values YAML 1.1 tools misread, located, each with a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import Cli

from gittrain.adapters import yamlio
from gittrain.core import yaml11

SAMPLE = """\
lr: 2e-5
big: 1e6
flag: yes
off_switch: Off
mode: 0755
time: 1:30
quoted: "2e-5"
count: 1_000
neg: -.5
octal12: 0o17
unsigned_exp: 1.0e5
list: [on, 3, 2.0e-5]
anchor: &x 5
alias: *x
on: true
fine: 2.0e-5
---
second: 0b101
"""


def test_every_trap_is_found_with_its_line_and_fix(cli: Cli, tmp_path) -> None:
    (tmp_path / "train.yaml").write_text(SAMPLE)
    result = cli("lint-yaml", "train.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.out.splitlines() == [
        "train.yaml:1:5: error: 2e-5 is read as the string '2e-5' by YAML 1.1 tools (PyYAML); "
        "write 2.0e-5 [yaml11-float]",
        "train.yaml:2:6: error: 1e6 is read as the string '1e6' by YAML 1.1 tools (PyYAML); "
        "write 1.0e+6 [yaml11-float]",
        "train.yaml:3:7: error: yes is read as the boolean true by YAML 1.1 tools (PyYAML); "
        'write true (a boolean) or "yes" (a word) [yaml11-boolean]',
        "train.yaml:4:13: error: Off is read as the boolean false by YAML 1.1 tools (PyYAML); "
        'write false (a boolean) or "Off" (a word) [yaml11-boolean]',
        "train.yaml:5:7: error: 0755 is read as the octal number 493 by YAML 1.1 tools (PyYAML); "
        'write "0755" (text) or 493 (a number) [yaml11-octal]',
        "train.yaml:6:7: error: 1:30 is read as the base-60 number 90 by YAML 1.1 tools "
        '(PyYAML); write "1:30" (text) or 90 (a number) [yaml11-sexagesimal]',
        "train.yaml:8:8: error: 1_000 is read as the number 1000 by YAML 1.1 tools (PyYAML); "
        'write 1000 (a number) or "1_000" (text) [yaml11-number]',
        "train.yaml:9:6: error: -.5 is read as the string '-.5' by YAML 1.1 tools (PyYAML); "
        "write -0.5 [yaml11-float]",
        "train.yaml:10:10: error: 0o17 is read as the string '0o17' by YAML 1.1 tools (PyYAML); "
        "write 15 [yaml11-number]",
        "train.yaml:11:15: error: 1.0e5 is read as the string '1.0e5' by YAML 1.1 tools "
        "(PyYAML); write 1.0e+5 [yaml11-float]",
        "train.yaml:12:8: error: on is read as the boolean true by YAML 1.1 tools (PyYAML); "
        'write true (a boolean) or "on" (a word) [yaml11-boolean]',
        "train.yaml:18:9: error: 0b101 is read as the number 5 by YAML 1.1 tools (PyYAML); "
        'write 5 (a number) or "0b101" (text) [yaml11-number]',
    ]
    assert result.err == ""


@pytest.mark.parametrize(
    "text", ["2e-5", "1e6", "-.5", "1.0e5", "5E-7", "yes", "off", "0755", "1:30", "1_000", "0o17"]
)
def test_pyyaml_really_misreads_and_the_fix_reads_the_same_everywhere(text: str) -> None:
    found = yaml11.check(text)
    assert found is not None
    # The YAML 1.1 reading is what PyYAML itself gives.
    assert yaml.safe_load(f"v: {text}")["v"] == found.yaml11
    assert yamlio.load_text(f"v: {text}", "t").data == {"v": found.yaml12}
    fix = found.fix.split(" (")[0]
    assert yaml.safe_load(f"v: {fix}")["v"] == yamlio.load_text(f"v: {fix}", "t").data["v"]


@pytest.mark.parametrize("text", ["2.0e-5", "1.5", "42", "true", "null", "0x1f", "word", "09"])
def test_values_both_readings_agree_on_pass(text: str) -> None:
    assert yaml11.check(text) is None


def test_clean_file_no_files_and_json_output(cli: Cli, tmp_path) -> None:
    (tmp_path / "ok.yml").write_text("lr: 2.0e-5\nname: 'yes'\n")
    assert (cli("lint-yaml", "ok.yml", cwd=tmp_path).code, cli("lint-yaml", cwd=tmp_path).code) == (
        0,
        0,
    )
    (tmp_path / "b.yaml").write_text("a: 2e-5\n")
    result = cli("lint-yaml", "--format", "json", "ok.yml", "b.yaml", cwd=tmp_path)
    assert result.code == 1
    payload = json.loads(result.out)
    assert payload["files"] == 2
    assert [(p["file"], p["line"], p["rule"]) for p in payload["problems"]] == [
        ("b.yaml", 1, "yaml11-float")
    ]


def test_broken_and_missing_files_are_reported_not_raised(cli: Cli, tmp_path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    result = cli("lint-yaml", "bad.yaml", "gone.yaml", cwd=tmp_path)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("bad.yaml:2:1: error: ") and lines[0].endswith("[yaml]")
    assert lines[1] == "gone.yaml: error: no such file [io]"
    assert "Traceback" not in result.out + result.err


# Per framework: a config in its own shape whose 2e-5 (line 2) and 500_000 (line 3) the
# framework reads as numbers, then a boolean (line 4), an octal (line 5) and base 60 (line 6).
FRAMEWORK_CONFIGS = {
    "verl": (
        "OmegaConf (verl)",
        "actor_rollout_ref:\n"
        "  actor: {optim: {lr: 2e-5}}\n"
        "  rollout: {n: 8, max_num_batched_tokens: 500_000}\n"
        "  hybrid_engine: yes\n"
        "trainer: {n_gpus_per_node: 8, default_local_dir: 0755,\n"
        "  experiment_name: 1:30}\n",
    ),
    "llamafactory": (
        "OmegaConf (LLaMA-Factory)",
        "stage: sft\n"
        "learning_rate: 2e-5\n"
        "max_samples: 500_000\n"
        "bf16: yes\n"
        "output_dir: 0755\n"
        "run_name: 1:30\n",
    ),
    "torchtune": (
        "OmegaConf (torchtune)",
        "model: {_component_: torchtune.models.llama3_2.lora_llama3_2_1b}\n"
        "optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}\n"
        "max_steps_per_epoch: 500_000\n"
        "compile: yes\n"
        "output_dir: 0755\n"
        "job_name: 1:30\n",
    ),
    "trl": (
        "PyYAML (TRL)",
        "num_generations: 8\n"
        "learning_rate: 2e-5\n"
        "max_steps: 500_000\n"
        "bf16: yes\n"
        "output_dir: 0755\n"
        "run_name: 1:30\n",
    ),
    "axolotl": (
        "PyYAML (axolotl)",
        "base_model: Qwen/Qwen2.5-0.5B\n"
        "learning_rate: 2e-5\n"
        "max_steps: 500_000\n"
        "bf16: yes\n"
        "output_dir: 0755\n"
        "hub_model_id: 1:30\n",
    ),
}


@pytest.mark.parametrize("name", sorted(FRAMEWORK_CONFIGS))
def test_each_framework_is_told_only_what_it_misreads(cli: Cli, tmp_path, name: str) -> None:
    readers, text = FRAMEWORK_CONFIGS[name]
    (tmp_path / "c.yaml").write_text(text)
    result = cli("lint-yaml", "--format", "json", "c.yaml", cwd=tmp_path)
    assert result.code == 1, result
    found = [(p["line"], p["rule"]) for p in json.loads(result.out)["problems"]]
    assert found == [(4, "yaml11-boolean"), (5, "yaml11-octal"), (6, "yaml11-sexagesimal")]
    shown = cli("lint-yaml", "c.yaml", cwd=tmp_path).out.splitlines()
    assert shown[0].startswith("c.yaml:4:"), shown
    assert f"yes is read as the boolean true by {readers}; write true" in shown[0]
    assert f"is read as the octal number 493 by {readers}" in shown[1]
    assert f"1:30 is read as the base-60 number 90 by {readers}" in shown[2]


def test_a_file_in_no_dialect_keeps_every_yaml11_trap(cli: Cli, tmp_path) -> None:
    (tmp_path / "c.yaml").write_text("lr: 2e-5\nsteps: 500_000\n")
    result = cli("lint-yaml", "--format", "json", "c.yaml", cwd=tmp_path)
    rules = [(p["line"], p["rule"]) for p in json.loads(result.out)["problems"]]
    assert rules == [(1, "yaml11-float"), (2, "yaml11-number")]


def test_argparse_converts_only_top_level_known_keys(cli: Cli, tmp_path) -> None:
    """TRL hands nested mappings (scheduler kwargs) over as PyYAML read them: strings."""
    (tmp_path / "grpo.yaml").write_text(
        "num_generations: 8\n"
        "learning_rate: 2e-5\n"
        "lr_scheduler_kwargs:\n"
        "  min_lr: 1e-6\n"
        "learnign_rate: 3e-5\n"
    )
    result = cli("lint-yaml", "grpo.yaml", cwd=tmp_path)
    assert result.out.splitlines() == [
        "grpo.yaml:4:11: error: 1e-6 is read as the string '1e-6' by PyYAML (TRL); "
        "write 1.0e-6 [yaml11-float]",
        "grpo.yaml:5:16: error: 3e-5 is read as the string '3e-5' by PyYAML (TRL); "
        "write 3.0e-5 [yaml11-float]",
    ]


def test_pydantic_converts_declared_fields_but_not_free_form_ones(cli: Cli, tmp_path) -> None:
    (tmp_path / "a.yaml").write_text(
        "base_model: Qwen/Qwen2.5-0.5B\n"
        "learning_rate: 2e-5\n"
        "datasets:\n"
        "  - path: a.jsonl\n"
        "    type: alpaca\n"
        "lr_scheduler_kwargs: {min_lr: 1e-6}\n"
    )
    result = cli("lint-yaml", "--format", "json", "a.yaml", cwd=tmp_path)
    assert [(p["line"], p["rule"]) for p in json.loads(result.out)["problems"]] == [
        (6, "yaml11-float")
    ]


def test_dialect_named_in_settings_decides_the_reading(repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "dialects:\n  'sweeps/*.yaml': verl\n")
    repo.write("sweeps/a.yaml", "lr: 2e-5\non: yes\n")
    repo.write("other/a.yaml", "lr: 2e-5\n")
    result = cli("lint-yaml", "sweeps/a.yaml", "other/a.yaml", cwd=repo.root)
    assert result.out.splitlines() == [
        "sweeps/a.yaml:2:5: error: yes is read as the boolean true by OmegaConf (verl); "
        'write true (a boolean) or "yes" (a word) [yaml11-boolean]',
        "other/a.yaml:1:5: error: 2e-5 is read as the string '2e-5' by YAML 1.1 tools (PyYAML); "
        "write 2.0e-5 [yaml11-float]",
    ]
    # From a subdirectory the glob still matches the repository path.
    inner = cli("lint-yaml", "a.yaml", cwd=repo.root / "sweeps")
    assert inner.out.startswith("a.yaml:2:5: error: yes is read as the boolean true by OmegaConf")


def test_a_named_framework_config_its_framework_cannot_read_is_one_error(repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "dialects:\n  'sweeps/*.yaml': verl\n")
    repo.write("sweeps/bomb.yaml", BOMB)
    result = cli("lint-yaml", "sweeps/bomb.yaml", cwd=repo.root)
    assert result.code == 1
    assert len(result.out.splitlines()) == 1
    assert result.out.startswith("sweeps/bomb.yaml:")
    assert "aliases expand to more than" in result.out and "[yaml]" in result.out
    assert "Traceback" not in result.out + result.err


def test_every_valid_framework_fixture_lints_clean(cli: Cli) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "dialects"
    files = sorted(str(p.relative_to(fixtures)) for p in fixtures.glob("*/valid/*.yaml"))
    result = cli("lint-yaml", *files, cwd=fixtures)
    assert (result.code, result.out) == (0, ""), result


BOMB = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n"
    if i
    else "l0: &l0 [x, x, x, x, x, x, x, x, x]\n"
    for i in range(9)
)
