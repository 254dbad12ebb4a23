"""`data add s3://...` and `data status` against a real S3 API (moto's server on 127.0.0.1)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lockhelp import jsonl, lock

from gittrain.adapters import arrow
from gittrain.adapters.remote import urls
from gittrain.commands.data_add import add_remote
from gittrain.core.data.remote import snapshot_remote
from gittrain.errors import GittrainError
from tests.conftest import Cli, Repo, assert_one_line_error, snapshot
from tests.datahelp import write_jsonl
from tests.remote_servers import S3, free_port, sha256

pytest.importorskip("s3fs", reason="the [s3] extra is installed with the test extras")


def parquet_bytes(rows: int, *, blob: int = 0) -> bytes:
    """A Parquet file; ``blob`` bytes of incompressible data per row make it large."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "prompt": [f"q{i}" for i in range(rows)],
            "blob": [os.urandom(blob) for _ in range(rows)],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    return buffer.getvalue()


# -- data add: one object ---------------------------------------------------------------


def test_parquet_rows_and_columns_come_from_the_footer_alone(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    data = parquet_bytes(200, blob=20_000)  # ~4 MB
    s3.put("bkt", "eval/eval.parquet", data, sha256=True)
    s3.log.clear()
    r = cli("data", "add", "s3://bkt/eval/eval.parquet", cwd=repo.root)
    assert r.code == 0, r
    assert r.out.startswith(
        "added eval: s3://bkt/eval/eval.parquet (parquet), "
        f"sha256 {sha256(data)[:12]} (s3-checksum), 200 samples, "
    )
    entry = lock(repo)["eval"]
    assert entry["sha256"] == sha256(data)
    assert entry["sha256_from"] == "s3-checksum"
    assert entry["columns"] == {"prompt": "string", "blob": "binary"}
    assert entry["size"] == len(data)
    assert set(entry["provider"]) == {"etag"}  # type: ignore[arg-type]
    fetched = sum(r.sent for r in s3.log.gets("/bkt/eval/eval.parquet"))
    assert 0 < fetched < len(data) // 10  # ranged reads of the footer, no download


def test_jsonl_without_hash_records_identity_and_says_what_it_left_out(
    repo: Repo, cli: Cli, s3: S3
) -> None:
    s3.bucket()
    s3.put("bkt", "train.jsonl", jsonl(5))
    s3.log.clear()
    r = cli("data", "add", "s3://bkt/train.jsonl", cwd=repo.root)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith("added train: s3://bkt/train.jsonl (jsonl), version ")
    assert f"(no sha256 known), ? samples, {len(jsonl(5))} bytes" in lines[0]
    assert lines[1] == "note: samples not counted: JSONL needs --hash"
    assert lines[2].startswith("note: no sha256 known")
    entry = lock(repo)["train"]
    assert (entry["sha256"], entry["num_samples"], entry["columns"]) == (None, None, {})
    assert "hash_algorithm" not in entry and "sha256_from" not in entry
    assert s3.log.gets("/bkt/train.jsonl") == []  # metadata only


def test_hash_streams_jsonl_and_csv_once_and_counts_like_local(
    repo: Repo, cli: Cli, s3: S3
) -> None:
    s3.bucket()
    body = jsonl(1234)
    csv = b'id,text\n1,"two\nlines"\n2,plain\n3,"say ""hi"""\n'
    s3.put("bkt", "d/train.jsonl", body)
    s3.put("bkt", "d/table.csv", csv)
    repo.write("local/train.jsonl", body)
    repo.write("local/table.csv", csv)
    for url in ("s3://bkt/d/train.jsonl", "s3://bkt/d/table.csv"):
        r = cli("data", "add", url, "--hash", "--name", "r-" + url.rsplit("/", 1)[1], cwd=repo.root)
        assert r.code == 0, r
        assert "note:" not in r.out
    for rel in ("local/train.jsonl", "local/table.csv"):
        assert (
            cli("data", "add", rel, "--name", "l-" + rel.rsplit("/", 1)[1], cwd=repo.root).code == 0
        )
    got = lock(repo)
    for name in ("train.jsonl", "table.csv"):
        remote, local = got["r-" + name], got["l-" + name]
        assert remote["sha256_from"] == "gittrain"
        for key in ("sha256", "size", "num_samples", "columns", "format"):
            assert remote[key] == local[key], key
    assert got["r-table.csv"]["num_samples"] == 3
    assert len(s3.log.gets("/bkt/d/train.jsonl")) == 1  # one streamed GET


def test_s3_checksum_is_a_sha256_only_when_it_covers_the_whole_object(
    repo: Repo, cli: Cli, s3: S3
) -> None:
    s3.bucket()
    whole = jsonl(10)
    s3.put("bkt", "whole.jsonl", whole, sha256=True)
    part = b"x" * (5 << 20)
    s3.put_multipart("bkt", "multi.jsonl", [part, b'{"a": 1}\n'])
    for url in ("s3://bkt/whole.jsonl", "s3://bkt/multi.jsonl"):
        assert cli("data", "add", url, cwd=repo.root).code == 0
    got = lock(repo)
    assert (got["whole"]["sha256"], got["whole"]["sha256_from"]) == (sha256(whole), "s3-checksum")
    multi = got["multi"]
    assert multi["sha256"] is None and "sha256_from" not in multi
    provider = multi["provider"]
    assert isinstance(provider, dict)
    assert str(provider["etag"]).endswith("-2")
    assert "checksum_sha256_composite" in provider
    assert provider["checksum_sha256_composite"] != sha256(part + b'{"a": 1}\n')


def test_hash_checks_the_providers_sha256_and_records_its_own(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    body = jsonl(3)
    s3.put("bkt", "a.jsonl", body, sha256=True)
    r = cli("data", "add", "s3://bkt/a.jsonl", "--hash", cwd=repo.root)
    assert r.code == 0, r
    entry = lock(repo)["a"]
    assert (entry["sha256"], entry["sha256_from"], entry["num_samples"]) == (
        sha256(body),
        "gittrain",
        3,
    )


def test_versioned_bucket_records_the_version(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket("vers", versioned=True)
    reply = s3.put("vers", "a.jsonl", jsonl(3))
    assert cli("data", "add", "s3://vers/a.jsonl", cwd=repo.root).code == 0
    provider = lock(repo)["a"]["provider"]
    assert provider == {"etag": reply["ETag"].strip('"'), "version_id": reply["VersionId"]}


def test_readding_unchanged_data_without_hash_keeps_what_hash_found(
    repo: Repo, cli: Cli, s3: S3
) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(4))
    assert cli("data", "add", "s3://bkt/a.jsonl", "--hash", cwd=repo.root).code == 0
    before = (repo.root / "gittrain.lock").read_bytes()
    r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert r.code == 0 and r.out.startswith("unchanged a:"), r
    assert (repo.root / "gittrain.lock").read_bytes() == before


def test_default_names_and_a_bad_default_name(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "x/eval.parquet", parquet_bytes(3))
    s3.put("bkt", "shards/v2/a.jsonl", jsonl(1))
    s3.put("bkt", "odd name.jsonl", jsonl(1))
    assert cli("data", "add", "s3://bkt/x/eval.parquet", cwd=repo.root).code == 0
    assert cli("data", "add", "s3://bkt/shards/v2/", cwd=repo.root).code == 0
    assert set(lock(repo)) == {"eval", "v2"}
    r = cli("data", "add", "s3://bkt/odd name.jsonl", cwd=repo.root)
    assert_one_line_error(r, 1, "'odd name'", "--name")
    # A derived name locked for another place is refused before anything is read.
    s3.put("bkt", "y/eval.parquet", parquet_bytes(4))
    before = (repo.root / "gittrain.lock").read_bytes()
    r = cli("data", "add", "s3://bkt/y/eval.parquet", cwd=repo.root)
    assert_one_line_error(r, 1, "'eval' is already locked for s3://bkt/x/eval.parquet", "--name")
    assert (repo.root / "gittrain.lock").read_bytes() == before
    assert cli("data", "add", "s3://bkt/shards/v2/", cwd=repo.root).code == 0  # the same place


# -- data add: a prefix ------------------------------------------------------------------


def test_prefix_is_a_manifest_exactly_like_a_local_directory(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.adapters.remote import s3 as s3_adapter

    monkeypatch.setattr(s3_adapter, "PAGE", 3)  # several ListObjectsV2 pages
    s3.bucket()
    files = {
        "part-0.jsonl": jsonl(5),
        "part-1.jsonl": jsonl(7, "b"),
        "sub/part-2.jsonl": jsonl(2, "c"),
        "sub/eval.parquet": parquet_bytes(4),
        "README.md": b"about\n",
        "z.csv": b"a,b\n1,2\n",
    }
    for rel, body in files.items():
        s3.put("bkt", f"corpus/{rel}", body, sha256=rel.endswith(".jsonl"))
        repo.write(f"corpus/{rel}", body)
    s3.put("bkt", "corpus/empty-folder/", b"")  # a console's folder marker: not an object
    s3.put("bkt", "corpus-other/x.jsonl", jsonl(1))  # beside the prefix, not under it
    r = cli("data", "add", "s3://bkt/corpus/", "--hash", "--name", "remote", cwd=repo.root)
    assert r.code == 0, r
    assert cli("data", "add", "corpus", "--name", "local", cwd=repo.root).code == 0
    got = lock(repo)
    remote, local = got["remote"], got["local"]
    for key in ("format", "sha256", "hash_algorithm", "size", "files", "num_samples", "columns"):
        assert remote[key] == local[key], key
    assert remote["files"] == 6 and remote["num_samples"] == 5 + 7 + 2 + 4 + 1
    assert remote["sha256_from"] == "gittrain"
    provider = remote["provider"]
    assert isinstance(provider, dict) and provider["objects"] == 6
    assert len(str(provider["identity_digest"])) == 64


def test_prefix_without_hash_counts_parquet_and_names_what_needs_hash(
    repo: Repo, cli: Cli, s3: S3
) -> None:
    s3.bucket()
    s3.put("bkt", "p/a.parquet", parquet_bytes(3), sha256=True)
    s3.put("bkt", "p/b.parquet", parquet_bytes(4), sha256=True)
    r = cli("data", "add", "s3://bkt/p/", cwd=repo.root)
    assert r.code == 0, r
    assert "note:" not in r.out
    entry = lock(repo)["p"]
    assert entry["num_samples"] == 7
    assert entry["sha256_from"] == "s3-checksum"  # every object has a whole-object sha256
    s3.put("bkt", "p/c.jsonl", jsonl(2))
    s3.put("bkt", "p/d.csv", b"a\n1\n")
    r = cli("data", "add", "s3://bkt/p/", cwd=repo.root)
    assert r.code == 0, r
    assert "note: samples not counted: CSV/JSONL need --hash" in r.out.splitlines()
    entry = lock(repo)["p"]
    assert (entry["num_samples"], entry["sha256"]) == (None, None)


def test_mixed_sources_join_in_sha256_from(repo: Repo, cli: Cli, s3: S3) -> None:
    from gittrain.core.data.remote import RemoteSnapshot

    s3.bucket()
    s3.put("bkt", "m/a.jsonl", jsonl(1), sha256=True)
    snap: RemoteSnapshot = snapshot_remote(urls.parse("s3://bkt/m/"))  # type: ignore[arg-type]
    assert snap.sha256_from == "s3-checksum"
    assert snap.uncounted == ("jsonl",)


# -- data status -------------------------------------------------------------------------


def test_status_ok_modified_missing_and_offline(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket("vers", versioned=True)
    s3.put("vers", "one.jsonl", jsonl(3))
    s3.put("vers", "gone.jsonl", jsonl(3))
    s3.put("vers", "dir/a.jsonl", jsonl(1))
    s3.put("vers", "dir/b.jsonl", jsonl(2))
    s3.put("vers", "same.jsonl", jsonl(1))
    for url in ("one.jsonl", "gone.jsonl", "dir/", "same.jsonl"):
        assert cli("data", "add", f"s3://vers/{url}", cwd=repo.root).code == 0
    write_jsonl(repo.root / "data/local.jsonl", 2)
    assert cli("data", "add", "data/local.jsonl", cwd=repo.root).code == 0

    r = cli("data", "status", cwd=repo.root)
    assert r.code == 0, r
    assert [line.split()[0] for line in r.out.splitlines()] == ["ok"] * 5

    s3.put("vers", "one.jsonl", jsonl(4))
    s3.delete("vers", "gone.jsonl")
    s3.put("vers", "dir/c.jsonl", jsonl(1))
    s3.log.clear()
    r = cli("data", "status", cwd=repo.root)
    assert r.code == 1, r
    rows = {line.split()[1]: line for line in r.out.splitlines()}
    assert rows["one"].startswith("modified  one    s3://vers/one.jsonl  (version_id: ")
    assert "; etag: " in rows["one"]
    assert rows["one"].endswith(f"; size: {len(jsonl(3))} -> {len(jsonl(4))})")
    assert rows["gone"].startswith("missing   gone")
    assert rows["dir"].startswith("modified  dir    s3://vers/dir/  (files: 2 -> 3; size: ")
    assert "identity_digest: " in rows["dir"]
    assert rows["same"].startswith("ok ") and rows["local"].startswith("ok ")
    assert s3.log.count("GET") == 1  # the prefix's listing; objects got one HEAD each
    assert s3.log.count("HEAD") == 3

    r = cli("data", "status", "--format", "json", cwd=repo.root)
    payload = json.loads(r.out)
    states = {d["name"]: d for d in payload["datasets"]}
    assert states["one"]["state"] == "modified"
    assert [d["field"] for d in states["one"]["differences"]] == ["version_id", "etag", "size"]
    assert states["gone"]["state"] == "missing" and payload["skipped_remote"] == 0

    s3.log.clear()
    r = cli("data", "status", "--offline", cwd=repo.root)
    assert r.code == 0, r
    assert r.out == "ok        local  data/local.jsonl\nskipped 4 remote datasets (--offline)\n"
    assert s3.log.requests == []
    r = cli("data", "status", "--offline", "--format", "json", cwd=repo.root)
    assert json.loads(r.out)["skipped_remote"] == 4


def test_status_of_one_named_remote_dataset(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    s3.put("bkt", "b.jsonl", jsonl(1))
    for key in ("a.jsonl", "b.jsonl"):
        assert cli("data", "add", f"s3://bkt/{key}", cwd=repo.root).code == 0
    s3.delete("bkt", "b.jsonl")
    r = cli("data", "status", "a", cwd=repo.root)
    assert (r.code, r.out) == (0, "ok        a  s3://bkt/a.jsonl\n")


def test_update_rereads_a_remote_dataset_the_way_it_was_added(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(2))
    assert cli("data", "add", "s3://bkt/a.jsonl", "--hash", cwd=repo.root).code == 0
    r = cli("data", "update", cwd=repo.root)
    assert r.code == 0 and r.out.startswith("unchanged a:"), r
    s3.put("bkt", "a.jsonl", jsonl(5))
    r = cli("data", "update", cwd=repo.root)
    assert r.code == 0 and r.out.startswith("updated a:"), r
    entry = lock(repo)["a"]
    assert (entry["sha256"], entry["num_samples"]) == (sha256(jsonl(5)), 5)


# -- history: log, lineage, compare, merge --------------------------------------------


def test_log_lineage_and_compare_follow_a_remote_dataset(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "train.jsonl", jsonl(3))
    assert cli("data", "add", "s3://bkt/train.jsonl", cwd=repo.root).code == 0
    repo.write(
        "jobs/first.yaml",
        "name: first\ndatasets:\n  train: s3://bkt/train.jsonl\n"
        "result:\n  status: completed\n  finished_at: '2026-11-01T10:00:00Z'\n",
    )
    v1 = repo.commit("v1")
    s3.put("bkt", "train.jsonl", jsonl(6))  # a new ETag
    assert cli("data", "add", "s3://bkt/train.jsonl", cwd=repo.root).code == 0
    v2 = repo.commit("v2")

    r = cli("data", "log", "train", "--format", "json", cwd=repo.root)
    versions = json.loads(r.out)["versions"]
    assert [(v["commit"], v["event"]) for v in versions] == [(v2, "changed"), (v1, "added")]
    assert versions[0]["sha256"] is None and versions[0]["version"] != versions[1]["version"]
    assert versions[0]["size_delta"] == len(jsonl(6)) - len(jsonl(3))

    r = cli("data", "lineage", f"train@{v1}", "--format", "json", cwd=repo.root)
    assert r.code == 0, r
    payload = json.loads(r.out)
    assert payload["target"]["sha256"] is None
    assert [j["job"] for j in payload["jobs"]] == ["first"]
    r = cli("data", "lineage", "train", cwd=repo.root)
    assert r.out.startswith("train (version ") and r.out.splitlines()[0].endswith(": 0 jobs")

    r = cli("data", "compare", f"train@{v1}", "train", cwd=repo.root)
    assert r.code == 0, r
    first, _, verdict = r.out.splitlines()[:3]
    assert first.startswith(f"train@{v1}: version ") and "(no sha256 known)" in first
    assert verdict.startswith("data: changed (size +")


def test_merge_of_two_branches_that_each_add_a_remote_dataset(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.commands.install_merge import install_merge

    bindir = repo.root.parent / "bin"  # the driver runs this checkout's gittrain
    bindir.mkdir()
    (bindir / "git-train").write_text(f'#!/bin/sh\nexec {sys.executable} -m gittrain "$@"\n')
    (bindir / "git-train").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    install_merge(repo.root)
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    s3.put("bkt", "b/x.parquet", parquet_bytes(2))
    s3.put("bkt", "c.jsonl", jsonl(1))
    assert cli("data", "add", "s3://bkt/c.jsonl", cwd=repo.root).code == 0
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    assert cli("data", "add", "s3://bkt/a.jsonl", "--hash", cwd=repo.root).code == 0
    repo.commit("side adds a")
    repo.git("checkout", "-q", "main")
    assert cli("data", "add", "s3://bkt/b/", cwd=repo.root).code == 0
    repo.commit("main adds b")
    repo.git("merge", "-q", "--no-edit", "side")
    merged = lock(repo)
    assert set(merged) == {"a", "b", "c"}
    assert merged["a"]["sha256_from"] == "gittrain" and merged["b"]["format"] == "dir"

    # Both sides change one remote dataset differently: a conflict, not a silent pick.
    repo.git("checkout", "-q", "-b", "other")
    s3.put("bkt", "c.jsonl", jsonl(2))
    assert cli("data", "add", "s3://bkt/c.jsonl", cwd=repo.root).code == 0
    repo.commit("other changes c")
    repo.git("checkout", "-q", "main")
    s3.put("bkt", "c.jsonl", jsonl(3))
    assert cli("data", "add", "s3://bkt/c.jsonl", cwd=repo.root).code == 0
    repo.commit("main changes c")
    out = subprocess.run(
        ["git", "-C", str(repo.root), "merge", "--no-edit", "other"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    assert "conflicting changes to c" in out.stderr + out.stdout


# -- bad input: one line, the right exit code, nothing written ----------------------------


def test_object_changed_while_hashing_records_nothing(repo: Repo, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(100))
    before = snapshot(repo.root)
    calls: list[int] = []

    def overwrite(n: int) -> None:  # runs after the first bytes arrive, before the end
        if not calls:
            s3.put("bkt", "a.jsonl", jsonl(101))
        calls.append(n)

    url = urls.parse("s3://bkt/a.jsonl")
    assert url is not None
    with pytest.raises(GittrainError) as caught:
        add_remote(repo.root, url, hash=True, progress=overwrite)
    assert caught.value.code == 1
    assert caught.value.message == (
        "s3://bkt/a.jsonl: changed while it was being read; nothing was recorded, try again"
    )
    assert snapshot(repo.root) == before


def test_object_in_a_prefix_changed_while_hashing(repo: Repo, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "p/a.jsonl", jsonl(3))
    s3.put("bkt", "p/b.jsonl", jsonl(3))
    done: list[int] = []

    def overwrite(n: int) -> None:
        if not done:
            s3.put("bkt", "p/a.jsonl", jsonl(4))
            s3.put("bkt", "p/b.jsonl", jsonl(4))
        done.append(n)

    url = urls.parse("s3://bkt/p/")
    assert url is not None
    with pytest.raises(GittrainError, match="changed while it was being read"):
        snapshot_remote(url, hash=True, progress=overwrite)


@pytest.mark.parametrize(
    ("url", "code", "needles"),
    [
        ("s3://bkt/nope.jsonl", 1, ["s3://bkt/nope.jsonl: no such object"]),
        ("s3://nobucket/a.jsonl", 1, ["no such bucket 'nobucket'"]),
        ("s3://bkt/empty/", 1, ["s3://bkt/empty/: no objects under this prefix"]),
        ("s3://bkt/dir", 1, ["no such object", "add s3://bkt/dir/ (with the trailing '/')"]),
        ("s3://bkt/notes.txt", 1, ["s3://bkt/notes.txt: unknown dataset format"]),
        ("s3://bkt/zero.jsonl", 1, ["s3://bkt/zero.jsonl: object is empty"]),
        ("s3://bkt/broken.parquet", 1, ["broken.parquet: not a readable Parquet file"]),
        ("s3://x/a.jsonl", 2, ["'x' is not a valid bucket name"]),
        ("ftp://bkt/a.jsonl", 2, ["unsupported URL scheme 'ftp'"]),
    ],
)
def test_bad_remote_input_is_one_line_and_writes_nothing(
    repo: Repo, cli: Cli, s3: S3, url: str, code: int, needles: list[str]
) -> None:
    s3.bucket()
    s3.put("bkt", "dir/a.jsonl", jsonl(1))
    s3.put("bkt", "notes.txt", b"hi\n")
    s3.put("bkt", "zero.jsonl", b"")
    s3.put("bkt", "broken.parquet", b"PAR1 this is not parquet PAR1")
    repo.write("gittrain.lock", "version: 1\ndatasets: {}\n")
    before = snapshot(repo.root)
    r = cli("data", "add", url, cwd=repo.root)
    assert_one_line_error(r, code, *needles)
    assert snapshot(repo.root) == before


def test_broken_jsonl_with_hash_names_the_url_and_line(repo: Repo, cli: Cli, s3: S3) -> None:
    s3.bucket()
    s3.put("bkt", "bad.jsonl", b'{"a": 1}\n{"a": \n')
    r = cli("data", "add", "s3://bkt/bad.jsonl", "--hash", cwd=repo.root)
    assert_one_line_error(r, 1, "s3://bkt/bad.jsonl:2: malformed JSON record")
    assert not (repo.root / "gittrain.lock").exists()


def test_missing_credentials_name_s3_and_how_to_configure(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert_one_line_error(
        r, 2, "s3://bkt/a.jsonl: no S3 credentials found", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"
    )
    assert not (repo.root / "gittrain.lock").exists()


def test_an_unknown_profile_is_a_usage_error(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nosuchprofile")
    r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert_one_line_error(r, 2, "s3://bkt/a.jsonl", "nosuchprofile")


def test_status_without_credentials_is_exit_2_not_missing(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    assert cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root).code == 0
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert_one_line_error(cli("data", "status", cwd=repo.root), 2, "no S3 credentials found")


def test_unreachable_endpoint_is_one_line_naming_the_url(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert_one_line_error(r, 2, "s3://bkt/a.jsonl: cannot reach", f"127.0.0.1:{port}")
    assert not (repo.root / "gittrain.lock").exists()


def test_a_server_that_never_answers_times_out_naming_the_url(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        # The standard fsspec setting, read when the command runs.
        monkeypatch.setenv(
            "FSSPEC_S3_CONFIG_KWARGS",
            json.dumps(
                {"read_timeout": 0.3, "connect_timeout": 0.3, "retries": {"max_attempts": 1}}
            ),
        )
        r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert_one_line_error(r, 2, "s3://bkt/a.jsonl: timed out waiting for", f"127.0.0.1:{port}")


def test_executor_is_for_remote_urls_and_must_be_known(repo: Repo, cli: Cli, s3: S3) -> None:
    write_jsonl(repo.root / "data/a.jsonl", 1)
    r = cli("data", "add", "data/a.jsonl", "--executor", "dask", cwd=repo.root)
    assert_one_line_error(r, 2, "--executor dask: only remote URLs")
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    r = cli("data", "add", "s3://bkt/a.jsonl", "--executor", "nonsense", cwd=repo.root)
    assert_one_line_error(r, 2, "--executor nonsense")


def test_a_subprocess_run_prints_no_warning_or_traceback(repo: Repo, s3: S3) -> None:
    """aiohttp's "Unclosed client session" and botocore tracebacks go to stderr at exit."""
    s3.bucket()
    s3.put("bkt", "p/a.jsonl", jsonl(3))
    s3.put("bkt", "p/b.parquet", parquet_bytes(3), sha256=True)
    git_train = [sys.executable, "-W", "error", "-m", "gittrain"]
    for args in (["data", "add", "s3://bkt/p/", "--hash"], ["data", "status"]):
        out = subprocess.run(
            [*git_train, *args], cwd=repo.root, capture_output=True, text=True, check=False
        )
        assert (out.returncode, out.stderr) == (0, ""), out
    out = subprocess.run(
        [*git_train, "data", "add", "s3://bkt/missing.jsonl"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (out.returncode, out.stderr) == (1, "error: s3://bkt/missing.jsonl: no such object\n")


# -- the hooks and local commands never load a provider library --------------------------

HEAVY = ("s3fs", "fsspec", "botocore", "aiobotocore", "aiohttp", "gcsfs", "huggingface_hub")


@pytest.mark.parametrize(
    "args",
    [
        ["data", "status"],
        ["data", "status", "--offline"],
        ["check-data", "jobs/j.yaml"],
        ["hook", "pre-commit"],
    ],
)
def test_hooks_and_local_status_never_import_provider_libraries(
    repo: Repo, cli: Cli, s3: S3, args: list[str]
) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    write_jsonl(repo.root / "data/local.jsonl", 2)
    assert cli("data", "add", "data/local.jsonl", cwd=repo.root).code == 0
    if args != ["data", "status"]:  # with a remote entry too, except where it must be checked
        assert cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/j.yaml", "name: j\ndatasets:\n  train: a\n  eval: local\n")
    repo.git("add", "-A")
    probe = (
        "import sys\n"
        f"sys.argv = ['git-train', *{args!r}]\n"
        "from gittrain.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"sys.stderr.write('LOADED ' + ' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.root, capture_output=True, text=True, check=False
    )
    assert out.stderr.splitlines()[-1] == "LOADED ", out.stderr


def test_footer_reader_matches_the_local_one(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    path.write_bytes(parquet_bytes(9))
    with open(path, "rb") as handle:
        assert arrow.parquet_stats(handle, "a") == arrow.parquet_stats(path, "a")


class ProcessExecutor:
    """A stand-in for a cluster: each task runs in another process from pickled
    arguments, and builds its own store there (as a Dask worker does)."""

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))

    def map(self, fn, items, done=None):  # type: ignore[no-untyped-def]
        results = [future.result() for future in [self.pool.submit(fn, item) for item in items]]
        for item, result in zip(items, results, strict=True):
            if done is not None:
                done(item, result)
        return results

    def close(self) -> None:
        self.pool.shutdown()


def test_per_object_work_runs_in_other_processes_from_pickled_tasks(s3: S3) -> None:
    from gittrain.core.data.remote import to_entry
    from gittrain.core.data.remotestatus import status_remote

    s3.bucket()
    s3.put("bkt", "p/a.jsonl", jsonl(3))
    s3.put("bkt", "p/b.parquet", parquet_bytes(5))
    s3.put("bkt", "p/c.csv", b"x\n1\n2\n")
    url = urls.parse("s3://bkt/p/")
    assert url is not None
    near = snapshot_remote(url, hash=True)
    pool = ProcessExecutor()
    seen: list[int] = []
    try:
        far = snapshot_remote(url, hash=True, executor=pool, progress=seen.append)
        entry = to_entry("p", far, None)
        s3.put("bkt", "p/c.csv", b"x\n1\n")
        (checked,) = status_remote([entry], pool)
    finally:
        pool.close()
    assert far == near and far.num_samples == 3 + 5 + 2
    assert sum(seen) == far.size  # progress per finished object
    assert [c.field for c in checked.changes] == ["size", "identity_digest"]


def test_a_prefix_is_listed_page_by_page(s3: S3, monkeypatch: pytest.MonkeyPatch) -> None:
    from gittrain.adapters.remote import s3 as s3_adapter

    monkeypatch.setattr(s3_adapter, "PAGE", 4)
    s3.bucket()
    for i in range(10):
        s3.put("bkt", f"many/{i:02d}.jsonl", jsonl(1))
    pages: list[int] = []
    url = urls.parse("s3://bkt/many/")
    assert url is not None
    snap = snapshot_remote(url, listed=pages.append)
    assert pages == [4, 4, 2] and snap.files == 10
    # The server thread logs a request as it starts answering; the client can read the
    # last page before that thread is scheduled again, so wait for the log to catch up.
    deadline = time.monotonic() + 5
    while s3.log.count("GET") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert s3.log.count("GET") == 3 and s3.log.count("HEAD") == 0


def test_listing_progress_counts_objects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.cli import progress as progress_mod
    from gittrain.cli.progress import ByteProgress

    bar = ByteProgress("listing", enabled=True, unit="objects")
    clock = iter([bar.start + 2.0, bar.start + 2.0])
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: next(clock))
    bar(12_000)
    assert capsys.readouterr().err == "\rlisting 12,000 objects  (6,000/s)  "
    bar.close()


def test_what_data_add_reads_as_a_remote_dataset(tmp_path: Path) -> None:
    from gittrain.commands.data_add import remote_target

    (tmp_path / "data").mkdir()
    (tmp_path / "openai").mkdir()
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "name").write_text("x")
    hub = remote_target("someorg/gsm8k@v1.0", tmp_path)
    assert hub is not None and hub.text == "hf://datasets/someorg/gsm8k@v1.0"
    s3_url = remote_target("s3://bkt/a/", tmp_path)
    assert s3_url is not None and s3_url.text == "s3://bkt/a/"
    for local in ("org/name", "data/missing", "openai/gsm8k", "x/typo.jsonl", "single"):
        assert remote_target(local, tmp_path) is None, local
    with pytest.raises(GittrainError) as caught:
        remote_target("s3:///a.jsonl", tmp_path)
    assert caught.value.code == 2


@pytest.mark.parametrize(("chunk", "ahead"), [(1000, 1), (4096, 3), (1 << 20, 2)])
def test_streamed_reads_hand_over_every_byte_in_order(
    s3: S3, monkeypatch: pytest.MonkeyPatch, chunk: int, ahead: int
) -> None:
    from gittrain.adapters.remote import s3 as s3_adapter
    from gittrain.adapters.remote.store import store_for

    monkeypatch.setattr(s3_adapter, "STREAM_CHUNK", chunk)
    monkeypatch.setattr(s3_adapter, "READ_AHEAD", ahead)
    s3.bucket()
    body = os.urandom(100_003)
    s3.put("bkt", "blob.jsonl", body)
    url = urls.parse("s3://bkt/blob.jsonl")
    assert url is not None
    with store_for(url).open(url) as handle:
        got = bytearray()
        buffer = bytearray(7_777)
        while n := handle.readinto(buffer):  # type: ignore[attr-defined]
            got += buffer[:n]
    assert bytes(got) == body
    with store_for(url).open(url) as handle:
        assert handle.read(10) == body[:10]  # closed early: the read-ahead task stops


@pytest.mark.parametrize("setting", ["AWS_ENDPOINT_URL_S3", "FSSPEC_S3_ENDPOINT_URL"])
def test_the_endpoint_comes_from_the_standard_settings(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """The service-specific AWS setting and fsspec's own both win over AWS_ENDPOINT_URL."""
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing there
    monkeypatch.setenv(setting, s3.endpoint)
    r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert r.code == 0, r


def test_credentials_from_an_aws_profile(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    s3.bucket()
    s3.put("bkt", "a.jsonl", jsonl(1))
    credentials = tmp_path / "credentials"
    credentials.write_text("[team]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "team")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    r = cli("data", "add", "s3://bkt/a.jsonl", cwd=repo.root)
    assert r.code == 0, r


@pytest.mark.parametrize("versioned", [False, True])
def test_many_objects_in_one_folder_are_checked_with_one_listing(
    repo: Repo, cli: Cli, s3: S3, versioned: bool
) -> None:
    """Unless their lock entries hold a version only a HEAD reports."""
    s3.bucket("many", versioned=versioned)
    for i in range(10):
        s3.put("many", f"f/{i}.jsonl", jsonl(1))
        assert (
            cli("data", "add", f"s3://many/f/{i}.jsonl", "--name", f"o{i}", cwd=repo.root).code == 0
        )
    s3.put("many", "f/1.jsonl", jsonl(2))
    s3.delete("many", "f/2.jsonl")
    s3.log.clear()
    r = cli("data", "status", "--format", "json", cwd=repo.root)
    assert r.code == 1, r
    states = {d["name"]: d for d in json.loads(r.out)["datasets"]}
    assert states["o2"]["state"] == "missing"
    assert states["o1"]["state"] == "modified"
    fields = [d["field"] for d in states["o1"]["differences"]]
    assert fields == (["version_id", "etag", "size"] if versioned else ["etag", "size"])
    assert [states[f"o{i}"]["state"] for i in (0, *range(3, 10))] == ["ok"] * 8
    assert s3.log.count("GET") == 1  # the folder's listing
    assert s3.log.count("HEAD") == (9 if versioned else 0)  # o2 is missing from the listing
