"""`diff` and `review` output on framework configs (verl, TRL, LLaMA-Factory, ...) in real repos.

Every config here is a copy of a fixture in tests/fixtures/dialects, edited and committed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Repo, snapshot

from gittrain.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dialects"
VERL = (FIXTURES / "verl/valid/grpo_qwen2_7b_full.yaml").read_text(encoding="utf-8")
TRL_DPO = (FIXTURES / "trl/valid/dpo_full.yaml").read_text(encoding="utf-8")
TRL_SFT = (FIXTURES / "trl/valid/sft_full.yaml").read_text(encoding="utf-8")
LF_SFT = (FIXTURES / "llamafactory/valid/llama3_lora_sft.yaml").read_text(encoding="utf-8")


def invoke(cwd: Path, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        return CliRunner().invoke(cli, list(args))


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


@pytest.fixture
def frameworks(repo: Repo) -> Repo:
    """main: TRL DPO and SFT configs; topic: DPO's lr doubled, SFT gone, verl GRPO added."""
    repo.write("configs/trl/dpo.yaml", TRL_DPO)
    repo.write("configs/trl/sft.yaml", TRL_SFT)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write(
        "configs/trl/dpo.yaml",
        edit(TRL_DPO, "learning_rate: 5.0e-7", "learning_rate: 1.0e-6"),
    )
    repo.write("configs/verl/grpo.yaml", VERL)
    repo.git("rm", "-q", "configs/trl/sft.yaml")
    repo.commit("topic")
    return repo


# ------------------------------------------------------------- 1. review lists every config


def test_review_lists_framework_configs_with_their_changes(frameworks: Repo) -> None:
    result = invoke(frameworks.root, "review", "main...topic", "--format", "text")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "3 changes in 3 files: 1 modified, 1 file added, 1 file deleted"
    assert lines[2] == "WARNING: 1 critical change"
    listed = result.stdout.split("Changed config files\n")[1].split("\n\n")[0]
    assert listed.splitlines()[:2] == [
        "  [~] configs/trl/dpo.yaml (config, trl)",
        "    [~] learning_rate: 5e-07 → 1e-06 (×2, +100%)  (critical)",
    ]
    assert "  [+] configs/verl/grpo.yaml (config, added; verl, 297 keys): algorithm grpo" in listed
    assert "  [-] configs/trl/sft.yaml (config, deleted; trl, " in listed
    assert "keys): algorithm sft, finetuning full, learning rate 1e-05" in listed


def test_review_critical_count_matches_what_is_listed(frameworks: Repo) -> None:
    frameworks.write(
        "configs/verl/grpo.yaml",
        edit(VERL, "adv_estimator: grpo", "adv_estimator: gae").replace(
            "lr: 1.0e-06", "lr: 2.0e-06", 1
        ),
    )
    frameworks.commit("verl: ppo")
    text = invoke(frameworks.root, "review", "main...topic", "--format", "text").stdout
    # The verl file is new on the branch: summarised, and its keys are not critical changes.
    assert "WARNING: 1 critical change\n" in text
    markdown = invoke(frameworks.root, "review", "HEAD~1...HEAD").stdout
    assert "> **Warning:** 2 critical changes" in markdown
    listed = re.findall(r"— _critical_", markdown)
    assert len(listed) == 2, markdown
    assert "- **`configs/verl/grpo.yaml`** (config, verl)\n" in markdown
    assert '  - [~] `algorithm.adv_estimator` "grpo" → "gae" — _critical_\n' in markdown


def test_review_counts_files_with_only_normal_changes(frameworks: Repo) -> None:
    dpo = frameworks.root / "configs/trl/dpo.yaml"
    frameworks.write("configs/trl/dpo.yaml", dpo.read_text() + "run_description: normal\n")
    frameworks.commit("seed")
    text = invoke(frameworks.root, "review", "HEAD~1...HEAD", "--format", "text").stdout
    assert "  none with critical or important changes\n" in text
    assert "  (1 more file with only normal changes; `git train diff` shows them)\n" in text


# ----------------------------------------------------- 2. added and deleted files summarised


def test_added_file_is_one_change_not_a_critical_change_per_key(frameworks: Repo) -> None:
    frameworks.write("configs/trl/dpo.yaml", TRL_DPO)  # only the added and deleted files
    frameworks.commit("keep the lr")
    root = frameworks.root
    text = invoke(root, "diff", "main", "topic").stdout
    assert text.splitlines()[1] == "2 changes in 2 files: 1 file added, 1 file deleted"
    assert "WARNING" not in text
    assert "Critical" not in text  # no key rows at all
    line = next(x for x in text.splitlines() if "configs/verl/grpo.yaml" in x)
    assert line == (
        "  [+] configs/verl/grpo.yaml (config, added; verl, 297 keys): algorithm grpo, "
        "finetuning full, learning rate 1e-06, per device batch 16, accumulation 16, "
        "prompt batch 1024, epochs 15, model Qwen/Qwen2-7B-Instruct, "
        "datasets ~/data/gsm8k/train.parquet"
    )
    # Decided: an added or deleted file is one change at the important tier.
    codes = {
        args: invoke(root, "diff", "main", "topic", *args).exit_code
        for args in [
            (),
            ("--fail-on", "critical"),
            ("--fail-on", "important"),
            ("--exit-code",),
        ]
    }
    assert codes == {
        (): 0,
        ("--fail-on", "critical"): 0,
        ("--fail-on", "important"): 1,
        ("--exit-code",): 1,
    }
    assert invoke(root, "review", "main...topic", "--fail-on", "critical").exit_code == 0


def test_added_file_in_markdown_and_json(frameworks: Repo) -> None:
    root = frameworks.root
    markdown = invoke(root, "diff", "main", "topic", "--format", "markdown").stdout
    assert "**3 changes in 3 files: 1 modified, 1 file added, 1 file deleted**" in markdown
    assert "> **Warning:** 1 critical change\n" in markdown
    assert "#### Added and deleted files\n\n- [-] `configs/trl/sft.yaml` (config, deleted; " in (
        markdown
    )
    assert "\n- [+] `configs/verl/grpo.yaml` (config, added; verl, 297 keys): algorithm grpo" in (
        markdown
    )
    data = json.loads(invoke(root, "diff", "main", "topic", "--format", "json").stdout)
    added = next(f for f in data["files"] if f["status"] == "added")
    assert added["dialect"] == "verl"
    assert added["contents"]["keys"] == 297
    assert added["contents"]["critical"]["algorithm"] == "grpo"
    assert added["contents"]["critical"]["learning_rate"] == 1e-06
    assert len(added["changes"]) > 100  # JSON still lists every key, for tools
    assert data["summary"]["critical"] == 1
    assert data["summary"]["files_added"] == data["summary"]["files_deleted"] == 1


def test_added_job_is_summarised_too(repo: Repo) -> None:
    repo.write("jobs/a.yaml", "name: a\nrecipe: grpo_basic\nconfig:\n  learning_rate: 1.0e-6\n")
    repo.git("add", "-A")
    text = invoke(repo.root, "diff", "--cached").stdout
    assert "1 change in 1 file: 1 file added\n" in text
    assert (
        "  [+] jobs/a.yaml (job, added; gittrain, 3 keys): finetuning full, learning rate 1e-06\n"
        in (text)
    )


# ------------------------------------------------------------------------- 3. headers


def test_header_counts_changes_in_every_format(repo: Repo) -> None:
    repo.write("configs/lf/sft.yaml", LF_SFT)
    repo.commit("base")
    repo.write(
        "configs/lf/sft.yaml",
        edit(LF_SFT, "learning_rate: 1.0e-4", "learning_rate: 2.0e-4").replace(
            "cutoff_len: 2048", "cutoff_len: 4096"
        )
        + "lora_dropout_extra: 0.1\n",
    )
    root = repo.root
    assert invoke(root, "diff").stdout.splitlines()[1] == (
        "3 changes in 1 file: 2 modified, 1 added"
    )
    assert (
        "**3 changes in 1 file: 2 modified, 1 added**"
        in invoke(root, "diff", "--format", "markdown").stdout
    )
    summary = json.loads(invoke(root, "diff", "--format", "json").stdout)["summary"]
    assert (summary["changes"], summary["files"], summary["modified"], summary["added"]) == (
        3,
        1,
        2,
        1,
    )


# -------------------------------------------------------- 4. YAML outside the configured paths


def test_yaml_outside_the_paths_is_named(frameworks: Repo) -> None:
    root = frameworks.root
    frameworks.write("ci/deploy.yaml", "replicas: 2\n")
    frameworks.write("experiments/a.yml", "lr: 1\n")
    frameworks.write(".github/workflows/ci.yaml", "on: push\n")
    frameworks.write(".gittrain.yaml", "config_dirs: [configs]\n")
    frameworks.commit("outside")
    frameworks.write("ci/deploy.yaml", "replicas: 3\n")
    frameworks.write("experiments/a.yml", "lr: 2\n")
    frameworks.write(".github/workflows/ci.yaml", "on: pull_request\n")
    result = invoke(root, "diff", "--exit-code")
    assert result.exit_code == 0  # exit codes stay as they were: nothing in the paths changed
    assert result.stdout.endswith(
        "no config changes\n\n2 YAML files changed outside the configured paths "
        "(ci/deploy.yaml, experiments/a.yml); add them with `diff: paths:` in .gittrain.yaml "
        "or name them after --\n"
    )
    named = invoke(root, "diff", "--", "ci/deploy.yaml")
    assert "[~] replicas: 2 → 3" in named.stdout and "outside" not in named.stdout
    data = json.loads(invoke(root, "diff", "--format", "json").stdout)
    assert data["skipped"] == ["ci/deploy.yaml", "experiments/a.yml"]
    markdown = invoke(root, "diff", "--format", "markdown").stdout
    assert "_2 YAML files changed outside the configured paths (`ci/deploy.yaml`, " in markdown
    frameworks.write(".gittrain.yaml", "diff:\n  paths: ['configs/**', 'ci/**']\n")
    text = invoke(root, "diff").stdout
    assert "1 YAML file changed outside the configured paths (experiments/a.yml); add it" in text
    frameworks.commit("outside, committed")
    review = invoke(root, "review", "HEAD~1...HEAD", "--format", "text").stdout
    assert "(experiments/a.yml); add it with `diff: paths:`" in review


# ------------------------------------------------------------------------ 5. --no-index


@pytest.fixture
def loose(tmp_path: Path) -> Path:
    """Two verl configs in a directory that is no git repository."""
    where = tmp_path / "loose"
    where.mkdir()
    (where / "a.yaml").write_text(VERL, encoding="utf-8")
    (where / "b.yaml").write_text(
        edit(VERL, "adv_estimator: grpo", "adv_estimator: gae"), encoding="utf-8"
    )
    return where


def test_no_index_compares_two_files_outside_git(loose: Path) -> None:
    result = invoke(loose, "diff", "--no-index", "a.yaml", "b.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "git train diff: a.yaml → b.yaml",
        "1 change in 1 file: 1 modified",
        "WARNING: 1 critical change",
    ]
    assert "  [~] a.yaml → b.yaml (config, verl)\n" in result.stdout
    assert '    [~] algorithm.adv_estimator: "grpo" → "gae"\n' in result.stdout
    assert (
        invoke(loose, "diff", "--no-index", "a.yaml", "b.yaml", "--fail-on", "critical").exit_code
        == 1
    )
    assert invoke(loose, "diff", "--no-index", "a.yaml", "a.yaml", "--exit-code").exit_code == 0
    data = json.loads(
        invoke(loose, "diff", "--no-index", "--format", "json", "--", "a.yaml", "b.yaml").stdout
    )
    assert data["old"] == {"kind": "file", "label": "a.yaml", "commit": None}
    assert data["files"][0]["dialect"] == "verl"
    markdown = invoke(loose, "diff", "--no-index", "a.yaml", "b.yaml", "--format", "markdown")
    assert "| [~] | `b.yaml` | `algorithm.adv_estimator` |" in markdown.stdout


def test_no_index_dev_null_is_an_added_file(loose: Path) -> None:
    result = invoke(loose, "diff", "--no-index", "/dev/null", "b.yaml")
    assert result.exit_code == 0
    assert "1 change in 1 file: 1 file added\n" in result.stdout
    assert "(config, added; verl, 297 keys): algorithm ppo" in result.stdout


def test_no_index_inside_a_repository_uses_its_settings(repo: Repo, loose: Path) -> None:
    repo.write(".gittrain.yaml", "diff:\n  rules:\n    - {match: adv_estimator, tier: noise}\n")
    repo.write("a.yaml", VERL)
    outside = str(loose / "b.yaml")
    result = invoke(repo.root, "diff", "--no-index", "a.yaml", outside, "--fail-on", "critical")
    assert result.exit_code == 0, result.output
    assert "(1 noise change hidden; --all shows them)" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("missing.yaml", "b.yaml"), 2, "error: missing.yaml: no such file\n"),
        (("a.yaml", "sub"), 2, "error: sub: is a directory (--no-index compares two files)\n"),
        (("a.yaml",), 2, "error: --no-index takes exactly two files: A B\n"),
        (("a.yaml", "b.yaml", "c.yaml"), 2, "error: --no-index takes exactly two files: A B\n"),
        (("/dev/null", "/dev/null"), 2, "error: --no-index: both sides are /dev/null\n"),
        (("--cached", "a.yaml", "b.yaml"), 2, "error: --no-index takes exactly two files: A B\n"),
    ],
)
def test_no_index_bad_input(loose: Path, args: tuple[str, ...], code: int, message: str) -> None:
    (loose / "sub").mkdir()
    before = snapshot(loose)
    result = invoke(loose, "diff", "--no-index", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message)
    assert snapshot(loose) == before


def test_no_index_unparsable_file_names_its_line(loose: Path) -> None:
    (loose / "bad.yaml").write_text("trainer:\n  n_gpus_per_node: [8\n", encoding="utf-8")
    result = invoke(loose, "diff", "--no-index", "a.yaml", "bad.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert re.fullmatch(r"error: bad\.yaml:\d+:\d+: .+\n", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------- 6. 100 configs, one comment


def _hundred(repo: Repo) -> list[str]:
    paths = [f"configs/sweep/run_{i:03d}.yaml" for i in range(100)]
    for path in paths:
        repo.write(path, LF_SFT)
    repo.commit("a sweep of 100 configs")
    return paths


def test_identical_changes_across_files_are_grouped(repo: Repo) -> None:
    paths = _hundred(repo)
    for i, path in enumerate(paths):
        text = LF_SFT.replace("cutoff_len: 2048", f"cutoff_len: {2048 + i + 1}")
        if i < 21:
            text = edit(text, "learning_rate: 1.0e-4", "learning_rate: 2.0e-4")
        repo.write(path, text)
    repo.commit("sweep")
    result = invoke(repo.root, "diff", "HEAD~1", "HEAD", "--format", "markdown")
    out = result.stdout
    assert len(out) <= 65_536
    assert "**121 changes in 100 files: 121 modified**" in out
    (grouped,) = [line for line in out.splitlines() if "`learning_rate`" in line]
    assert grouped.startswith("| [~] | 21 files: `configs/sweep/run_000.yaml`, ")
    assert grouped.endswith("| `learning_rate` | 0.0001 → 0.0002 (×2, +100%) |")
    assert grouped.count("`configs/sweep/") == 21
    assert out.count("`cutoff_len`") == 100  # each a different value: one row per file
    assert "left out" not in out


def test_markdown_is_cut_at_a_file_boundary_to_fit_one_comment(repo: Repo) -> None:
    paths = _hundred(repo)
    for i, path in enumerate(paths):
        notes = "".join(
            f"sweep_note_{k}: run {i} variant {k}, a description long enough to fill a comment\n"
            for k in range(10)
        )
        repo.write(path, edit(LF_SFT, "learning_rate: 1.0e-4", "learning_rate: 2.0e-4") + notes)
    repo.commit("sweep")
    result = invoke(repo.root, "diff", "HEAD~1", "HEAD", "--format", "markdown")
    out = result.stdout
    assert result.exit_code == 0
    assert len(out) <= 65_536
    assert "**1100 changes in 100 files: 100 modified, 1000 added**" in out
    # The shared change is one row, whatever the cut.
    assert "| [~] | 100 files: `configs/sweep/run_000.yaml`" in out
    trailer = re.search(
        r"_(\d+) more files left out to fit one GitHub comment; "
        r"`git train diff 'HEAD~1' HEAD --format text` shows all._\n$",
        out,
    )
    assert trailer, out[-300:]
    left = int(trailer.group(1))
    shown = sorted({m for m in re.findall(r"\| `(configs/sweep/run_\d+\.yaml)` \|", out)})
    assert len(shown) == 100 - left and 0 < len(shown) < 100
    assert shown == paths[: len(shown)]  # the first files, in order
    for path in shown:  # never a file half shown
        assert out.count(f"| `{path}` |") == 10
    text = invoke(repo.root, "diff", "HEAD~1", "HEAD", "--format", "text").stdout
    assert all(f"  {p}\n" in text for p in paths)


def test_review_markdown_fits_one_comment(repo: Repo) -> None:
    paths = _hundred(repo)
    repo.git("checkout", "-q", "-b", "topic")
    important = [
        (
            "model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct",
            "model_name_or_path: org/m-{i}",
        ),
        ("dataset: identity,alpaca_en_demo", "dataset: identity_{i}"),
        ("cutoff_len: 2048", "cutoff_len: {i}01"),
        ("max_samples: 1000", "max_samples: {i}02"),
        ("lora_rank: 8", "lora_rank: {i}03"),
        ("lora_alpha: 16", "lora_alpha: {i}04"),
        ("num_train_epochs: 3.0", "num_train_epochs: {i}05"),
        ("warmup_ratio: 0.1", "warmup_ratio: 0.{i}06"),
        ("template: llama3", "template: t{i}07"),
        ("learning_rate: 1.0e-4", "learning_rate: {i}08.0e-6"),
    ]
    for i, path in enumerate(paths):
        text = LF_SFT
        for old, new in important:
            text = edit(text, old, new.format(i=i + 1))
        repo.write(path, text)
    repo.commit("sweep")
    out = invoke(repo.root, "review", "main...topic").stdout
    assert len(out) <= 65_536
    trailer = re.search(
        r"_(\d+) more files left out to fit one GitHub comment; "
        r"`git train review main...topic --format text` shows all._",
        out,
    )
    assert trailer, out[-500:]
    shown = re.findall(r"^- \*\*`(configs/sweep/run_\d+\.yaml)`\*\*", out, re.MULTILINE)
    assert shown == paths[: 100 - int(trailer.group(1))]
    assert "### Validation problems in the changed files" in out  # later sections stay
    assert out.rstrip().endswith("_None._")


def test_fit_cuts_lines_when_even_the_groups_are_too_long() -> None:
    from gittrain.cli.diffmarkdown import fit

    def render(k: int, names: int | None) -> list[str]:
        return ["header", *(f"group {i} " + "x" * 50 for i in range(100))]

    out = fit(render, 3, "git train diff --format text", limit=1_000)
    assert len(out) <= 1_000
    assert out.startswith("header\ngroup 0 ")
    assert out.endswith(
        "_Cut to fit one GitHub comment; `git train diff --format text` shows everything._\n"
    )


# ------------------------------------------------------------------- 7. derived quantities


def test_unchanged_derived_value_is_no_change(repo: Repo) -> None:
    repo.write(
        ".gittrain.yaml",
        "diff:\n  rules:\n"
        "    - {match: per_device_train_batch_size, tier: normal}\n"
        "    - {match: gradient_accumulation_steps, tier: normal}\n",
    )
    repo.write("configs/lf/sft.yaml", LF_SFT)
    repo.commit("base")
    same_product = edit(
        edit(LF_SFT, "per_device_train_batch_size: 1", "per_device_train_batch_size: 2"),
        "gradient_accumulation_steps: 8",
        "gradient_accumulation_steps: 4",
    )
    repo.write("configs/lf/sft.yaml", same_product)
    root = repo.root
    for fmt in ("text", "markdown", "json"):
        out = invoke(root, "diff", "--format", fmt).stdout
        assert "unchanged" not in out
        assert "step batch" not in out
    assert invoke(root, "diff", "--fail-on", "critical").exit_code == 0
    assert invoke(root, "diff", "--fail-on", "normal").exit_code == 1
    assert "2 changes in 1 file: 2 modified\n" in invoke(root, "diff").stdout
    # The control: when the product changes, the derived line is there and is critical.
    repo.write(
        "configs/lf/sft.yaml",
        edit(same_product, "gradient_accumulation_steps: 4", "gradient_accumulation_steps: 8"),
    )
    text = invoke(root, "diff").stdout
    assert (
        "    [~] per-device step batch (per-device x accumulation; GPUs unknown): "
        "8 → 16 (×2, +100%)  (derived)\n"
    ) in text
    assert invoke(root, "diff", "--fail-on", "critical").exit_code == 1


def test_a_derived_change_with_equal_sides_is_never_a_row() -> None:
    from gittrain.cli.diffformat import rows
    from gittrain.core.filediff import DerivedChange, FileDiff, FileKind, FileStatus

    file = FileDiff(
        FileStatus.MODIFIED,
        "a.yaml",
        "a.yaml",
        FileKind.CONFIG,
        derived=(DerivedChange("global batch", 32, 32),),
    )
    assert rows([file], show_all=True) == []
