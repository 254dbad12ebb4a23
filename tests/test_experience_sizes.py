"""Size-aware experience: --model-size, suggest's window, size buckets, failed runs near a job,
other spellings through the canonical view, and the REST platform's field names."""

from __future__ import annotations

import json

import pytest
from conftest import Cli, Repo, assert_one_line_error

from gittrain.core import settings
from gittrain.core.runs.mining import mine
from gittrain.core.sizes import parse_range


def job(
    name: str,
    status: str | None,
    *,
    size: str = "7B",
    recipe: str = "grpo_basic",
    lr: float = 1e-6,
    metrics: str = "",
    batch: int = 1024,
    extra: str = "",
    lr_key: str = "learning_rate",
) -> str:
    text = (
        f"name: {name}\nrecipe: {recipe}\nmodel_size: {size}\nnum_gpus: 8\n"
        f"config:\n  algorithm: grpo\n  {lr_key}: {lr}\n  global_batch_size: {batch}\n{extra}"
    )
    if status is not None:
        text += f"result:\n  status: {status}\n"
        if metrics:
            text += f"  metrics: {{{metrics}}}\n"
    return text


def commit_jobs(repo: Repo, plan: list[tuple[str, str]]) -> dict[str, str]:
    """Each (name, job text) in its own commit; returns name -> abbreviated commit."""
    made = {}
    for name, text in plan:
        repo.write(f"jobs/{name}.yaml", text)
        made[name] = repo.commit(name)[:7]
    return made


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("7B", ["7B", "7.0B", "7000M"], ["6.9B", "8B"]),
        ("3B-14B", ["3B", "7B", "14B"], ["2.9B", "15B", "8x7B"]),
        (">=7B", ["7B", "70B", "8x7B"], ["6B", "500M"]),
        ("<=3B", ["135M", "3B"], ["3.1B"]),
    ],
)
def test_model_size_ranges(text: str, inside: list[str], outside: list[str]) -> None:
    from gittrain.core.sizes import parse_size

    sizes = parse_range(text)
    assert [parse_size(s) in sizes for s in inside] == [True] * len(inside)
    assert [parse_size(s) in sizes for s in outside] == [False] * len(outside)


@pytest.mark.parametrize("text", ["7", "7X", "14B-3B", ">=", "<=x", "3B-", "-3B", "", ">7B"])
def test_model_size_ranges_that_are_not(text: str) -> None:
    with pytest.raises(ValueError, match=r"7B, 3B-14B, >=7B or <=3B|larger size to a smaller"):
        parse_range(text)


def _sizes(repo: Repo) -> dict[str, str]:
    return commit_jobs(
        repo,
        [
            ("small1", job("small1", "completed", size="1.5B", lr=5e-6, metrics="acc: 0.9")),
            ("small2", job("small2", "failed", size="1.5B", lr=5e-6)),
            ("mid1", job("mid1", "completed", size="7B", lr=1e-6, metrics="acc: 0.6", batch=512)),
            ("mid2", job("mid2", "completed", size="14B", lr=2e-6, metrics="acc: 0.5")),
            ("mid3", job("mid3", "failed", size="7B", lr=1e-6)),
            ("big1", job("big1", "completed", size="70B", lr=5e-7, metrics="acc: 0.7")),
            ("sft1", job("sft1", "cancelled", size="7B", recipe="sft_basic", lr=2e-5)),
            ("nosize", job("nosize", "completed", size="huge", metrics="acc: 0.1")),
        ],
    )


def test_recommend_reports_per_size_bucket(cli: Cli, repo: Repo) -> None:
    made = _sizes(repo)
    result = cli("experience", "recommend", cwd=repo.root)
    assert result.code == 0, result
    headings = [line for line in result.out.splitlines() if not line.startswith(" ")]
    assert headings == [
        "model size <=3B (2 runs):",
        "model size 3B-14B (4 runs):",
        "model size >14B (1 run):",
        "size unknown (1 run):",
    ]
    assert (
        "  grpo_basic: 3 runs, 2 completed, 1 failed, 0 cancelled; success 67%\n"
        f"    learning rate of successful runs: mean 1.5e-06, median 1.5e-06 (mid1@{made['mid1']}, "
        f"mid2@{made['mid2']})\n"
    ) in result.out
    data = json.loads(cli("experience", "recommend", "--format", "json", cwd=repo.root).out)
    assert [
        (b["bucket"], b["runs"], [r["recipe"] for r in b["recipes"]]) for b in data["by_size"]
    ] == [
        ("<=3B", 2, ["grpo_basic"]),
        ("3B-14B", 4, ["grpo_basic", "sft_basic"]),
        (">14B", 1, ["grpo_basic"]),
        ("size unknown", 1, ["grpo_basic"]),
    ]
    assert [r["total"] for r in data["recipes"]] == [7, 1]  # every size together
    only = json.loads(
        cli("experience", "recommend", "--model-size", ">=7B", "--format", "json",
            cwd=repo.root).out
    )  # fmt: skip
    assert only["model_size"] == ">=7B"
    assert [b["bucket"] for b in only["by_size"]] == ["3B-14B", ">14B"]
    assert [(r["recipe"], r["total"]) for r in only["recipes"]] == [
        ("grpo_basic", 4),
        ("sft_basic", 1),
    ]


def test_recommend_json_carries_the_platform_field_names(cli: Cli, repo: Repo) -> None:
    _sizes(repo)
    data = json.loads(
        cli("experience", "recommend", "--model-size", "3B-14B", "--format", "json",
            cwd=repo.root).out
    )  # fmt: skip
    assert data["recommendations"] == [
        {
            "recipe_id": "grpo_basic",
            "success_rate": 66.67,
            "total_jobs": 3,
            "completed_jobs": 2,
            "failed_jobs": 1,
            "avg_learning_rate": 1.5e-06,
            "avg_batch_size": 768.0,
        },
        {
            "recipe_id": "sft_basic",
            "success_rate": 0.0,
            "total_jobs": 1,
            "completed_jobs": 0,
            "failed_jobs": 0,
            "avg_learning_rate": None,
            "avg_batch_size": None,
        },
    ]
    # gittrain's own fields stay as they were, beside them.
    assert [(r["recipe"], r["success_rate"], r["total"]) for r in data["recipes"]] == [
        ("grpo_basic", 0.6667, 3),
        ("sft_basic", 0.0, 1),
    ]


def test_best_filters_by_model_size(cli: Cli, repo: Repo) -> None:
    made = _sizes(repo)
    result = cli("experience", "best", "--recipe", "grpo_basic", "--model-size", "3B-14B",
                 cwd=repo.root)  # fmt: skip
    assert result.code == 0, result
    ranked = [line.split("  ")[1:3] for line in result.out.splitlines() if line[0].isdigit()]
    assert ranked == [[f"mid1@{made['mid1']}", "7B"], [f"mid2@{made['mid2']}", "14B"]]
    none = cli("experience", "best", "--recipe", "grpo_basic", "--model-size", "<=500M",
               cwd=repo.root)  # fmt: skip
    assert_one_line_error(none, 1, "no finished runs of recipe 'grpo_basic' of model size <=500M")


def test_suggest_keeps_to_runs_within_2x_of_the_jobs_size(cli: Cli, repo: Repo) -> None:
    """The issue's case: 1.5B runs at 5e-6 scored best, but a 7B job is compared with 7B-ish runs."""
    made = _sizes(repo)
    repo.write("jobs/next.yaml", job("next", "pending", size="7B", lr=1e-6, batch=512))
    result = cli("experience", "suggest", "next", cwd=repo.root)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == (
        "next: compared with the top 2 runs of grpo_basic within 2x of 7B by acc "
        f"(mid1@{made['mid1']} (7B), mid2@{made['mid2']} (14B))"
    )
    assert "small" not in result.out  # the 1.5B runs are not cited, nor their 5e-06
    assert lines[1:] == [
        "- learning_rate 1e-06 is 1/1.5 the median of the top 2 runs (1.5e-06: jobs "
        f"mid1@{made['mid1']}, mid2@{made['mid2']}); consider 1.5e-06",
        "- global_batch (config.global_batch_size) 512 is 1/1.5 the median of the top 2 runs (768: jobs "
        f"mid1@{made['mid1']}, mid2@{made['mid2']}); consider 768",
        f"- a run at this learning rate failed: mid3@{made['mid3']} (7B)",
    ]
    data = json.loads(cli("experience", "suggest", "next", "--format", "json", cwd=repo.root).out)
    assert data["compared_sizes"] == {"text": "within 2x of 7B", "low": 3.5e9, "high": 1.4e10}
    assert data["widened"] == []
    assert [(r["job"], r["model_size"]) for r in data["top_runs"]] == [
        ("mid1", "7B"),
        ("mid2", "14B"),
    ]
    # Told a size, it compares with that size only, and never widens.
    told = cli("experience", "suggest", "next", "--model-size", "<=3B", cwd=repo.root)
    assert told.out.splitlines()[-1] == (
        "too little history to suggest anything: 1 completed run of recipe grpo_basic of "
        "model size <=3B with metrics (at least 2 are needed)"
    )


def test_suggest_widens_step_by_step_and_says_so(cli: Cli, repo: Repo) -> None:
    made = commit_jobs(
        repo,
        [
            ("s1", job("s1", "completed", size="1.5B", lr=5e-6, metrics="acc: 0.9")),
            ("s2", job("s2", "completed", size="1.5B", lr=5e-6, metrics="acc: 0.8")),
            ("m1", job("m1", "completed", size="13B", lr=5e-6, metrics="acc: 0.7")),
        ],
    )
    repo.write("jobs/next.yaml", job("next", "pending", size="7B", lr=1e-6))
    lines = cli("experience", "suggest", "next", cwd=repo.root).out.splitlines()
    assert lines[:3] == [
        "only 1 completed run of grpo_basic within 2x of 7B (3.5B-14B); widened to 4x (1.75B-28B)",
        "only 1 completed run of grpo_basic within 4x of 7B (1.75B-28B); widened to every size",
        "next: compared with the top 3 runs of grpo_basic of every size by acc "
        f"(s1@{made['s1']} (1.5B), s2@{made['s2']} (1.5B), m1@{made['m1']} (13B))",
    ]
    assert lines[3].startswith("- learning_rate 1e-06 is 1/5 the median of the top 3 runs")
    # Two runs within 4x: one step wider is enough.
    repo.write("jobs/m2.yaml", job("m2", "completed", size="2B", lr=5e-6, metrics="acc: 0.6"))
    repo.commit("m2")
    data = json.loads(cli("experience", "suggest", "next", "--format", "json", cwd=repo.root).out)
    assert data["widened"] == [
        "only 1 completed run of grpo_basic within 2x of 7B (3.5B-14B); widened to 4x (1.75B-28B)"
    ]
    assert data["compared_sizes"]["text"] == "within 4x of 7B"
    assert [r["job"] for r in data["top_runs"]] == ["m1", "m2"]
    # No runs at all near the size: "no completed runs".
    repo.write("jobs/huge.yaml", job("huge", "pending", size="405B"))
    first = cli("experience", "suggest", "huge", cwd=repo.root).out.splitlines()[0]
    assert first == (
        "no completed runs of grpo_basic within 2x of 405B (202B-810B); widened to 4x (101B-1.62T)"
    )
    # A job without a size says that it compares with every size.
    repo.write("jobs/anysize.yaml", job("anysize", "pending").replace("model_size: 7B\n", ""))
    first = cli("experience", "suggest", "anysize", cwd=repo.root).out.splitlines()[0]
    assert first == "the job states no model_size: runs of every size are compared"


def test_suggest_and_similar_cite_failed_runs_at_or_near_the_settings(cli: Cli, repo: Repo) -> None:
    pdb = "  per_device_batch_size: 4\n"
    made = commit_jobs(
        repo,
        [
            ("same", job("same", "failed", lr=1e-6, extra=pdb)),
            ("near", job("near", "failed", lr=1.05e-6, extra=pdb)),
            ("far", job("far", "failed", lr=1.2e-6, extra=pdb)),  # 20% off: not near
            ("batch", job("batch", "failed", lr=1e-6, extra="  per_device_batch_size: 8\n")),
            ("other", job("other", "failed", recipe="dpo_basic", lr=1e-6, extra=pdb)),
            ("ok", job("ok", "completed", lr=1e-6, extra=pdb, metrics="acc: 0.5")),
            # Outside 2x of 7B: not cited, though suggest widens (one completed run is too few).
            ("tiny", job("tiny", "failed", size="0.5B", lr=1e-6, extra=pdb)),
        ],
    )
    repo.write("jobs/next.yaml", job("next", "pending", lr=1e-6, extra=pdb))
    result = cli("experience", "suggest", "next", cwd=repo.root)
    assert result.code == 0, result
    failures = [line for line in result.out.splitlines() if "failed:" in line]
    assert failures == [
        f"- a run at this learning rate failed: same@{made['same']} (7B)",
        f"- a run near this learning rate (1.05e-06) failed: near@{made['near']} (7B)",
    ]
    data = json.loads(cli("experience", "suggest", "next", "--format", "json", cwd=repo.root).out)
    assert [(f["job"], f["commit"][:7], f["learning_rate"]) for f in data["failed_near"]] == [
        ("same", made["same"], 1e-6),
        ("near", made["near"], 1.05e-6),
    ]
    similar = cli("experience", "similar", "next", "--top", "1", cwd=repo.root)
    assert [line for line in similar.out.splitlines() if "failed:" in line] == [
        f"a run at this learning rate failed: same@{made['same']} (7B)",
        f"a run near this learning rate (1.05e-06) failed: near@{made['near']} (7B)",
    ]
    # Told a size, both look there: the 0.5B failure at the same settings is cited.
    sized = json.loads(
        cli("experience", "similar", "next", "--model-size", "<=1B", "--format", "json",
            cwd=repo.root).out
    )  # fmt: skip
    assert [f["job"] for f in sized["failed_near"]] == ["tiny"]
    assert [m["job"] for m in sized["matches"]] == ["tiny"]
    told = cli("experience", "suggest", "next", "--model-size", "<=1B", cwd=repo.root)
    assert f"- a run at this learning rate failed: tiny@{made['tiny']} (0.5B)" in told.out


def test_mining_reads_other_spellings_through_the_canonical_view(cli: Cli, repo: Repo) -> None:
    made = commit_jobs(
        repo,
        [
            ("a", job("a", "completed", lr=5e-7, metrics="acc: 0.8", lr_key="lr")),
            ("b", job("b", "completed", lr=5e-7, metrics="acc: 0.7")),
        ],
    )
    history = mine(repo.root, settings.load(repo.root))
    assert [r.version.number("learning_rate") for r in history.runs] == [5e-7, 5e-7]
    data = json.loads(cli("experience", "recommend", "--format", "json", cwd=repo.root).out)
    assert data["recipes"][0]["learning_rate"]["runs"] == [f"a@{made['a']}", f"b@{made['b']}"]
    # The job spells it its own way; the suggestion names the idea and the job's own key.
    repo.write(".gittrain.yaml", "version: 1\nspellings:\n  gittrain:\n    my_lr: learning_rate\n")
    repo.write("jobs/next.yaml", job("next", "pending", lr=1e-6, lr_key="my_lr"))
    repo.commit("settings")
    result = cli("experience", "suggest", "next", cwd=repo.root)
    cites = f"a@{made['a']}, b@{made['b']}"
    assert (
        f"- learning_rate (config.my_lr) 1e-06 is 2x the median of the top 2 runs (5e-07: jobs "
        f"{cites}); consider 5e-07"
    ) in result.out.splitlines(), result
    # A run recorded under the new spelling is read with it, though its blob was cached before.
    repo.write("jobs/c.yaml", job("c", "completed", lr=4e-7, metrics="acc: 0.1", lr_key="my_lr"))
    repo.commit("c")
    history = mine(repo.root, settings.load(repo.root))
    assert [r.version.number("learning_rate") for r in history.runs] == [5e-7, 5e-7, 4e-7]
    repo.write(".gittrain.yaml", "version: 1\n")
    repo.commit("settings gone")
    history = mine(repo.root, settings.load(repo.root))
    assert [r.version.number("learning_rate") for r in history.runs] == [5e-7, 5e-7, None]


def test_a_cached_reading_of_the_wrong_shape_is_read_again(repo: Repo) -> None:
    repo.write("jobs/a.yaml", job("a", "completed", lr=5e-7, metrics="acc: 0.8", lr_key="lr"))
    repo.commit("a")
    assert [
        r.version.number("learning_rate") for r in mine(repo.root, settings.load(repo.root)).runs
    ] == [5e-7]
    caches = [repo.root / ".git/gittrain" / n for n in ("history-cache.json", "history-head.json")]
    for junk in ({"fp": "", "v": {"learning_rate": [1]}}, {"fp": 3, "v": {}}, [], "x"):
        for cache, key in zip(caches, ("blobs", "pinned"), strict=True):
            data = json.loads(cache.read_bytes())
            for entry in data[key].values():
                if entry.get("k") == "job":
                    entry["ideas"] = junk
            cache.write_text(json.dumps(data))
        runs = mine(repo.root, settings.load(repo.root)).runs
        assert [r.version.number("learning_rate") for r in runs] == [5e-7], junk
