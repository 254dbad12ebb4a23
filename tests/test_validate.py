"""`git train validate` and `recipe validate`: schema, sanity rules, locations, exit codes."""

from __future__ import annotations

import json

import pytest
from conftest import Cli, Repo, snapshot
from datahelp import GRPO_CONFIG

JOB = """\
name: {name}
recipe: {{id: grpo_basic, version: "1.0.0"}}
model: Qwen/Qwen2.5-7B-Instruct
model_size: 7B
num_gpus: {gpus}
datasets:
  train: gsm8k
config:
{config}
result:
  status: pending
"""


def job(name: str = "a", gpus: int = 8, **overrides: str | None) -> str:
    values = {**GRPO_CONFIG, **overrides}
    config = "\n".join(f"  {k}: {v}" for k, v in values.items() if v is not None)
    return JOB.format(name=name, gpus=gpus, config=config)


def line_of(text: str, key: str) -> int:
    return next(
        i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(key + ":")
    )


def test_valid_job_passes(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job())
    result = cli("validate", cwd=repo.root)
    assert result.code == 0, result
    assert result.out == "1 file checked: 0 errors, 0 warnings\n"


def test_2e5_style_numbers_validate_as_numbers(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job(learning_rate="1e-6", kl_coef="1e-3"))
    assert cli("validate", cwd=repo.root).code == 0


@pytest.mark.parametrize(
    ("overrides", "gpus", "key", "rule", "severity", "text"),
    [
        (
            {"learning_rate": "0.1"},
            8,
            "learning_rate",
            "lr-range",
            "error",
            "learning rate 0.1 is above 0.0001, the limit for GRPO",
        ),
        (
            {"learning_rate": "5e-5"},
            8,
            "learning_rate",
            "lr-range",
            "warning",
            "outside the typical range for GRPO",
        ),
        (
            {"global_batch_size": "1000"},
            8,
            "global_batch_size",
            "batch-divisible",
            "error",
            "global batch 1000 is not divisible by 8 GPUs x 4 per device = 32",
        ),
        (
            {"gradient_accumulation_steps": "16"},
            8,
            "gradient_accumulation_steps",
            "batch-divisible",
            "error",
            "= 512, not the global batch 1024 (use 32)",
        ),
        (
            {"rollout_n": "1"},
            8,
            "rollout_n",
            "rollout-n",
            "error",
            "GRPO needs at least 2 rollouts per prompt",
        ),
        ({"kl_coef": "1.5"}, 8, "kl_coef", "kl-range", "error", "KL coefficient 1.5 is above 1"),
        ({"kl_coef": "0.5"}, 8, "kl_coef", "kl-range", "warning", "above the usual 0..0.2"),
        (
            {"lora_rank": "16", "lora_alpha": "256"},
            8,
            "lora_alpha",
            "lora-alpha-ratio",
            "warning",
            "lora_alpha/lora_rank is 16",
        ),
        (
            {"max_response_length": "8192"},
            8,
            "max_response_length",
            "seq-length",
            "error",
            "1024 + max_response_length 8192 = 9216 exceeds context_length 4096",
        ),
        (
            {"warmup_steps": "200"},
            8,
            "warmup_steps",
            "warmup-steps",
            "error",
            "warmup_steps 200 is not below max_steps 200",
        ),
    ],
)
def test_sanity_rules(
    repo: Repo,
    cli: Cli,
    overrides: dict[str, str],
    gpus: int,
    key: str,
    rule: str,
    severity: str,
    text: str,
) -> None:
    content = job(gpus=gpus, **overrides)
    repo.write("jobs/a.yaml", content)
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    line = line_of(content, key)
    expected_prefix = f"jobs/a.yaml:{line}:3: {severity}: config.{key}: "
    rows = [r for r in result.out.splitlines() if f"[{rule}]" in r]
    assert len(rows) == 1, result
    assert rows[0].startswith(expected_prefix), rows[0]
    assert text in rows[0]
    assert result.code == (1 if severity == "error" else 0)


def test_dpo_beta_rule(repo: Repo, cli: Cli) -> None:
    repo.write(
        "jobs/d.yaml",
        "name: d\nrecipe: dpo_basic\nnum_gpus: 8\nconfig:\n"
        "  algorithm: dpo\n  beta: 2\n  learning_rate: 5.0e-7\n",
    )
    result = cli("validate", cwd=repo.root)
    assert "jobs/d.yaml:6:3: error: config.beta: DPO beta 2 is outside (0, 1] [beta-range]" in (
        result.out
    )


def test_min_gpus_rule(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/big.yaml", "name: big\nrecipe: grpo_large_scale\nnum_gpus: 4\nconfig: {}\n")
    result = cli("validate", cwd=repo.root)
    assert result.code == 1
    assert (
        "jobs/big.yaml:3:1: error: num_gpus: 4 GPUs is fewer than recipe grpo_large_scale's "
        "minimum of 16 [min-gpus]"
    ) in result.out


def test_rule_severity_overrides_from_settings(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "rules:\n  lr-range: off\n  rollout-n: warning\n")
    repo.write("jobs/a.yaml", job(learning_rate="0.5", rollout_n="1"))
    result = cli("validate", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 0, result
    assert "[lr-range]" not in result.out
    assert "warning: config.rollout_n" in result.out


def test_schema_errors_have_file_line_and_path(repo: Repo, cli: Cli) -> None:
    repo.write(
        "jobs/a.yaml",
        "name: a\nrecipe: grpo_basic\nnum_gpus: two\nlr: 1\nconfig:\n"
        "  learning_rate: fast\n  gradient_checkpointing: yes\nresult:\n  status: done\n",
    )
    result = cli("validate", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines() == [
        'jobs/a.yaml:3:1: error: num_gpus: expected integer, got string "two" [schema]',
        "jobs/a.yaml:4:1: error: lr: unknown key 'lr'; known keys: cloned_from, config, config_file, "
        "datasets, description, framework, model, model_size, name, num_gpus, recipe, result, tags "
        "[schema]",
        'jobs/a.yaml:6:3: error: config.learning_rate: expected number, got string "fast" [schema]',
        'jobs/a.yaml:7:3: error: config.gradient_checkpointing: expected boolean, got string "yes" '
        "(write true or false; gittrain reads yes/no/on/off as strings) [schema]",
        'jobs/a.yaml:9:3: error: result.status: "done" is not one of: pending, running, completed, '
        "failed, cancelled [schema]",
    ]
    assert result.err == "1 file checked: 5 errors, 0 warnings\n"


def test_missing_required_keys_point_at_the_mapping(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", "name: a\n")
    out = cli("validate", cwd=repo.root).out
    assert "jobs/a.yaml:1:1: error: missing required key 'recipe' [schema]" in out
    assert "jobs/a.yaml:1:1: error: missing required key 'config' [schema]" in out


def test_every_file_is_reported_before_exit(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", "a: 1\na: 2\n")
    repo.write("jobs/b.yaml", job(name="b", rollout_n="1"))
    repo.write("jobs/c.yaml", job(name="c"))
    repo.write("recipes/r.yaml", "name: r\nextends: grpo_basic\ndefault_config:\n  rollout_n: 1\n")
    repo.write("configs/verl.yaml", "algorithm: grpo\nlr: 0.5\n")
    repo.write("notes/ignored.yaml", "a: 1\na: 1\n")
    result = cli("validate", "--format", "json", cwd=repo.root)
    assert result.code == 1
    data = json.loads(result.out)
    paths = [f["path"] for f in data["files"]]
    assert paths == [
        "configs/verl.yaml",
        "jobs/a.yaml",
        "jobs/b.yaml",
        "jobs/c.yaml",
        "recipes/r.yaml",
    ]
    kinds = {f["path"]: f["kind"] for f in data["files"]}
    assert kinds["recipes/r.yaml"] == "recipe" and kinds["configs/verl.yaml"] == "config"
    assert data["summary"] == {"files": 5, "errors": 4, "warnings": 0}
    problem = data["files"][1]["problems"][0]
    assert problem == {
        "file": "jobs/a.yaml",
        "line": 2,
        "column": 1,
        "path": "",
        "severity": "error",
        "rule": "yaml",
        "message": "duplicate key 'a' (first defined at line 1)",
    }
    recipe_problem = data["files"][4]["problems"][0]
    assert recipe_problem["rule"] == "rollout-n"
    assert recipe_problem["path"] == "default_config.rollout_n"
    assert recipe_problem["line"] == 4


def test_yaml_traps_through_validate(repo: Repo, cli: Cli) -> None:
    cases = {
        "jobs/alias.yaml": b"name: alias\nbase: &b {x: 1}\nconfig: *b\n",
        "jobs/tab.yaml": b"name: tab\nconfig:\n\tlr: 1\n",
        "jobs/nan.yaml": b"name: nan\nconfig:\n  learning_rate: .nan\n",
        "jobs/latin1.yaml": b"name: latin1\nnotes: caf\xe9\n",
        "jobs/empty.yaml": b"",
        "jobs/list.yaml": b"- a\n",
        "jobs/two.yaml": b"a: 1\n---\nb: 2\n",
        "jobs/python.yaml": b"name: !!python/object/apply:os.system [echo]\n",
    }
    for rel, raw in cases.items():
        repo.write(rel, raw)
    before = snapshot(repo.root)
    result = cli("validate", cwd=repo.root)
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    lines = result.out.splitlines()
    assert len(lines) == len(cases)
    expected = {
        "jobs/alias.yaml:3:9: error: YAML aliases (*b) are not allowed",
        "jobs/empty.yaml: error: file is empty; expected a YAML mapping [yaml]",
        "jobs/latin1.yaml:2:11: error: not valid UTF-8 (byte 0xe9) [yaml]",
        "jobs/list.yaml:1:1: error: the top level must be a mapping, not a list [yaml]",
        "jobs/nan.yaml:3:18: error: .nan is not a finite number",
        "jobs/python.yaml:1:7: error: tag !!python/object/apply:os.system is not allowed",
        "jobs/tab.yaml:3:1: error: tab characters cannot indent YAML; use spaces [yaml]",
        "jobs/two.yaml:2:1: error: a second YAML document starts here; expected exactly one [yaml]",
    }
    for prefix in expected:
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)
    assert snapshot(repo.root) == before


def test_missing_file_is_reported_not_fatal(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job())
    result = cli("validate", "jobs/a.yaml", "jobs/nope.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out == "jobs/nope.yaml: error: no such file [io]\n"


def test_strict_fails_on_warnings(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job(learning_rate="5e-5"))
    assert cli("validate", cwd=repo.root).code == 0
    assert cli("validate", "--strict").code == 1


def test_quiet_prints_nothing_when_clean(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job())
    result = cli("validate", "-q", cwd=repo.root)
    assert (result.code, result.out, result.err) == (0, "", "")


def test_job_name_must_match_file(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job(name="other"))
    out = cli("validate", cwd=repo.root).out
    assert (
        "jobs/a.yaml:1:1: error: name: name 'other' does not match the file name 'a' [job-name]"
        in out
    )


def test_unknown_recipe_is_a_warning(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job().replace("id: grpo_basic", "id: deleted_recipe"))
    result = cli("validate", cwd=repo.root)
    assert result.code == 0
    assert "warning: recipe: recipe 'deleted_recipe' is not in the registry" in result.out


def test_settings_file_is_validated(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "version: 1\njobsdir: jobs\ndiff:\n  rules: [{match: lr}]\n")
    result = cli("validate", ".gittrain.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out.splitlines() == [
        ".gittrain.yaml:2:1: error: jobsdir: unknown key 'jobsdir'; did you mean jobs_dir? [schema]",
        ".gittrain.yaml:4:11: error: diff.rules[0]: missing required key 'tier' [schema]",
    ]


def test_broken_settings_file_is_a_one_line_error(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "jobs_dir: ../elsewhere\n")
    result = cli("validate", cwd=repo.root)
    assert result.code == 1
    assert result.err.strip() == (
        "error: .gittrain.yaml:1:1: jobs_dir: '../elsewhere' must be a relative path inside "
        "the repository"
    )


def test_custom_directories_from_settings(repo: Repo, cli: Cli) -> None:
    repo.write(".gittrain.yaml", "jobs_dir: training/jobs\nconfig_dirs: []\n")
    repo.write("training/jobs/a.yaml", job(rollout_n="1"))
    repo.write("jobs/ignored.yaml", "a: 1\na: 2\n")
    result = cli("validate", "--format", "json", cwd=repo.root)
    data = json.loads(result.out)
    assert [f["path"] for f in data["files"]] == [".gittrain.yaml", "training/jobs/a.yaml"]
    assert data["files"][1]["kind"] == "job"


def test_validate_from_subdirectory(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job(rollout_n="1"))
    result = cli("validate", "a.yaml", cwd=repo.root / "jobs")
    assert result.code == 1
    assert result.out.startswith("jobs/a.yaml:")


def test_recipe_validate_against_recipe(repo: Repo, cli: Cli) -> None:
    repo.write("configs/mine.yaml", "algorithm: dpo\nlearning_rate: 0.01\n")
    result = cli(
        "recipe",
        "validate",
        "configs/mine.yaml",
        "--recipe",
        "grpo_basic",
        "--gpus",
        "8",
        cwd=repo.root,
    )
    assert result.code == 1
    out = result.out
    assert (
        "configs/mine.yaml:1:1: error: algorithm: algorithm 'dpo' differs from recipe "
        "grpo_basic's 'grpo' [recipe-algorithm]"
    ) in out
    assert "configs/mine.yaml:2:1: error: learning_rate: learning rate 0.01 is above" in out
    assert "warning: 15 keys recipe grpo_basic sets are missing: lr_scheduler=constant," in out
    assert "learning_rate=" not in out  # spelled as learning_rate in the config
    assert "rollout_n=8" in out


def test_recipe_validate_job_fits(repo: Repo, cli: Cli) -> None:
    repo.write("jobs/a.yaml", job())
    result = cli("recipe", "validate", "jobs/a.yaml", "--recipe", "grpo_basic", cwd=repo.root)
    assert result.code == 0
    # The test job leaves out some recipe defaults: those are warnings, not errors.
    assert "error" not in result.out
    assert result.out == (
        "jobs/a.yaml:8:1: warning: config: 5 keys recipe grpo_basic sets are missing: "
        "lr_scheduler=constant, weight_decay=0.01, precision=bf16, gradient_checkpointing=true, "
        "seed=42 [recipe-keys]\n"
    )


def test_recipe_validate_bad_input(repo: Repo, cli: Cli) -> None:
    result = cli("recipe", "validate", "nope.yaml", "--recipe", "grpo_basic", cwd=repo.root)
    assert (result.code, result.err.strip()) == (1, "error: nope.yaml: no such file")
    repo.write("c.yaml", "a: 1\n")
    result = cli("recipe", "validate", "c.yaml", "--recipe", "nope")
    assert result.code == 1 and "unknown recipe 'nope'" in result.err


def test_schema_command(cli: Cli, repo: Repo) -> None:
    from gittrain.core.resources import data_dir

    names = sorted(p.name.removesuffix(".schema.json") for p in data_dir("schemas").glob("*.json"))
    assert {"job", "recipe", "settings"} <= set(names)
    assert cli("schema", cwd=repo.root).out.split() == names
    text = cli("schema", "job").out
    assert json.loads(text)["$id"] == "https://gittrain.dev/schemas/job.schema.json"
    assert cli("schema", "job", "--path").out.strip().endswith("job.schema.json")
    result = cli("schema", "nope")
    assert result.code == 2 and "unknown schema 'nope'" in result.err


def test_all_schemas_are_draft_2020_12_with_ids() -> None:
    from gittrain.core.resources import data_dir

    for path in data_dir("schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(path.name)
