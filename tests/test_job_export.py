"""`git train job export`: a job in each framework's own keys, and back again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli, Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gittrain.adapters import yamlio
from gittrain.core.dialects import view as view_mod
from gittrain.core.dialects.config import read_own
from gittrain.core.dialects.export import export, runs
from gittrain.core.dialects.keys import unknown_keys
from gittrain.core.dialects.vocabulary import Effective, shipped
from gittrain.core.resources import data_dir
from gittrain.errors import GittrainError

VOCABULARY = shipped()
FRAMEWORKS = [d.name for d in VOCABULARY.frameworks]
RECIPES = sorted(p.stem for p in data_dir("recipes").glob("*.yaml"))


def _recipe_values(recipe: str) -> dict[str, object]:
    doc = yamlio.load_file(data_dir("recipes") / f"{recipe}.yaml", recipe)
    assert isinstance(doc.data, dict)
    outside = {"algorithm": view_mod.Value(doc.data["recommended_algorithm"], None)}
    view = read_own(
        doc,
        Effective(VOCABULARY, {}),
        doc.data["default_config"],
        ("default_config",),
        "recipe",
        outside=outside,
    ).view
    return {idea: value.value for idea, value in view.values.items()}


def _round_trip(framework: str, values: dict[str, object]) -> None:
    target = VOCABULARY.get(framework)
    try:
        exported = export(VOCABULARY, target, values)
    except GittrainError as exc:
        # Only a framework that names the algorithm by a component gittrain cannot choose.
        assert "from names gittrain cannot choose" in exc.message, exc.message
        return
    # Every key written is one the framework's pinned release knows.
    assert list(unknown_keys(target, exported.config)) == []
    # Read back as gittrain reads the exported file beside the command that runs it.
    carried = {i: view_mod.Value(values[i], None) for i in exported.carried}
    back = view_mod.read(VOCABULARY, target, exported.config, given=carried).values
    skipped = {idea for idea, _ in exported.unexpressed} | {"global_batch"}
    for idea, value in values.items():
        if idea in skipped:
            continue
        assert idea in back, (framework, idea, exported.config)
        assert back[idea].value == value, (framework, idea, back[idea].value, value)


CASES = [
    pytest.param(recipe, framework, id=f"{recipe}-{framework}")
    for recipe in RECIPES
    for framework in FRAMEWORKS
    if str(_recipe_values(recipe)["algorithm"]) in runs(VOCABULARY.get(framework))
]


@pytest.mark.parametrize(("recipe", "framework"), CASES)
def test_every_recipe_round_trips_through_every_framework_that_runs_it(
    recipe: str, framework: str
) -> None:
    _round_trip(framework, _recipe_values(recipe))


def test_the_cases_cover_each_framework() -> None:
    covered = {case.values[1] for case in CASES}
    assert covered == set(FRAMEWORKS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    framework=st.sampled_from(FRAMEWORKS),
    data=st.data(),
    lr=st.floats(min_value=1e-8, max_value=1e-2, allow_nan=False),
    per_device=st.integers(min_value=1, max_value=64),
    accumulation=st.integers(min_value=1, max_value=64),
    group=st.integers(min_value=2, max_value=16),
    kl=st.floats(min_value=0.0, max_value=0.5, allow_nan=False),
    beta=st.floats(min_value=0.01, max_value=0.5, allow_nan=False),
    method=st.sampled_from(["full", "lora"]),
    rank=st.sampled_from([8, 16, 64]),
)
def test_any_values_round_trip(
    framework: str,
    data: st.DataObject,
    lr: float,
    per_device: int,
    accumulation: int,
    group: int,
    kl: float,
    beta: float,
    method: str,
    rank: int,
) -> None:
    algorithm = data.draw(st.sampled_from(sorted(runs(VOCABULARY.get(framework)))))
    values: dict[str, object] = {
        "algorithm": algorithm,
        "finetuning": method,
        "learning_rate": lr,
        "per_device_batch": per_device,
        "accumulation": accumulation,
        "model": "Qwen/Qwen2.5-7B-Instruct",
    }
    if method == "lora":
        values.update(lora_rank=rank, lora_alpha=2 * rank)
    if algorithm in ("grpo", "rloo"):
        values.update(group_size=group, kl_coef=kl)
    if algorithm in ("dpo", "ipo", "kto"):
        values["pref_beta"] = beta
    _round_trip(framework, values)


JOB = """\
name: a
recipe: grpo_basic
model: Qwen/Qwen2.5-7B-Instruct
num_gpus: 8
datasets:
  train: gsm8k
config:
  algorithm: grpo
  learning_rate: 1.0e-6
  per_device_batch_size: 4
  gradient_accumulation_steps: 32
  rollout_n: 8
  kl_coef: 0.001
  max_prompt_length: 1024
  max_response_length: 3072
"""


@pytest.fixture
def job_repo(repo: Repo, cli: Cli) -> Repo:
    repo.write("data/gsm8k.jsonl", '{"prompt": "1+1?"}\n')
    assert cli("data", "add", "data/gsm8k.jsonl", "--name", "gsm8k", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", JOB)
    repo.commit("a job")
    return repo


def test_verl_prints_the_hydra_command(job_repo: Repo, cli: Cli) -> None:
    result = cli("job", "export", "a", "--to", "verl", cwd=job_repo.root)
    assert result.code == 0, result
    (line,) = result.out.splitlines()
    assert line.startswith("python3 -m verl.trainer.main_ppo algorithm.adv_estimator=grpo ")
    for override in (
        "actor_rollout_ref.actor.optim.lr=1.0e-06",
        "actor_rollout_ref.rollout.n=8",
        "data.train_files=data/gsm8k.jsonl",  # the lockfile name resolved to the locked path
        "trainer.n_gpus_per_node=8",
    ):
        assert f" {override}" in line, override


@pytest.mark.parametrize("framework", ["trl", "axolotl", "verl", "torchtune"])
def test_an_exported_file_validates_in_its_dialect(
    job_repo: Repo, cli: Cli, framework: str
) -> None:
    out = f"configs/a.{framework}.yaml"
    # torchtune's configs are component trees gittrain cannot choose (model, tokenizer,
    # checkpointer): its export is merged into a recipe's config, so name its dialect.
    job_repo.write(
        ".gittrain.yaml", "version: 1\ndialects:\n  'configs/*.torchtune.yaml': torchtune\n"
    )
    result = cli("job", "export", "a", "--to", framework, "-o", out, cwd=job_repo.root)
    assert result.code == 0, result
    assert result.out.splitlines()[0] == f"wrote {out} ({VOCABULARY.get(framework).title})"
    check = cli("validate", "--format", "json", out, cwd=job_repo.root)
    report = json.loads(check.out)["files"][0]
    assert report["dialect"] == framework, report
    assert report["problems"] == [], report["problems"]


def test_what_a_framework_cannot_say_is_listed(job_repo: Repo, cli: Cli) -> None:
    result = cli("job", "export", "a", "--to", "axolotl", cwd=job_repo.root)
    assert result.code == 0
    assert "note: axolotl has no key for num_gpus (8); not exported" in result.err
    assert "# Not expressible in axolotl: num_gpus = 8" in result.out


def test_an_algorithm_the_framework_does_not_run_is_refused(job_repo: Repo, cli: Cli) -> None:
    before = sorted(p.name for p in job_repo.root.rglob("*") if ".git" not in p.parts)
    result = cli(
        "job", "export", "a", "--to", "llamafactory", "-o", "configs/x.yaml", cwd=job_repo.root
    )
    assert result.code == 1
    assert result.err == (
        "error: jobs/a.yaml: LLaMA-Factory does not run GRPO "
        "(it runs dpo, ipo, kto, orpo, ppo, pretrain, reward, sft, simpo)\n"
    )
    assert sorted(p.name for p in job_repo.root.rglob("*") if ".git" not in p.parts) == before


def test_bad_export_arguments(job_repo: Repo, cli: Cli) -> None:
    unknown = cli("job", "export", "a", "--to", "megatron", cwd=job_repo.root)
    assert unknown.code == 2 and "--to megatron: unknown framework" in unknown.err
    missing = cli("job", "export", "nope", "--to", "trl", cwd=job_repo.root)
    assert missing.code == 1 and "no job 'nope'" in missing.err
    job_repo.write("configs/taken.yaml", "x: 1\n")
    taken = cli("job", "export", "a", "--to", "trl", "-o", "configs/taken.yaml", cwd=job_repo.root)
    assert taken.code == 1 and "already exists" in taken.err
    assert (job_repo.root / "configs/taken.yaml").read_text() == "x: 1\n"


def test_export_at_a_revision(job_repo: Repo, cli: Cli) -> None:
    Path(job_repo.root / "jobs/a.yaml").write_text(JOB.replace("1.0e-6", "2.0e-6"))
    now = cli("job", "export", "a", "--to", "trl", cwd=job_repo.root)
    then = cli("job", "export", "a@HEAD", "--to", "trl", cwd=job_repo.root)
    assert "learning_rate: 2.0e-06" in now.out
    assert "learning_rate: 1.0e-06" in then.out


TRAINER = """\
import os, sys, yaml
config = yaml.safe_load(open(os.environ["GITTRAIN_CONFIG"]))
sys.exit(0 if config["num_generations"] == 8 and config["learning_rate"] == 1e-6 else 5)
"""


def test_job_run_hands_the_trainer_its_own_keys(job_repo: Repo, cli: Cli) -> None:
    import sys

    job_repo.write("trainer.py", TRAINER)
    result = cli(
        "job", "run", "a", "--to", "trl", "--", sys.executable, "trainer.py", cwd=job_repo.root
    )  # fmt: skip
    assert result.code == 0, result
    assert "status: completed" in (job_repo.root / "jobs/a.yaml").read_text()
