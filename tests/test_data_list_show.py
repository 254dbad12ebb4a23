"""`git train data list` and `git train data show`, on real repositories with local and
remote lock entries (remote entries are written straight into gittrain.lock)."""

from __future__ import annotations

import json

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot
from lockhelp import EVAL, GSM8K, PAGE, SHARDS, changed, write_lock

from gittrain.adapters import gitrepo
from gittrain.core.data.lockfile import Lockfile, render
from tests.remote_servers import S3

JOB = (
    "name: {name}\nrecipe: grpo_basic\nnum_gpus: 8\ndatasets:\n  eval: {ref}\n"
    "config:\n  algorithm: grpo\n  learning_rate: 1.0e-6\n  rollout_n: 8\n"
    "result:\n  status: completed\n  finished_at: '2024-06-0{day}T10:00:00Z'\n"
)


def add_local(repo: Repo, cli: Cli, rel: str, lines: int, *extra: str) -> None:
    repo.write(rel, "".join(json.dumps({"prompt": f"q{i}"}) + "\n" for i in range(lines)))
    result = cli("data", "add", rel, *extra, cwd=repo.root)
    assert result.code == 0, result


def listed(cli: Cli, repo: Repo) -> dict[str, dict[str, object]]:
    result = cli("data", "list", "--format", "json", cwd=repo.root)
    assert result.code == 0, result
    payload = json.loads(result.out)
    assert payload["lockfile"] == "gittrain.lock" and payload["problems"] == []
    return {row["name"]: row for row in payload["datasets"]}


def last(rows: dict[str, dict[str, object]], name: str) -> str | None:
    commit = rows[name]["last_commit"]
    assert commit is None or isinstance(commit, dict)
    return None if commit is None else str(commit["commit"])


def test_list_with_no_lockfile_or_an_empty_one(repo: Repo, cli: Cli) -> None:
    result = cli("data", "list", cwd=repo.root)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "no datasets in gittrain.lock; lock one with `git train data add PATH|URL`\n"
    )
    repo.write("gittrain.lock", render(Lockfile()))
    assert json.loads(cli("data", "list", "--format", "json", cwd=repo.root).out) == {
        "lockfile": "gittrain.lock",
        "datasets": [],
        "problems": [],
    }


def test_list_shows_where_each_dataset_lives_and_its_last_commit(repo: Repo, cli: Cli) -> None:
    add_local(repo, cli, "data/train.jsonl", 3)
    first = repo.commit("lock train", date="2024-05-01T12:00:00Z")
    write_lock(repo, GSM8K, EVAL)
    second = repo.commit("lock remote data", date="2024-05-02T12:00:00Z")
    write_lock(repo, SHARDS, PAGE)  # not committed yet
    result = cli("data", "list", cwd=repo.root)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "NAME    FORMAT   SAMPLES  SIZE      WHERE  LAST COMMIT              PATH",
        f"eval    parquet  500      1.05 MB   s3     {second[:12]} 2024-05-02  "
        "s3://team-data/eval/eval.parquet",
        f"gsm8k   dir      7,473    4.21 MB   hf     {second[:12]} 2024-05-02  "
        "hf://datasets/openai/gsm8k",
        "page    jsonl    ?        2.05 kB   https  uncommitted              "
        "https://example.org/data/page.jsonl",
        "shards  dir      ?        123 MB    gs     uncommitted              gs://team-data/shards/",
        f"train   jsonl    3        51 bytes  local  {first[:12]} 2024-05-01  data/train.jsonl",
    ]
    rows = listed(cli, repo)
    assert rows["eval"] == {
        "name": "eval",
        "path": "s3://team-data/eval/eval.parquet",
        "location": "s3",
        "format": "parquet",
        "num_samples": 500,
        "size": 1_048_576,
        "files": None,
        "version": EVAL.version,
        "sha256": None,
        "last_commit": {
            "commit": second,
            "date": "2024-05-02T12:00:00Z",
            "author": "Test Author",
        },
        "uncommitted": False,
    }
    assert rows["shards"]["uncommitted"] is True and rows["shards"]["last_commit"] is None


def test_list_credits_the_commit_that_changed_the_entry(repo: Repo, cli: Cli) -> None:
    add_local(repo, cli, "data/a.jsonl", 2)
    add_local(repo, cli, "data/b.jsonl", 2)
    both = repo.commit("a and b")
    add_local(repo, cli, "data/a.jsonl", 5)  # new bytes: a changes
    a_changed = repo.commit("a grows")
    repo.write("notes.txt", "unrelated\n")
    repo.commit("not the lockfile")
    assert cli("data", "add", "data/b.jsonl", "--description", "two rows", cwd=repo.root).code == 0
    described = repo.commit("b described")  # any field of the entry counts
    rows = listed(cli, repo)
    assert (last(rows, "a"), last(rows, "b")) == (a_changed, described)
    assert both not in (last(rows, "a"), last(rows, "b"))
    # Reverting the entry is a change too, credited to the revert.
    repo.git("revert", "--no-edit", described)
    reverted = repo.git("rev-parse", "HEAD").strip()
    assert last(listed(cli, repo), "b") == reverted


def test_list_follows_a_merge_to_the_commit_that_made_the_change(repo: Repo, cli: Cli) -> None:
    add_local(repo, cli, "data/a.jsonl", 2)
    add_local(repo, cli, "data/b.jsonl", 2)
    repo.commit("start")
    repo.git("checkout", "-q", "-b", "side")
    add_local(repo, cli, "data/a.jsonl", 4)
    on_side = repo.commit("a on side")
    repo.git("checkout", "-q", "main")
    add_local(repo, cli, "data/a.jsonl", 2)  # restore main's bytes for a
    write_lock(repo, EVAL)
    on_main = repo.commit("eval on main")
    proc = repo.git("merge", "-q", "--no-edit", "side", check=False)
    assert "CONFLICT" not in proc, proc
    add_local(repo, cli, "data/a.jsonl", 4)  # the work tree matches the merged lockfile
    rows = listed(cli, repo)
    assert (last(rows, "a"), last(rows, "eval")) == (on_side, on_main)


def test_list_walks_the_history_once(repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(1, 6):
        add_local(repo, cli, f"data/d{n}.jsonl", n)
        repo.commit(f"d{n}")
    calls: list[tuple[str, ...]] = []
    real = gitrepo.iter_log

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(tuple(str(a) for a in args[1:]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gitrepo, "iter_log", counted)
    rows = listed(cli, repo)
    assert len(calls) == 1
    assert len({last(rows, f"d{n}") for n in range(1, 6)}) == 5


def test_list_reports_a_broken_historical_lockfile_and_goes_on(repo: Repo, cli: Cli) -> None:
    add_local(repo, cli, "data/a.jsonl", 2)
    good = repo.commit("a")
    repo.write("gittrain.lock", "version: 1\ndatasets: [broken\n")
    broken = repo.commit("broken")
    repo.git("checkout", good, "--", "gittrain.lock")
    fixed = repo.commit("fixed")
    result = cli("data", "list", "--format", "json", cwd=repo.root)
    assert result.code == 0, result
    payload = json.loads(result.out)
    # The fixed commit restored the entry the broken one lost: it made it what it is.
    assert payload["datasets"][0]["last_commit"]["commit"] == fixed
    (problem,) = payload["problems"]
    assert problem.startswith(f"{broken[:12]}:gittrain.lock:")
    text = cli("data", "list", cwd=repo.root)
    assert text.err.startswith(f"warning: {broken[:12]}:gittrain.lock:")


def test_show_a_remote_version_in_full(repo: Repo, cli: Cli) -> None:
    write_lock(repo, EVAL)
    introduced = repo.commit("lock eval", date="2024-05-02T12:00:00Z")
    repo.write("jobs/a.yaml", JOB.format(name="a", ref="s3://team-data/eval/eval.parquet", day=3))
    repo.write("jobs/b.yaml", JOB.format(name="b", ref="eval", day=4))
    ran = repo.commit("two runs", date="2024-06-05T12:00:00Z")
    result = cli("data", "show", "eval", cwd=repo.root)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "dataset eval (gittrain.lock)",
        "  path:           s3://team-data/eval/eval.parquet",
        "  location:       s3",
        "  format:         parquet",
        f"  version:        {EVAL.version}",
        "  sha256:         none (no sha256 known; the version is a digest of the provider "
        "identity)",
        "  hash_algorithm: -",
        "  size:           1,048,576 bytes (1.05 MB)",
        "  files:          -",
        "  num_samples:    500",
        "  columns:        prompt: string",
        '  provider:       etag: "9b2cf535f27731c974343645a3985328"',
        "                  version_id: v1",
        "  description:    -",
        "  tags:           -",
        "  created_at:     2024-05-02T10:00:00Z",
        "  modified_at:    2024-05-02T10:00:00Z",
        f"  introduced:     {introduced[:12]} 2024-05-02T12:00:00Z Test Author",
        "  jobs:           2 jobs",
        f"    b                        completed  2024-06-04T10:00:00Z  {ran[:12]}  eval",
        f"    a                        completed  2024-06-03T10:00:00Z  {ran[:12]}  eval",
    ]
    payload = json.loads(
        cli("data", "show", EVAL.version[:9], "--format", "json", cwd=repo.root).out
    )
    assert payload["revision"] is None and payload["spec"] == EVAL.version[:9]
    assert payload["dataset"] == {
        "name": "eval",
        "path": "s3://team-data/eval/eval.parquet",
        "location": "s3",
        "format": "parquet",
        "version": EVAL.version,
        "sha256": None,
        "hash_algorithm": None,
        "sha256_from": None,
        "size": 1_048_576,
        "size_mb": 1.049,
        "files": None,
        "num_samples": 500,
        "columns": {"prompt": "string"},
        "provider": {"etag": '"9b2cf535f27731c974343645a3985328"', "version_id": "v1"},
        "description": "",
        "tags": [],
        "created_at": "2024-05-02T10:00:00Z",
        "modified_at": "2024-05-02T10:00:00Z",
    }
    assert payload["introduced"] == {
        "commit": introduced,
        "date": "2024-05-02T12:00:00Z",
        "author": "Test Author",
    }
    assert [(j["job"], j["roles"]) for j in payload["jobs"]] == [("b", ["eval"]), ("a", ["eval"])]


def test_show_names_who_vouches_for_the_sha256(repo: Repo, cli: Cli) -> None:
    write_lock(repo, GSM8K)
    result = cli("data", "show", "gsm8k", cwd=repo.root)
    assert result.code == 0
    out = result.out.splitlines()
    assert f"  sha256:         {GSM8K.sha256} (from hub-lfs)" in out
    assert "  hash_algorithm: sha256-manifest" in out
    assert (
        out[out.index("  columns:        question: string") + 1]
        == "                  answer: string"
    )
    assert out[-2:] == ["  introduced:     not committed", "  jobs:           0 jobs"]


def test_show_an_older_version_by_its_digits_or_name_at_revision(repo: Repo, cli: Cli) -> None:
    write_lock(repo, EVAL)
    v1 = repo.commit("eval v1")
    v2_entry = changed(EVAL, provider={"etag": '"ffff"', "version_id": "v2"}, size=2_000_000)
    write_lock(repo, v2_entry)
    v2 = repo.commit("eval v2")
    assert EVAL.version != v2_entry.version
    current = json.loads(cli("data", "show", "eval", "--format", "json", cwd=repo.root).out)
    assert current["dataset"]["version"] == v2_entry.version
    assert current["introduced"]["commit"] == v2
    for spec in (EVAL.version[:7], EVAL.version.upper()[:12], f"eval@{v1}", "eval@HEAD~1"):
        result = cli("data", "show", spec, "--format", "json", cwd=repo.root)
        assert result.code == 0, (spec, result)
        payload = json.loads(result.out)
        assert payload["revision"] == v1, spec
        assert payload["dataset"]["version"] == EVAL.version
        assert payload["introduced"]["commit"] == v1
    text = cli("data", "show", EVAL.version[:7], cwd=repo.root)
    assert text.out.splitlines()[0] == f"dataset eval ({v1[:12]}:gittrain.lock)"


def test_show_bad_input(repo: Repo, cli: Cli) -> None:
    write_lock(repo, EVAL, changed(EVAL, name="eval-copy"))
    repo.commit("two names for one version")
    before = snapshot(repo.root)
    cases = [
        (("nope",), 1, "error: gittrain.lock: no dataset named 'nope'"),
        (
            ("1234567",),
            1,
            "error: gittrain.lock: no dataset named '1234567' and no version starting with "
            "1234567 in it or its history",
        ),
        (
            (EVAL.version[:8],),
            2,
            f"error: gittrain.lock: {EVAL.version[:8]} is the version of eval, eval-copy; "
            "name one of them",
        ),
        (("nope@HEAD",), 1, "error: HEAD:gittrain.lock: no dataset named 'nope'"),
        (("eval@no-such-rev",), 2, "error: unknown revision 'no-such-rev'"),
        (("../x",), 2, "error: '../x': expected a dataset name, NAME@REV, or 7 to 64 hex"),
        (("abc",), 1, "error: gittrain.lock: no dataset named 'abc'"),
    ]
    for argv, code, message in cases:
        result = cli("data", "show", *argv, cwd=repo.root)
        assert_one_line_error(result, code, message)
    assert cli("data", "show", cwd=repo.root).code == 2  # no NAME
    assert cli("data", "show", "a", "b", cwd=repo.root).code == 2
    assert cli("data", "list", "extra", cwd=repo.root).code == 2
    assert cli("data", "list", "--format", "yaml", cwd=repo.root).code == 2
    assert snapshot(repo.root) == before


def test_show_and_list_on_a_broken_lockfile_are_one_line(repo: Repo, cli: Cli) -> None:
    repo.write("gittrain.lock", "version: 1\ndatasets:\n  a: [\n")
    broken = repo.commit("broken lockfile")
    for argv in (("data", "list"), ("data", "show", "a")):
        result = cli(*argv, cwd=repo.root)
        assert_one_line_error(result, 1, "gittrain.lock:")
    repo.write("gittrain.lock", render(Lockfile({"eval": EVAL})))  # fixed, not committed
    result = cli("data", "show", "eval@HEAD", cwd=repo.root)
    assert_one_line_error(result, 1, f"{broken[:12]}:gittrain.lock:")


def test_lineage_and_compare_say_version_for_remote_data_without_a_sha256(
    repo: Repo, cli: Cli
) -> None:
    write_lock(repo, EVAL, GSM8K)
    repo.write("jobs/a.yaml", JOB.format(name="a", ref="eval", day=3))
    repo.commit("lock and run")
    lineage = cli("data", "lineage", "eval", cwd=repo.root)
    assert lineage.out.splitlines()[0] == (
        f"eval (version {EVAL.version[:12]}, no sha256 known): 1 job"
    )
    payload = json.loads(cli("data", "lineage", "eval", "--format", "json", cwd=repo.root).out)
    assert payload["target"]["sha256"] is None
    assert payload["target"]["version"] == EVAL.version
    by_prefix = cli("data", "lineage", EVAL.version[:10], cwd=repo.root)
    assert by_prefix.out.splitlines()[0] == (
        f"{EVAL.version[:10]} (version {EVAL.version[:10]}, no sha256 known): 1 job"
    )
    hub = cli("data", "lineage", "gsm8k", cwd=repo.root)
    assert hub.out.splitlines()[0] == f"gsm8k (sha256 {GSM8K.version[:12]}): 0 jobs"
    compared = cli("data", "compare", "eval", "gsm8k", cwd=repo.root)
    assert compared.out.splitlines()[:2] == [
        f"eval: version {EVAL.version[:12]} (no sha256 known), 500 samples, 1,048,576 bytes",
        f"gsm8k: sha256 {GSM8K.sha256[:12]}, 7,473 samples, 4,213,456 bytes",
    ]
    sides = json.loads(
        cli("data", "compare", "eval", "gsm8k", "--format", "json", cwd=repo.root).out
    )
    assert (sides["a"]["sha256"], sides["a"]["version"]) == (None, EVAL.version)
    assert sides["b"]["sha256"] == sides["b"]["version"] == GSM8K.sha256


def test_list_and_show_what_data_add_recorded_from_s3(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket("bkt")
    s3.put("bkt", "eval.jsonl", b'{"prompt": "q"}\n')
    s3.put("bkt", "train/a.jsonl", b'{"prompt": "a"}\n', sha256=True)
    for url in ("s3://bkt/eval.jsonl", "s3://bkt/train/"):
        assert cli("data", "add", url, cwd=repo.root).code == 0
    added = repo.commit("remote data")
    s3.log.clear()
    rows = listed(cli, repo)
    assert {name: (row["location"], last(rows, name)) for name, row in rows.items()} == {
        "eval": ("s3", added),
        "train": ("s3", added),
    }
    result = cli("data", "show", "eval", cwd=repo.root)
    assert result.code == 0, result
    out = result.out.splitlines()
    assert "  location:       s3" in out
    assert any(line.startswith("  provider:       etag: ") for line in out)
    assert "  sha256:         none (no sha256 known; the version is a digest of the provider " in (
        result.out
    )
    shown = json.loads(cli("data", "show", "train", "--format", "json", cwd=repo.root).out)
    assert shown["dataset"]["sha256_from"] == "s3-checksum"
    assert shown["introduced"]["commit"] == added
    assert s3.log.requests == []  # list and show read the lockfile, never the provider


@pytest.mark.parametrize(
    "text",
    [
        render(Lockfile({e.name: e for e in (GSM8K, EVAL, SHARDS, PAGE)})),
        render(Lockfile({"eval": changed(EVAL, description="two\n\nparagraphs\n  indented")})),
        render(Lockfile({"eval": changed(EVAL, description="x: y # not a comment", tags=("a",))})),
        render(Lockfile()),
        # Laid out by hand: comments, another field order, flow style.
        "version: 1\ndatasets:\n  eval:   # the eval set\n"
        + "".join(f"    {k}: {json.dumps(v)}\n" for k, v in reversed(EVAL.to_dict().items())),
        render(Lockfile({"eval": EVAL})).replace("  eval:\n", "  eval:\n    bogus: 1\n"),
        render(Lockfile({"eval": EVAL, "page": PAGE})).replace("  page:\n", "  eval:\n"),
        render(Lockfile({"eval": EVAL})).replace("    format: parquet\n", "<<<<<<< ours\n"),
    ],
)
def test_history_reads_each_lockfile_exactly_as_a_full_parse(repo: Repo, text: str) -> None:
    """LockReader parses only the blocks that changed; the result, or the error, is the
    same as parsing the whole file."""
    from gittrain.core.data import lockstore
    from gittrain.core.data.lockhistory import LockReader
    from gittrain.errors import GittrainError

    write_lock(repo, GSM8K)
    repo.commit("a canonical lockfile first, so its blocks are cached")
    repo.write("gittrain.lock", text)
    sha = repo.commit("the lockfile under test")
    try:
        expected: object = lockstore.parse_bytes(text.encode(), f"{sha[:12]}:gittrain.lock")
    except GittrainError as exc:
        expected = exc.message
    with gitrepo.CatFile(repo.root) as cat:
        reader = LockReader(cat, "gittrain.lock")
        reader.at("HEAD~1")
        try:
            found: object = reader.at(sha)
        except GittrainError as exc:
            found = exc.message
    assert found == expected
