"""`git train data ...` end to end on real repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import Repo
from tests.datahelp import age, edit_stat_cache, run, stat_cache_file, write_jsonl

JOB = """name: {name}
datasets:
  train: {ref}
result:
  status: {status}
  finished_at: "2026-11-0{day}T10:00:00Z"
"""


def lock_text(repo: Repo) -> str:
    return (repo.root / "gittrain.lock").read_text()


def test_add_status_update_remove(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(repo.root / "data/train.jsonl", 10)
    r = run(
        repo.root,
        "data",
        "add",
        "data/train.jsonl",
        "--tag",
        "math",
        "--description",
        "d",
        monkeypatch=monkeypatch,
    )
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("added train: data/train.jsonl (jsonl), sha256 ")
    assert "10 samples" in r.stdout
    text = lock_text(repo)
    assert "  train:\n    path: data/train.jsonl\n    format: jsonl\n" in text

    r = run(repo.root, "data", "status", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stdout) == (0, "ok        train  data/train.jsonl\n")

    again = run(repo.root, "data", "add", "data/train.jsonl", monkeypatch=monkeypatch)
    assert again.stdout.startswith("unchanged train")
    assert lock_text(repo) == text

    write_jsonl(repo.root / "data/train.jsonl", 12)
    r = run(repo.root, "data", "status", "--format", "json", monkeypatch=monkeypatch)
    assert r.exit_code == 1
    payload = json.loads(r.stdout)
    assert payload["drift"] is True
    assert [d["field"] for d in payload["datasets"][0]["differences"]] == ["size", "sha256"]

    r = run(repo.root, "data", "update", monkeypatch=monkeypatch)
    assert r.exit_code == 0 and r.stdout.startswith("updated train"), r.output
    assert "num_samples: 12" in lock_text(repo)
    assert "- math" in lock_text(repo)  # tags survive an update

    (repo.root / "data/train.jsonl").unlink()
    r = run(repo.root, "data", "status", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stdout) == (1, "missing   train  data/train.jsonl\n")

    r = run(repo.root, "data", "remove", "train", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stdout) == (0, "removed train (data/train.jsonl)\n")
    assert "datasets: {}" in lock_text(repo)
    r = run(repo.root, "data", "remove", "train", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stderr) == (1, "error: gittrain.lock: no dataset named 'train'\n")


def test_directory_dataset_is_a_parallel_manifest(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        write_jsonl(repo.root / f"data/shards/part-{i}.jsonl", 3 + i)
    pq.write_table(
        pa.table({"prompt": ["a", "b"], "answer": [1, 2]}), repo.root / "data/shards/extra.parquet"
    )
    (repo.root / "data/shards/README").write_text("not counted\n")
    r = run(repo.root, "data", "add", "data/shards", "--format", "json", monkeypatch=monkeypatch)
    assert r.exit_code == 0, r.output
    entry = json.loads(r.stdout)["dataset"]
    assert entry["format"] == "dir" and entry["hash_algorithm"] == "sha256-manifest"
    assert entry["files"] == 7 and entry["num_samples"] == 3 + 4 + 5 + 6 + 7 + 2
    import hashlib

    lines = []
    for f in sorted((repo.root / "data/shards").iterdir()):
        lines.append(f"{f.name}  {hashlib.sha256(f.read_bytes()).hexdigest()}\n")
    assert entry["sha256"] == hashlib.sha256("".join(lines).encode()).hexdigest()
    (repo.root / "data/shards/README").write_text("changed\n")
    r = run(repo.root, "data", "status", monkeypatch=monkeypatch)
    assert r.exit_code == 1 and r.stdout.startswith("modified  shards")


def test_status_uses_the_stat_cache(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(repo.root / "data/a.jsonl", 5)
    age(path)
    assert run(repo.root, "data", "add", "data/a.jsonl", monkeypatch=monkeypatch).exit_code == 0
    assert stat_cache_file(repo.root, "data/a.jsonl").is_file()
    # Same size and mtime but different bytes: only a re-read could tell.  A trusted
    # cache entry means status did not read the file.
    st = path.stat()
    path.write_text(path.read_text().replace("q1", "Q1"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    edit_stat_cache(repo.root, "data/a.jsonl", "data/a.jsonl", ctime_ns=path.stat().st_ctime_ns)
    assert run(repo.root, "data", "status", monkeypatch=monkeypatch).exit_code == 0


def test_racy_cache_entries_are_rehashed(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(repo.root / "data/a.jsonl", 5)  # mtime is "now": racy
    assert run(repo.root, "data", "add", "data/a.jsonl", monkeypatch=monkeypatch).exit_code == 0
    st = path.stat()
    path.write_text(path.read_text().replace("q1", "Q1"))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    edit_stat_cache(repo.root, "data/a.jsonl", "data/a.jsonl", ctime_ns=path.stat().st_ctime_ns)
    r = run(repo.root, "data", "status", monkeypatch=monkeypatch)
    assert r.exit_code == 1 and r.stdout.startswith("modified  a")


def test_unlocked_dataset_referenced_by_a_job(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(repo.root / "data/a.jsonl", 5)
    run(repo.root, "data", "add", "data/a.jsonl", monkeypatch=monkeypatch)
    repo.write("jobs/j1.yaml", JOB.format(name="j1", ref="a", status="pending", day=1))
    repo.write("jobs/j2.yaml", JOB.format(name="j2", ref="data/a.jsonl", status="pending", day=1))
    repo.write("jobs/j3.yaml", JOB.format(name="j3", ref="gsm8k", status="pending", day=1))
    repo.write("jobs/broken.yaml", "name: [unclosed\n")
    r = run(repo.root, "data", "status", monkeypatch=monkeypatch)
    assert r.exit_code == 1
    assert r.stdout == "ok        a      data/a.jsonl\nunlocked  gsm8k  (used by jobs/j3.yaml)\n"
    assert r.stderr.startswith("warning: jobs/broken.yaml:")
    r = run(repo.root, "data", "status", "nope", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stderr.splitlines()[-1]) == (
        1,
        "error: gittrain.lock: no dataset named 'nope'",
    )


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("data/none.jsonl", 1, "error: data/none.jsonl: no such file or directory\n"),
        (
            "../outside.jsonl",
            2,
            "error: ../outside.jsonl: outside the repository ",
        ),
        ("/etc/passwd", 2, "error: /etc/passwd: outside the repository "),
        (
            "data\\a.jsonl",
            1,
            "error: data\\a.jsonl: use forward slashes; backslashes are not allowed in paths\n",
        ),
        (
            "C:/data/a.jsonl",
            1,
            "error: C:/data/a.jsonl: absolute paths are not allowed; give a "
            "path relative to the repository root\n",
        ),
        ("data/empty.jsonl", 1, "error: data/empty.jsonl: file is empty\n"),
        (
            "data/notes.txt",
            1,
            "error: data/notes.txt: unknown dataset format (known suffixes: "
            ".csv, .json, .jsonl, .ndjson, .parquet, .pq)\n",
        ),
        (
            "data/bad.jsonl",
            1,
            "error: data/bad.jsonl:2: malformed JSON record: Expecting ':' delimiter\n",
        ),
        ("data/bad.csv", 1, "error: data/bad.csv:2: unterminated quoted field\n"),
        ("data/bad.parquet", 1, "error: data/bad.parquet: not a readable Parquet file: "),
        (
            "data/escape.jsonl",
            2,
            "error: data/escape.jsonl: is a symlink that resolves outside the repository (",
        ),
        ("data/nul\0.jsonl", 2, "error: 'data/nul\\x00.jsonl': path contains a NUL byte\n"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, path: str, code: int, message: str
) -> None:
    repo.write("data/empty.jsonl", "")
    repo.write("data/notes.txt", "hello\n")
    repo.write("data/bad.jsonl", '{"a": 1}\n{"a" 2}\n')
    repo.write("data/bad.csv", 'a,b\n1,"open\n')
    pq.write_table(pa.table({"x": list(range(100))}), repo.root / "data/bad.parquet")
    raw = (repo.root / "data/bad.parquet").read_bytes()
    (repo.root / "data/bad.parquet").write_bytes(raw[: len(raw) // 2])
    outside = write_jsonl(tmp_path / "outside.jsonl", 3)
    (repo.root / "data/escape.jsonl").symlink_to(outside)
    r = run(repo.root, "data", "add", path, monkeypatch=monkeypatch)
    assert r.exit_code == code, r.output
    assert r.stderr.startswith(message)
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.output
    assert not (repo.root / "gittrain.lock").exists()


def test_symlink_inside_the_repository_is_fine(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(repo.root / "store/a.jsonl", 4)
    (repo.root / "data").mkdir()
    (repo.root / "data/a.jsonl").symlink_to(repo.root / "store/a.jsonl")
    r = run(repo.root, "data", "add", "data/a.jsonl", monkeypatch=monkeypatch)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (
            "version: 1\ndatasets:\n  a:\n    path: x.jsonl\n    format: jsonl\n    sha2",
            "error: gittrain.lock:",
        ),
        (
            "<<<<<<< HEAD\nversion: 1\n=======\nversion: 1\n>>>>>>> other\n",
            "error: gittrain.lock:1: unresolved merge conflict marker",
        ),
        (
            "version: 7\ndatasets: {}\n",
            "error: gittrain.lock:1:1: lockfile version 7 is not supported",
        ),
    ],
)
def test_broken_lockfile_is_never_rewritten(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, broken: str, message: str
) -> None:
    write_jsonl(repo.root / "data/a.jsonl", 4)
    repo.write("gittrain.lock", broken)
    for args in (("add", "data/a.jsonl"), ("status",), ("update",), ("remove", "a")):
        r = run(repo.root, "data", *args, monkeypatch=monkeypatch)
        assert r.exit_code == 1, (args, r.output)
        assert r.stderr.startswith(message) and len(r.stderr.splitlines()) == 1
        assert (repo.root / "gittrain.lock").read_text() == broken


def test_log_lineage_compare_across_history(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    data = repo.root / "data/train.jsonl"
    write_jsonl(data, 10)
    run(repo.root, "data", "add", "data/train.jsonl", monkeypatch=monkeypatch)
    repo.write("jobs/old.yaml", JOB.format(name="old", ref="train", status="completed", day=1))
    repo.write(
        "jobs/bypath.yaml",
        JOB.format(name="bypath", ref="data/train.jsonl", status="failed", day=2),
    )
    v1 = repo.commit("v1", date="2026-11-01T00:00:00Z")
    repo.git("rm", "-q", "jobs/bypath.yaml")
    repo.commit("drop bypath", date="2026-11-02T00:00:00Z")
    write_jsonl(data, 15, extra="x")
    run(repo.root, "data", "update", monkeypatch=monkeypatch)
    repo.write("jobs/new.yaml", JOB.format(name="new", ref="train", status="running", day=3))
    repo.write("jobs/bad.yaml", "name: [\n")
    repo.commit("v2", date="2026-11-03T00:00:00Z")

    r = run(repo.root, "data", "log", "train", monkeypatch=monkeypatch)
    lines = r.stdout.splitlines()
    assert r.exit_code == 0 and len(lines) == 2
    assert "changed" in lines[0] and "15 samples  (+5 samples, +" in lines[0]
    assert lines[1].startswith(v1[:12]) and "added" in lines[1]

    r = run(
        repo.root, "data", "lineage", "train@" + v1, "--format", "json", monkeypatch=monkeypatch
    )
    assert r.exit_code == 0, r.output
    jobs = {j["job"]: j for j in json.loads(r.stdout)["jobs"]}
    assert set(jobs) == {"old", "bypath"}
    assert jobs["bypath"]["deleted"] is True and jobs["bypath"]["status"] == "failed"
    assert jobs["old"]["commit"] == v1 and jobs["old"]["time"] == "2026-11-01T10:00:00Z"

    r = run(repo.root, "data", "lineage", "train", "--format", "json", monkeypatch=monkeypatch)
    payload = json.loads(r.stdout)
    assert [j["job"] for j in payload["jobs"]] == ["new"]
    assert payload["problems"][0].startswith(f"{repo.git('rev-parse', 'HEAD')[:12]}:jobs/bad.yaml:")
    sha = payload["target"]["sha256"]
    r = run(repo.root, "data", "lineage", sha[:10], "--format", "json", monkeypatch=monkeypatch)
    assert [j["job"] for j in json.loads(r.stdout)["jobs"]] == ["new"]

    r = run(
        repo.root,
        "data",
        "compare",
        f"train@{v1}",
        "train",
        "--format",
        "json",
        monkeypatch=monkeypatch,
    )
    got = json.loads(r.stdout)
    assert got["changed"] is True and got["samples_delta"] == 5
    r = run(repo.root, "data", "compare", "train", "data/train.jsonl", monkeypatch=monkeypatch)
    assert r.exit_code == 0 and r.stdout.endswith("data: identical\n")
    r = run(repo.root, "data", "lineage", "train@nope", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stderr) == (2, "error: unknown revision 'nope'\n")


def test_compare_reports_column_changes(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), repo.root / "one.parquet")
    pq.write_table(
        pa.table({"a": [1.5, 2.0, 3.0], "c": [True, False, True]}), repo.root / "two.parquet"
    )
    r = run(repo.root, "data", "compare", "one.parquet", "two.parquet", monkeypatch=monkeypatch)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[2:] == [
        "data: changed (size "
        + r.stdout.split("size ")[1].split(" bytes")[0]
        + " bytes, samples +1)",
        "  ~ a: int64 -> double",
        "  - b: string",
        "  + c: bool",
    ]


def test_written_lockfile_passes_git_train_validate(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(repo.root / "data/a.jsonl", 3)
    write_jsonl(repo.root / "data/shards/p0.jsonl", 3)
    for path in ("data/a.jsonl", "data/shards"):
        assert run(repo.root, "data", "add", path, monkeypatch=monkeypatch).exit_code == 0
    r = run(repo.root, "validate", "gittrain.lock", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stdout) == (0, "1 file checked: 0 errors, 0 warnings\n")


def test_default_names_and_bad_names(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(repo.root / "data/train.v2.jsonl", 2)
    write_jsonl(repo.root / "data/my shards/p.jsonl", 2)
    r = run(repo.root, "data", "add", "data/train.v2.jsonl", monkeypatch=monkeypatch)
    assert r.stdout.startswith("added train.v2: ")
    r = run(repo.root, "data", "add", "data/my shards", monkeypatch=monkeypatch)
    assert r.exit_code == 1
    assert r.stderr.endswith("starting with a letter or digit; choose one with --name\n")
    r = run(repo.root, "data", "add", "data/my shards", "--name", "shards", monkeypatch=monkeypatch)
    assert r.exit_code == 0 and r.stdout.startswith("added shards: data/my shards (dir, 1 file)")
    r = run(
        repo.root, "data", "add", "data/train.v2.jsonl", "--name", "other", monkeypatch=monkeypatch
    )
    assert (r.exit_code, r.stderr) == (
        1,
        "error: data/train.v2.jsonl: already locked as 'train.v2'; use --name train.v2 to "
        "update it\n",
    )


def test_a_derived_name_locked_elsewhere_is_refused(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(repo.root / "data/t.jsonl", 2)
    (repo.root / "data/t.csv").write_text("a,b\n1,2\n")
    assert run(repo.root, "data", "add", "data/t.jsonl", monkeypatch=monkeypatch).exit_code == 0
    before = (repo.root / "gittrain.lock").read_bytes()
    r = run(repo.root, "data", "add", "data/t.csv", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        "error: data/t.csv: the name 't' is already locked for data/t.jsonl; choose another "
        "with --name, or use --name t to point it here\n",
    )
    assert (repo.root / "gittrain.lock").read_bytes() == before
    # Adding the same path again, or choosing the name, still works.
    assert run(repo.root, "data", "add", "data/t.jsonl", monkeypatch=monkeypatch).exit_code == 0
    r = run(repo.root, "data", "add", "data/t.csv", "--name", "t", monkeypatch=monkeypatch)
    assert r.exit_code == 0 and r.stdout.startswith("updated t: data/t.csv"), r.stdout
    r = run(repo.root, "data", "add", "data/t.jsonl", "--name", "t_jsonl", monkeypatch=monkeypatch)
    assert r.exit_code == 0 and r.stdout.startswith("added t_jsonl: "), r.stdout


def test_a_fifo_in_a_dataset_is_refused(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(repo.root / "data/d/a.jsonl", 2)
    os.mkfifo(repo.root / "data/d/pipe")
    r = run(repo.root, "data", "add", "data/d", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stderr) == (
        1,
        "error: data/d/pipe: not a regular file (a FIFO, socket or device)\n",
    )


def test_lineage_all_refs_sees_other_branches(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(repo.root / "data/t.jsonl", 3)
    run(repo.root, "data", "add", "data/t.jsonl", monkeypatch=monkeypatch)
    repo.commit("lock")
    repo.git("checkout", "-q", "-b", "exp")
    repo.write("jobs/exp.yaml", JOB.format(name="exp", ref="t", status="completed", day=4))
    repo.commit("job on a branch")
    repo.git("checkout", "-q", "main")
    r = run(repo.root, "data", "lineage", "t", "--format", "json", monkeypatch=monkeypatch)
    assert json.loads(r.stdout)["jobs"] == []
    r = run(repo.root, "data", "lineage", "t", "--all", "--format", "json", monkeypatch=monkeypatch)
    assert [j["job"] for j in json.loads(r.stdout)["jobs"]] == ["exp"]


def test_log_of_an_unknown_dataset(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    r = run(repo.root, "data", "log", "nope", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stdout) == (0, "")  # no commits yet: no versions
    repo.write("README", "x\n")
    repo.commit("first")
    r = run(repo.root, "data", "log", "nope", monkeypatch=monkeypatch)
    assert (r.exit_code, r.stderr) == (
        1,
        "error: gittrain.lock: no dataset named 'nope' in the history of HEAD\n",
    )


def test_add_from_a_subdirectory_takes_a_path_relative_to_it(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(repo.root / "data/sub/a.jsonl", 3)
    r = run(repo.root / "data", "data", "add", "sub/a.jsonl", monkeypatch=monkeypatch)
    assert r.exit_code == 0, r.output
    assert "path: data/sub/a.jsonl" in (repo.root / "gittrain.lock").read_text()


def test_lineage_credits_a_run_to_the_data_locked_where_it_finished(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11.11: a later comment edit or rename of the job file does not move the run."""

    def lineage(spec: str) -> list[dict[str, object]]:
        r = run(repo.root, "data", "lineage", spec, "--format", "json", monkeypatch=monkeypatch)
        assert r.exit_code == 0, r.output
        jobs = json.loads(r.stdout)["jobs"]
        assert isinstance(jobs, list)
        return jobs

    data = repo.root / "data/train.jsonl"
    write_jsonl(data, 10)
    run(repo.root, "data", "add", "data/train.jsonl", monkeypatch=monkeypatch)
    repo.write("jobs/done.yaml", JOB.format(name="done", ref="train", status="completed", day=1))
    repo.write("jobs/later.yaml", "name: later\ndatasets:\n  train: train\n")
    finished = repo.commit("v1: done finished, later pending")
    write_jsonl(data, 12, extra="x")
    run(repo.root, "data", "update", monkeypatch=monkeypatch)
    repo.commit("v2")
    done = (repo.root / "jobs/done.yaml").read_text()
    repo.write("jobs/done.yaml", "# the first good run\n" + done)
    repo.commit("a comment on the finished job")
    repo.write("jobs/later.yaml", JOB.format(name="later", ref="train", status="failed", day=5))
    later = repo.commit("later finished on v2")
    repo.git("mv", "jobs/done.yaml", "jobs/first.yaml")
    repo.commit("rename")

    v1 = lineage(f"train@{finished}")
    assert [(j["job"], j["commit"], j["deleted"]) for j in v1] == [("first", finished, False)]
    assert v1[0]["path"] == "jobs/first.yaml"
    assert [(j["job"], j["commit"]) for j in lineage("train")] == [("later", later)]
    text = run(repo.root, "data", "lineage", f"train@{finished}", monkeypatch=monkeypatch)
    assert "(deleted)" not in text.stdout and "first" in text.stdout
    # A job removed for good still shows as deleted.
    repo.git("rm", "-q", "jobs/first.yaml")
    repo.commit("drop it")
    assert [(j["job"], j["deleted"]) for j in lineage(f"train@{finished}")] == [("first", True)]
