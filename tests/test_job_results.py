"""`job finish --from`: metrics from what trainers write (HF Trainer files, JSON, JSONL)."""

from __future__ import annotations

import json

import pytest
from conftest import Cli, Repo, assert_one_line_error

JOB = (
    "name: a  # the job\nrecipe: sft_basic\nconfig:\n  algorithm: sft\n"
    "  learning_rate: 2.0e-5  # keep\nresult:\n  status: pending\n"
)

# Shapes as transformers' Trainer writes them (trainer_state.json: TrainerState.save_to_json,
# the *_results.json files: Trainer.save_metrics with combined=True).
TRAINER_STATE = {
    "best_global_step": None,
    "best_metric": 0.42,
    "best_model_checkpoint": "out/checkpoint-20",
    "epoch": 2.0,
    "eval_steps": 10,
    "global_step": 20,
    "is_hyper_param_search": False,
    "log_history": [
        {"epoch": 0.5, "grad_norm": 1.25, "learning_rate": 2e-05, "loss": 2.5, "step": 5},
        {
            "epoch": 1.0,
            "eval_loss": 2.1,
            "eval_runtime": 3.2,
            "eval_samples_per_second": 50.0,
            "step": 10,
        },
        {"epoch": 1.5, "grad_norm": 0.5, "learning_rate": 1e-05, "loss": 1.5, "step": 15},
        {"epoch": 2.0, "eval_loss": 1.9, "step": 20},
        {
            "epoch": 2.0,
            "step": 20,
            "total_flos": 1234567890,
            "train_loss": 1.8,
            "train_runtime": 60.5,
        },
    ],
    "logging_steps": 5,
    "max_steps": 20,
    "train_batch_size": 8,
    "trial_name": None,
}
ALL_RESULTS = {"epoch": 2.0, "eval_accuracy": 0.7, "eval_loss": 1.9, "train_loss": 1.8}


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write("jobs/a.yaml", JOB)
    repo.commit("job")
    return repo


def metrics(repo: Repo) -> dict[str, float]:
    from gittrain.adapters import yamlio

    data = yamlio.load_text(repo.root.joinpath("jobs/a.yaml").read_text(), "a").data
    assert isinstance(data, dict)
    return dict(data["result"]["metrics"])


def test_trainer_state_takes_the_last_value_of_each_key(project: Repo, cli: Cli) -> None:
    project.write("out/trainer_state.json", json.dumps(TRAINER_STATE, indent=2))
    result = cli("job", "finish", "a", "--from", "out/trainer_state.json", cwd=project.root)
    assert result.code == 0, result
    assert metrics(project) == {
        "epoch": 2.0,
        "grad_norm": 0.5,
        "learning_rate": 1e-05,
        "loss": 1.5,
        "eval_loss": 1.9,
        "eval_runtime": 3.2,
        "eval_samples_per_second": 50.0,
        "total_flos": 1234567890,
        "train_loss": 1.8,
        "train_runtime": 60.5,
        "global_step": 20,
        "best_metric": 0.42,
    }
    text = project.root.joinpath("jobs/a.yaml").read_text()
    assert text.startswith("name: a  # the job\n") and "2.0e-5  # keep" in text
    assert "status: completed" in text
    assert result.out.splitlines()[-1] == "metrics from out/trainer_state.json"


def test_a_directory_merges_the_trainer_files_eval_over_train(project: Repo, cli: Cli) -> None:
    project.write("out/trainer_state.json", json.dumps(TRAINER_STATE))
    project.write("out/all_results.json", json.dumps(ALL_RESULTS))
    project.write("out/train_results.json", json.dumps({"epoch": 2.0, "train_loss": 1.8}))
    project.write("out/eval_results.json", json.dumps({"eval_accuracy": 0.75, "epoch": 2.0}))
    result = cli(
        "job", "finish", "a", "--from", "out", "--metric-prefix", "eval_", cwd=project.root
    )
    assert result.code == 0, result
    assert metrics(project) == {
        "eval_loss": 1.9,
        "eval_runtime": 3.2,
        "eval_samples_per_second": 50.0,
        "eval_accuracy": 0.75,
    }
    files = "out/trainer_state.json, out/all_results.json, out/train_results.json, "
    assert result.out.splitlines()[-1] == f"metrics from {files}out/eval_results.json"


def test_a_killed_run_is_read_from_its_newest_checkpoint(project: Repo, cli: Cli) -> None:
    for step, loss in ((5, 3.0), (20, 1.0), (10, 2.0)):
        state = {"global_step": step, "log_history": [{"loss": loss, "step": step}]}
        project.write(f"out/checkpoint-{step}/trainer_state.json", json.dumps(state))
    result = cli("job", "finish", "a", "--from", "out", "--status", "cancelled", cwd=project.root)
    assert result.code == 0, result
    assert metrics(project) == {"loss": 1.0, "global_step": 20}
    assert "out/checkpoint-20/trainer_state.json" in result.out


def test_select_and_explicit_metrics(project: Repo, cli: Cli) -> None:
    outside = project.root.parent / "scratch" / "all_results.json"  # outside the repository
    outside.parent.mkdir()
    outside.write_text(json.dumps(ALL_RESULTS))
    result = cli(
        "job", "finish", "a", "--from", str(outside), "--select", "eval_accuracy",
        "--select", "train_loss", "--metric", "gsm8k_acc=0.5", cwd=project.root,
    )  # fmt: skip
    assert result.code == 0, result
    assert metrics(project) == {"eval_accuracy": 0.7, "train_loss": 1.8, "gsm8k_acc": 0.5}


def test_jsonl_logs_verl_and_generic(project: Repo, cli: Cli) -> None:
    lines = [
        {"step": 1, "data": {"actor/entropy": 0.9, "val-core/gsm8k/reward/mean@1": 0.3}},
        {"step": 2, "data": {"actor/entropy": 0.8}},
        {"step": 3, "data": {"val-core/gsm8k/reward/mean@1": 0.6, "note": "text is skipped"}},
    ]
    project.write("logs/metrics.jsonl", "".join(json.dumps(x) + "\n" for x in lines) + "\n")
    result = cli("job", "finish", "a", "--from", "logs/metrics.jsonl", cwd=project.root)
    assert result.code == 0, result
    assert metrics(project) == {
        "step": 3,
        "actor/entropy": 0.8,
        "val-core/gsm8k/reward/mean@1": 0.6,
    }


def test_generic_json_nested_numbers(project: Repo, cli: Cli) -> None:
    project.write(
        "eval.json",
        json.dumps({"gsm8k": {"acc": 0.71, "n": 1319}, "model": "x", "ok": True, "xs": [1]}),
    )
    result = cli("job", "finish", "a", "--from", "eval.json", cwd=project.root)
    assert result.code == 0, result
    assert metrics(project) == {"gsm8k/acc": 0.71, "gsm8k/n": 1319}


def test_a_superseded_nan_is_fine_a_recorded_one_is_not(project: Repo, cli: Cli) -> None:
    # fp16 runs log grad_norm NaN at skipped steps; only the value recorded must be finite.
    history = [{"grad_norm": float("nan"), "loss": 2.0}, {"grad_norm": 1.0, "loss": 1.0}]
    project.write("ok.json", json.dumps({"log_history": history}))
    assert cli("job", "finish", "a", "--from", "ok.json", cwd=project.root).code == 0
    assert metrics(project)["grad_norm"] == 1.0
    before = project.root.joinpath("jobs/a.yaml").read_bytes()
    project.write("bad.json", json.dumps({"log_history": history[::-1]}))
    result = cli("job", "finish", "a", "--from", "bad.json", cwd=project.root)
    assert_one_line_error(result, 1, "bad.json: log_history[1]: grad_norm is NaN")
    assert project.root.joinpath("jobs/a.yaml").read_bytes() == before
    result = cli("job", "finish", "a", "--from", "bad.json", "--select", "loss", cwd=project.root)
    assert result.code == 0, result


def test_keys_that_are_not_metric_names_are_left_out_with_a_warning(
    project: Repo, cli: Cli
) -> None:
    project.write("r.json", json.dumps({"eval acc": 0.5, "eval_acc": 0.5}))
    result = cli("job", "finish", "a", "--from", "r.json", cwd=project.root)
    assert result.code == 0, result
    assert metrics(project) == {"eval_acc": 0.5}
    assert result.err == "warning: r.json: left out keys that are not metric names: 'eval acc'\n"


@pytest.mark.parametrize(
    ("name", "content", "code", "needle"),
    [
        ("missing", None, 1, "nope.json: no such file or directory"),
        ("garbled", '{"a": 1,\n "b": }', 1, "r.json:2:7: not valid JSON: Expecting value"),
        ("nan", '{"a": NaN}', 1, "r.json: a is NaN; a metric must be a finite number"),
        ("infinity", '{"a": -Infinity}', 1, "r.json: a is -Infinity"),
        ("no-number", '{"a": "x", "b": [1]}', 1, "r.json: no numeric metric"),
        ("a-list", "[1, 2]", 1, "r.json: expected a JSON object, not a list"),
        ("not-utf8", b'{"a": "\xff"}', 1, "r.json: not valid UTF-8"),
        ("select-unknown", '{"a": 1}', 1, "r.json: no metric 'zz' (metrics here: a)"),
        ("prefix-nothing", '{"a": 1}', 1, "r.json: no numeric metric starting with 'eval_'"),
    ],
)
def test_bad_results_leave_the_job_untouched(
    project: Repo, cli: Cli, name: str, content: str | bytes | None, code: int, needle: str
) -> None:
    if content is not None:
        project.write("r.json", content)
    before = project.root.joinpath("jobs/a.yaml").read_bytes()
    args = ["job", "finish", "a", "--from", "nope.json" if content is None else "r.json"]
    if name == "select-unknown":
        args += ["--select", "zz"]
    if name == "prefix-nothing":
        args += ["--metric-prefix", "eval_"]
    assert_one_line_error(cli(*args, cwd=project.root), code, needle)
    assert project.root.joinpath("jobs/a.yaml").read_bytes() == before


def test_bad_jsonl_lines_are_named(project: Repo, cli: Cli) -> None:
    before = project.root.joinpath("jobs/a.yaml").read_bytes()
    project.write("m.jsonl", '{"loss": 1}\n{"loss": \n')
    result = cli("job", "finish", "a", "--from", "m.jsonl", cwd=project.root)
    assert_one_line_error(result, 1, "m.jsonl:2:10: not valid JSON")
    project.write("m.jsonl", '{"loss": 1}\n\n{"loss": NaN}\n')
    result = cli("job", "finish", "a", "--from", "m.jsonl", cwd=project.root)
    assert_one_line_error(result, 1, "m.jsonl:3: loss is NaN")
    project.write("m.jsonl", '{"loss": 1}\n[1]\n')
    result = cli("job", "finish", "a", "--from", "m.jsonl", cwd=project.root)
    assert_one_line_error(result, 1, "m.jsonl:2: expected a JSON object, not a list")
    assert project.root.joinpath("jobs/a.yaml").read_bytes() == before


def test_usage_errors(project: Repo, cli: Cli) -> None:
    result = cli("job", "finish", "a", cwd=project.root)
    assert_one_line_error(result, 2, "--status", "--from PATH")
    result = cli("job", "finish", "a", "--status", "failed", "--select", "x", cwd=project.root)
    assert_one_line_error(result, 2, "need --from PATH")
    result = cli("job", "finish", "a", "--from", "empty", cwd=project.root)
    assert_one_line_error(result, 1, "empty: no such file or directory")
    (project.root / "empty").mkdir()
    result = cli("job", "finish", "a", "--from", "empty", cwd=project.root)
    assert_one_line_error(result, 1, "empty: no trainer_state.json, all_results.json")
