"""gs:// datasets: the GCS store through gcsfs against a GCS JSON API contract server
(tests/gcs_server.py), not live GCS."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lockhelp import jsonl, lock, without_fsspec_settings

from gittrain.adapters.remote.store import Store, store_for
from gittrain.adapters.remote.urls import RemoteURL, parse
from gittrain.commands.data_add import add_remote
from gittrain.errors import GittrainError
from tests.conftest import Cli, Repo, assert_one_line_error, snapshot

pytest.importorskip("gcsfs", reason="the [gcs] extra is installed with the test extras")
google_crc32c = pytest.importorskip("google_crc32c", reason="in the test extra")

from tests.gcs_server import GCSServer  # noqa: E402 - after the skips above

ROWS = 20_000  # of 1 KB of random bytes: a 20 MB Parquet object that does not compress
_GOOGLE_ENV = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "CLOUDSDK_CONFIG",
    "FSSPEC_GCS",
    "FSSPEC_GCS_TOKEN",
    "FSSPEC_GS",
    "FSSPEC_GS_TOKEN",
)


@pytest.fixture
def gcs(monkeypatch: pytest.MonkeyPatch) -> Iterator[GCSServer]:
    from gittrain.adapters.remote import gcs as provider

    for name in _GOOGLE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_GCE_CHECK", "true")  # never probe a GCE metadata server
    monkeypatch.setenv("FETCH_RAW_TOKEN_EXPIRY", "false")  # nor Google's tokeninfo
    with GCSServer() as server:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", server.endpoint)
        server.bucket("data")
        yield server
    provider.close_all()


def gs(text: str) -> RemoteURL:
    url = parse(text)
    assert url is not None
    return url


def store(url: RemoteURL, timeout: float = 10.0) -> Store:
    return store_for(url, timeout)


def parquet_bytes(rows: int = ROWS) -> bytes:
    table = pa.table({"id": list(range(rows)), "blob": [os.urandom(1000) for _ in range(rows)]})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="none")
    return sink.getvalue()


# -- stat: one metadata request ------------------------------------------------------


def test_stat_gives_gcs_identity_and_never_a_sha256(gcs: GCSServer) -> None:
    data = b'{"q": 1}\n' * 50
    generation = gcs.put("data", "evals/eval.jsonl", data)
    url = gs("gs://data/evals/eval.jsonl")
    info = store(url).stat(url)
    assert info is not None
    assert (info.key, info.size, info.sha256, info.sha256_from) == ("", len(data), None, None)
    assert dict(info.identity) == {
        "crc32c": f"{google_crc32c.value(data):08x}",
        "md5": hashlib.md5(data).hexdigest(),
        "generation": str(generation),
        "size": len(data),
    }
    assert [r.path for r in gcs.requests] == ["/storage/v1/b/data/o/evals%2Feval.jsonl"]


def test_a_composite_object_has_no_md5(gcs: GCSServer) -> None:
    gcs.put("data", "big.jsonl", b"{}\n", composite=True)
    url = gs("gs://data/big.jsonl")
    info = store(url).stat(url)
    assert info is not None
    assert sorted(info.identity) == ["crc32c", "generation", "size"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gs://data/nope.jsonl", "no such object in bucket data"),
        ("gs://nobucket/a.jsonl", "no such bucket 'nobucket'"),
        ("gs://data/dir", "no such object; for the objects under it, add gs://data/dir/"),
    ],
)
def test_a_missing_object_is_none_for_stat_and_exit_1_for_pages(
    gcs: GCSServer, text: str, message: str
) -> None:
    gcs.put("data", "dir/a.jsonl", b"{}\n")
    url = gs(text)
    if url.bucket == "data":
        assert store(url).stat(url) is None
    with pytest.raises(GittrainError) as err:
        list(store(url).pages(url))
    assert err.value.code == 1
    assert str(err.value).startswith(f"{url.text}: {message}")


# -- listing: page by page -----------------------------------------------------------


def test_a_prefix_is_listed_a_page_at_a_time(gcs: GCSServer) -> None:
    for i in range(2500):
        gcs.put("data", f"shards/{i:05d}.jsonl", b"{}\n")
    gcs.put("data", "shards/", b"")  # a console's "folder" placeholder
    gcs.put("data", "shards/sub/deep.parquet", b"PAR1")
    gcs.put("data", "other/x.jsonl", b"{}\n")
    url = gs("gs://data/shards/")
    gcs.clear()
    pages = store(url).pages(url)
    first = next(pages)
    assert len(first) == 999  # 1,000 listed, less the placeholder
    assert len(gcs.requests) == 1  # lazily: one listing request for one page
    rest = list(pages)
    keys = [o.key for o in first] + [o.key for page in rest for o in page]
    assert [len(p) for p in rest] == [1000, 502]
    assert keys[:2] == ["00000.jsonl", "00001.jsonl"]
    assert keys[-1] == "sub/deep.parquet" and "" not in keys
    assert all(o.url.text == f"gs://data/shards/{o.key}" for o in first)
    queries = [r.query for r in gcs.requests]
    assert queries[0] == "prefix=shards/&maxResults=1000"
    assert "pageToken=" in queries[1]


def test_an_empty_prefix_and_a_missing_bucket_are_exit_1(gcs: GCSServer) -> None:
    for text, message in [
        ("gs://data/empty/", "no objects under this prefix"),
        ("gs://nobucket/x/", "no such bucket 'nobucket'"),
    ]:
        url = gs(text)
        with pytest.raises(GittrainError) as err:
            list(store(url).pages(url))
        assert (err.value.code, str(err.value)) == (1, f"{text}: {message}")


# -- reading -------------------------------------------------------------------------


def test_open_reads_the_bytes_in_ranges_pinned_to_the_generation(gcs: GCSServer) -> None:
    data = os.urandom(20 << 20)
    generation = gcs.put("data", "blob.bin", data)
    url = gs("gs://data/blob.bin")
    gcs.clear()
    with store(url).open(url) as body:
        assert body.read() == data
    media = [r for r in gcs.requests if r.path.startswith("/download/")]
    assert [r.range for r in media] == [
        f"bytes={0 << 20}-{(8 << 20) - 1}",
        f"bytes={8 << 20}-{(16 << 20) - 1}",
        f"bytes={16 << 20}-{(20 << 20) - 1}",
    ]
    assert all(f"generation={generation}" in r.query for r in media)


def test_an_object_replaced_while_read_is_refused(gcs: GCSServer) -> None:
    gcs.put("data", "blob.bin", os.urandom(20 << 20))
    url = gs("gs://data/blob.bin")
    with store(url).open(url) as body:
        body.read(1)  # the first 8 MiB
        generation = gcs.put("data", "blob.bin", os.urandom(20 << 20))
        with pytest.raises(GittrainError) as err:
            body.read()
    assert err.value.code == 1
    assert str(err.value) == (
        f"{url.text}: changed while it was being read "
        f"(generation {generation - 1} was replaced); try again"
    )


def test_a_parquet_footer_is_read_with_a_few_small_ranges(gcs: GCSServer) -> None:
    data = parquet_bytes()
    gcs.put("data", "train.parquet", data)
    url = gs("gs://data/train.parquet")
    gcs.clear()
    with store(url).open_random(url, len(data)) as handle:
        assert pq.ParquetFile(handle).metadata.num_rows == ROWS
    ranges = [r.range for r in gcs.requests if r.path.startswith("/download/")]
    assert ranges and all(ranges)
    fetched = 0
    for header in ranges:
        assert header is not None
        start, end = header.removeprefix("bytes=").split("-")
        fetched += int(end) - int(start) + 1
    assert fetched < 1 << 20 < len(data) // 16


def test_open_random_refuses_an_object_whose_size_changed(gcs: GCSServer) -> None:
    gcs.put("data", "a.parquet", b"PAR1" * 4)
    url = gs("gs://data/a.parquet")
    with pytest.raises(GittrainError, match=r"the object changed \(now 16 bytes, listed as 20\)"):
        store(url).open_random(url, 20)


# -- credentials and endpoints ---------------------------------------------------------


def test_missing_credentials_are_exit_2_naming_gcs_and_how_to_configure(gcs: GCSServer) -> None:
    gcs.put("data", "a.jsonl", b"{}\n")
    gcs.token = "s3cret"
    url = gs("gs://data/a.jsonl")
    with pytest.raises(GittrainError) as err:
        store(url).stat(url)
    assert err.value.code == 2
    assert str(err.value) == (
        f"{url.text}: GCS wants credentials (HTTP 401); set GOOGLE_APPLICATION_CREDENTIALS "
        "to a service-account key file, run `gcloud auth application-default login`, "
        "or set FSSPEC_GCS_TOKEN"
    )


def test_a_token_from_fsspec_config_is_sent(
    gcs: GCSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b'{"a": 1}\n'
    gcs.put("data", "a.jsonl", data)
    gcs.token = "s3cret"
    monkeypatch.setenv("FSSPEC_GCS_TOKEN", "s3cret")  # a raw access token
    url = gs("gs://data/a.jsonl")
    info = store(url).stat(url)
    assert info is not None and info.size == len(data)
    with store(url).open(url) as body:
        assert body.read() == data


def test_an_unreadable_key_file_is_exit_2(
    gcs: GCSServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "key.json"
    key.write_text("not json")
    monkeypatch.setenv("FSSPEC_GCS_TOKEN", str(key))
    url = gs("gs://data/a.jsonl")
    with pytest.raises(GittrainError) as err:
        store(url).stat(url)
    assert err.value.code == 2
    message = str(err.value)
    assert message.startswith(f"{url.text}: GCS credentials could not be loaded (")
    assert message.endswith("or set FSSPEC_GCS_TOKEN") and "\n" not in message


def test_a_refused_connection_is_exit_2_at_once(
    gcs: GCSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    url = gs("gs://data/a.jsonl")
    with pytest.raises(GittrainError) as err:
        store(url).stat(url)
    assert err.value.code == 2
    assert str(err.value) == (
        f"{url.text}: cannot connect to GCS at http://127.0.0.1:{port}: {os.strerror(111)}"
    )


@pytest.mark.parametrize("step", ["stat", "pages", "open"])
def test_a_silent_endpoint_times_out_naming_the_url(gcs: GCSServer, step: str) -> None:
    gcs.put("data", "a.jsonl", b"{}\n")
    gcs.stall = True
    url = gs("gs://data/a.jsonl" if step != "pages" else "gs://data/")
    s = store(url, timeout=0.3)
    with pytest.raises(GittrainError) as err:
        if step == "stat":
            s.stat(url)
        elif step == "pages":
            list(s.pages(url))
        else:
            s.open(url)
    assert err.value.code == 2
    assert str(err.value) == f"{url.text}: no answer from GCS at {gcs.endpoint} within 0.3 s"
    assert len(gcs.requests) == 1  # not retried


def test_a_process_using_the_store_exits_cleanly(gcs: GCSServer) -> None:
    gcs.put("data", "a.jsonl", b"{}\n" * 10)
    code = (
        "import warnings\n"
        "warnings.simplefilter('default')\n"
        "from gittrain.adapters.remote.store import store_for\n"
        "from gittrain.adapters.remote.urls import parse\n"
        # -X dev: asyncio's debug mode catches a loop used from the wrong thread; its
        # reports of slow callbacks (a loaded machine) are not what this test is about.
        "import fsspec.asyn; fsspec.asyn.get_loop().slow_callback_duration = 3600\n"
        "url = parse('gs://data/a.jsonl')\n"
        "s = store_for(url, 5)\n"
        "assert s.stat(url).size == 30\n"
        "assert s.open(url).read() == b'{}\\n' * 10\n"
        "assert [len(p) for p in s.pages(parse('gs://data/'))] == [1]\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_identity_fields_are_decoded_from_base64() -> None:
    from gittrain.adapters.remote import gcs

    meta = {
        "crc32c": base64.b64encode(bytes.fromhex("0a0b0c0d")).decode(),
        "md5Hash": base64.b64encode(bytes(range(16))).decode(),
        "generation": "1712345678901234",
        "size": "12",
    }
    assert gcs._identity(meta) == {
        "crc32c": "0a0b0c0d",
        "md5": bytes(range(16)).hex(),
        "generation": "1712345678901234",
        "size": 12,
    }


# -- end to end: git train data add / status ------------------------------------------


@pytest.fixture
def bucket(gcs: GCSServer, monkeypatch: pytest.MonkeyPatch) -> GCSServer:
    """The contract server, with no fsspec settings from the environment."""
    without_fsspec_settings(monkeypatch)
    return gcs


def test_add_one_object_records_gcs_identity_and_no_sha256(
    repo: Repo, cli: Cli, bucket: GCSServer
) -> None:
    data = parquet_bytes(50)
    generation = bucket.put("data", "eval/eval.parquet", data)
    r = cli("data", "add", "gs://data/eval/eval.parquet", cwd=repo.root)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith("added eval: gs://data/eval/eval.parquet (parquet), version ")
    assert "(no sha256 known), 50 samples, " in lines[0]
    entry = lock(repo)["eval"]
    assert entry["sha256"] is None and entry["num_samples"] == 50
    assert entry["provider"] == {
        "crc32c": f"{google_crc32c.value(data):08x}",
        "md5": hashlib.md5(data).hexdigest(),
        "generation": str(generation),
        "size": len(data),
    }

    r = cli("data", "add", "gs://data/eval/eval.parquet", "--hash", cwd=repo.root)
    assert r.code == 0, r
    entry = lock(repo)["eval"]
    assert (entry["sha256"], entry["sha256_from"]) == (hashlib.sha256(data).hexdigest(), "gittrain")


def test_a_prefix_is_a_manifest_exactly_like_a_local_directory(
    repo: Repo, cli: Cli, bucket: GCSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.adapters.remote import gcs as provider

    monkeypatch.setattr(provider, "PAGE", 2)  # several listing pages
    files = {
        "part-0.jsonl": jsonl(5),
        "part-1.jsonl": jsonl(7, "b"),
        "sub/part-2.jsonl": jsonl(2, "c"),
        "sub/eval.parquet": parquet_bytes(4),
        "README.md": b"about\n",
        "z.csv": b"a,b\n1,2\n",
    }
    for rel, body in files.items():
        bucket.put("data", f"corpus/{rel}", body)
        repo.write(f"corpus/{rel}", body)
    bucket.put("data", "corpus/empty-folder/", b"")  # a console's folder placeholder
    bucket.put("data", "corpus-other/x.jsonl", jsonl(1))  # beside the prefix
    r = cli("data", "add", "gs://data/corpus/", "--hash", "--name", "remote", cwd=repo.root)
    assert r.code == 0, r
    assert cli("data", "add", "corpus", "--name", "local", cwd=repo.root).code == 0
    got = lock(repo)
    remote, local = got["remote"], got["local"]
    for key in ("format", "sha256", "hash_algorithm", "size", "files", "num_samples", "columns"):
        assert remote[key] == local[key], key
    assert remote["files"] == 6 and remote["sha256_from"] == "gittrain"
    provider_fields = remote["provider"]
    assert isinstance(provider_fields, dict) and provider_fields["objects"] == 6


def test_a_prefix_without_hash_counts_parquet_and_names_what_needs_hash(
    repo: Repo, cli: Cli, bucket: GCSServer
) -> None:
    bucket.put("data", "p/a.parquet", parquet_bytes(3))
    bucket.put("data", "p/b.parquet", parquet_bytes(4))
    r = cli("data", "add", "gs://data/p/", cwd=repo.root)
    assert r.code == 0, r
    entry = lock(repo)["p"]
    assert (entry["num_samples"], entry["sha256"], entry["files"]) == (7, None, 2)
    bucket.put("data", "p/c.jsonl", jsonl(2))
    r = cli("data", "add", "gs://data/p/", cwd=repo.root)
    assert r.code == 0, r
    assert "note: samples not counted: JSONL needs --hash" in r.out.splitlines()
    assert lock(repo)["p"]["num_samples"] is None


def test_status_ok_modified_missing(repo: Repo, cli: Cli, bucket: GCSServer) -> None:
    bucket.put("data", "one.jsonl", jsonl(3))
    bucket.put("data", "gone.jsonl", jsonl(3))
    bucket.put("data", "dir/a.jsonl", jsonl(1))
    for url in ("one.jsonl", "gone.jsonl", "dir/"):
        assert cli("data", "add", f"gs://data/{url}", cwd=repo.root).code == 0
    r = cli("data", "status", cwd=repo.root)
    assert r.code == 0, r
    assert [line.split()[0] for line in r.out.splitlines()] == ["ok"] * 3

    old = bucket.buckets["data"]["one.jsonl"].generation
    new = bucket.put("data", "one.jsonl", jsonl(4))
    bucket.delete("data", "gone.jsonl")
    bucket.put("data", "dir/b.jsonl", jsonl(1))
    bucket.clear()
    r = cli("data", "status", cwd=repo.root)
    assert r.code == 1, r
    rows = {line.split()[1]: line for line in r.out.splitlines()}
    assert rows["one"].startswith(
        f"modified  one   gs://data/one.jsonl  (generation: {old} -> {new}; "
    )
    assert "md5: " in rows["one"] and "crc32c: " in rows["one"]
    assert rows["one"].endswith(f"; size: {len(jsonl(3))} -> {len(jsonl(4))})")
    assert rows["gone"].startswith("missing   gone")
    assert rows["dir"].startswith("modified  dir   gs://data/dir/  (files: 1 -> 2; size: ")
    assert not [r for r in bucket.requests if r.path.startswith("/download/")]  # no bytes read


def test_an_object_replaced_while_hashing_records_nothing(repo: Repo, bucket: GCSServer) -> None:
    bucket.put("data", "a.jsonl", jsonl(100))
    before = snapshot(repo.root)
    calls: list[int] = []

    def overwrite(n: int) -> None:
        if not calls:
            bucket.put("data", "a.jsonl", jsonl(101))
        calls.append(n)

    with pytest.raises(GittrainError) as caught:
        add_remote(repo.root, gs("gs://data/a.jsonl"), hash=True, progress=overwrite)
    assert caught.value.code == 1
    assert "changed while it was being read" in caught.value.message
    assert snapshot(repo.root) == before


@pytest.mark.parametrize(
    ("url", "code", "needles"),
    [
        ("gs://data/nope.jsonl", 1, ["gs://data/nope.jsonl: no such object in bucket data"]),
        ("gs://nobucket/a/", 1, ["gs://nobucket/a/: no such bucket 'nobucket'"]),
        ("gs://data/empty/", 1, ["gs://data/empty/: no objects under this prefix"]),
        ("gs://data/notes.txt", 1, ["gs://data/notes.txt: unknown dataset format"]),
        ("gs://data/broken.parquet", 1, ["broken.parquet: not a readable Parquet file"]),
        ("gs://x/a.jsonl", 2, ["'x' is not a valid bucket name"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    repo: Repo, cli: Cli, bucket: GCSServer, url: str, code: int, needles: list[str]
) -> None:
    bucket.put("data", "notes.txt", b"hi\n")
    bucket.put("data", "broken.parquet", b"PAR1 this is not parquet PAR1")
    repo.write("gittrain.lock", "version: 1\ndatasets: {}\n")
    before = snapshot(repo.root)
    assert_one_line_error(cli("data", "add", url, cwd=repo.root), code, *needles)
    assert snapshot(repo.root) == before


def test_missing_credentials_are_one_line_and_write_nothing(
    repo: Repo, cli: Cli, bucket: GCSServer
) -> None:
    bucket.put("data", "a.jsonl", jsonl(1))
    assert cli("data", "add", "gs://data/a.jsonl", cwd=repo.root).code == 0
    before = snapshot(repo.root)
    bucket.token = "s3cret"
    for args in (("data", "add", "gs://data/a.jsonl", "--name", "b"), ("data", "status")):
        r = cli(*args, cwd=repo.root)
        assert_one_line_error(
            r, 2, "GCS wants credentials (HTTP 401)", "GOOGLE_APPLICATION_CREDENTIALS"
        )
    assert snapshot(repo.root) == before


def test_unreachable_and_silent_endpoints_are_one_line(
    repo: Repo, cli: Cli, bucket: GCSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket.put("data", "a.jsonl", jsonl(1))
    bucket.stall = True
    monkeypatch.setenv("FSSPEC_GCS_REQUESTS_TIMEOUT", "0.3")  # gcsfs's own setting
    r = cli("data", "add", "gs://data/a.jsonl", cwd=repo.root)
    assert_one_line_error(
        r, 2, f"gs://data/a.jsonl: no answer from GCS at {bucket.endpoint} within 0.3 s"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    r = cli("data", "add", "gs://data/a.jsonl", cwd=repo.root)
    assert_one_line_error(r, 2, f"cannot connect to GCS at http://127.0.0.1:{port}")
    assert not (repo.root / "gittrain.lock").exists()


def test_a_git_train_process_prints_no_warning_or_traceback(repo: Repo, bucket: GCSServer) -> None:
    bucket.put("data", "p/a.jsonl", jsonl(3))
    bucket.put("data", "p/b.parquet", parquet_bytes(3))
    git_train = [sys.executable, "-W", "error", "-m", "gittrain"]
    for args in (["data", "add", "gs://data/p/", "--hash"], ["data", "status"]):
        out = subprocess.run(
            [*git_train, *args], cwd=repo.root, capture_output=True, text=True, check=False
        )
        assert (out.returncode, out.stderr) == (0, ""), out
    out = subprocess.run(
        [*git_train, "data", "add", "gs://data/missing.jsonl"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (out.returncode, out.stderr) == (
        1,
        "error: gs://data/missing.jsonl: no such object in bucket data\n",
    )
