"""https:// datasets: the HTTP store against a real local web server (tests/http_server.py)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lockhelp import jsonl, lock, without_fsspec_settings

from gittrain.adapters.remote import ranged
from gittrain.adapters.remote.store import Store, store_for
from gittrain.adapters.remote.urls import RemoteURL, parse
from gittrain.commands.data_add import add_remote
from gittrain.errors import GittrainError
from tests.conftest import Cli, Repo, assert_one_line_error, snapshot
from tests.http_server import FileServer

pytest.importorskip("aiohttp", reason="the [remote] extra is installed with the test extras")

ROWS = 20_000  # of 1 KB of random bytes: a 20 MB Parquet file that does not compress


@pytest.fixture
def www(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    root.mkdir()
    return root


@pytest.fixture
def web(www: Path) -> Iterator[FileServer]:
    from gittrain.adapters.remote import http

    with FileServer(www) as server:
        yield server
    http.close_all()  # the process-wide sessions, so each test ends with none open


def url_of(server: FileServer, path: str) -> RemoteURL:
    url = parse(server.url(path))
    assert url is not None
    return url


def store(url: RemoteURL, timeout: float = 10.0) -> Store:
    return store_for(url, timeout)


def big_parquet(path: Path) -> Path:
    table = pa.table({"id": list(range(ROWS)), "blob": [os.urandom(1000) for _ in range(ROWS)]})
    pq.write_table(table, path, compression="none")
    return path


def etag_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]  # what tests/http_server.py sends


# -- stat and pages: one HEAD --------------------------------------------------------


def test_stat_is_one_head_with_size_and_identity_and_no_sha256(web: FileServer, www: Path) -> None:
    data = b'{"q": 1}\n' * 100
    (www / "eval.jsonl").write_bytes(data)
    os.utime(www / "eval.jsonl", (1_790_000_000, 1_790_000_000))
    url = url_of(web, "eval.jsonl")
    info = store(url).stat(url)
    assert info is not None
    assert info.size == len(data)
    assert info.key == ""
    assert info.sha256 is None and info.sha256_from is None  # an ETag is not a sha256
    assert dict(info.identity) == {
        "etag": etag_of(data),
        "last_modified": "2026-09-21T14:13:20Z",
    }
    assert [(r.method, r.path) for r in web.requests] == [("HEAD", "/eval.jsonl")]


def test_a_missing_file_is_none_for_stat_and_exit_1_for_pages(web: FileServer) -> None:
    url = url_of(web, "nope.jsonl")
    assert store(url).stat(url) is None
    with pytest.raises(GittrainError) as err:
        list(store(url).pages(url))
    assert err.value.code == 1
    assert str(err.value) == f"{url.text}: not found on the server (HTTP 404)"


def test_pages_of_one_url_is_one_page_of_one(web: FileServer, www: Path) -> None:
    (www / "a.csv").write_text("x\n1\n")
    url = url_of(web, "a.csv")
    pages = list(store(url).pages(url))
    assert [[(o.key, o.size) for o in page] for page in pages] == [[("", 4)]]


def test_a_prefix_is_refused_because_http_has_no_listing(web: FileServer) -> None:
    url = url_of(web, "shards/")
    with pytest.raises(GittrainError) as err:
        list(store(url).pages(url))
    assert err.value.code == 2
    assert "HTTP has no directory listing" in str(err.value)
    assert web.requests == []  # refused before asking anything


def test_a_server_that_refuses_head_is_asked_for_one_byte(web: FileServer, www: Path) -> None:
    data = b'{"q": 1}\n' * 100
    (www / "eval.jsonl").write_bytes(data)
    web.head = False
    url = url_of(web, "eval.jsonl")
    info = store(url).stat(url)
    assert info is not None
    assert info.size == len(data) and info.identity["etag"] == etag_of(data)
    assert [(r.method, r.range, r.status) for r in web.requests] == [
        ("HEAD", None, 405),
        ("GET", "bytes=0-0", 206),
    ]
    assert store(url).stat(url_of(web, "missing.jsonl")) is None


def test_a_redirect_is_followed_and_the_target_identity_recorded(
    web: FileServer, www: Path
) -> None:
    (www / "v2.jsonl").write_bytes(b"{}\n")
    web.redirects["/latest.jsonl"] = "/v2.jsonl"
    url = url_of(web, "latest.jsonl")
    info = store(url).stat(url)
    assert info is not None and info.size == 3
    assert info.identity["etag"] == etag_of(b"{}\n")


# -- reading -------------------------------------------------------------------------


def test_open_streams_the_whole_file_in_one_get(web: FileServer, www: Path) -> None:
    data = os.urandom(3 << 20)
    (www / "blob.bin").write_bytes(data)
    url = url_of(web, "blob.bin")
    with store(url).open(url) as body:
        got = b"".join(iter(lambda: body.read(1 << 20), b""))
    assert got == data
    assert [(r.method, r.range) for r in web.requests] == [("GET", None)]


def test_a_parquet_footer_is_read_with_ranged_gets_only(web: FileServer, www: Path) -> None:
    path = big_parquet(www / "train.parquet")
    size = path.stat().st_size
    url = url_of(web, "train.parquet")
    with store(url).open_random(url, size) as handle:
        meta = pq.ParquetFile(handle)
        assert meta.metadata.num_rows == ROWS
        assert getattr(handle, "note", None) is None
    requests = web.requests
    assert requests and all(r.method == "GET" and r.range and r.status == 206 for r in requests)
    fetched = sum(r.sent for r in requests)
    assert fetched < 1 << 20 < size // 16  # the footer: well under 1 MiB of 20 MB


@pytest.mark.parametrize("advertise", [True, False])
def test_a_server_that_ignores_ranges_is_streamed_with_a_note(
    web: FileServer, www: Path, advertise: bool
) -> None:
    path = big_parquet(www / "train.parquet")
    size = path.stat().st_size
    web.ignore_range = True
    web.advertise_ranges = advertise
    url = url_of(web, "train.parquet")
    with store(url).open_random(url, size) as handle:
        assert pq.ParquetFile(handle).metadata.num_rows == ROWS
        note = getattr(handle, "note", None)
        assert note == (
            f"{url.text}: the server ignored a byte-range request, so the whole file was "
            "streamed to read what was needed"
        )
        handle.seek(0)  # before the tail kept: streamed again from the start
        assert handle.read(4) == b"PAR1"
    # the 200 answer to the Range request was not read; then one pass for the tail
    # and one for the first bytes
    assert [(r.method, r.range is not None) for r in web.requests] == [
        ("GET", True),
        ("GET", False),
        ("GET", False),
    ]


def test_a_file_gone_or_shrunk_since_its_stat_is_one_line(web: FileServer, www: Path) -> None:
    url = url_of(web, "gone.jsonl")
    with pytest.raises(GittrainError) as err, store(url).open(url) as body:
        body.read()
    assert (err.value.code, str(err.value)) == (
        1,
        f"{url.text}: not found on the server (HTTP 404)",
    )
    (www / "short.parquet").write_bytes(b"PAR1" * 4)
    url = url_of(web, "short.parquet")
    with pytest.raises(GittrainError) as err, store(url).open_random(url, 100) as handle:
        handle.seek(-8, io.SEEK_END)
        handle.read(8)
    assert err.value.code == 1
    assert (
        str(err.value)
        == f"{url.text}: changed while it was being read (now shorter than 100 bytes)"
    )


def test_tail_reader_keeps_only_the_tail_and_streams_again_for_earlier_bytes() -> None:
    data = bytes(range(256)) * 64  # 16 KiB
    streams = []

    def stream() -> io.BytesIO:
        streams.append(1)
        return io.BytesIO(data)

    raw = ranged.TailReader("x", len(data), stream, keep=1024)
    with ranged.buffered(raw, 256) as reader:
        reader.seek(-8, io.SEEK_END)
        assert reader.read(8) == data[-8:]
        reader.seek(-1000, io.SEEK_END)
        assert reader.read(100) == data[-1000:-900]
        assert len(streams) == 1  # both reads in the tail kept by the first pass
        reader.seek(10)
        assert reader.read(20) == data[10:30]
        assert len(streams) == 2
        assert reader.read() == data[30:]


def test_range_reader_refuses_a_short_answer() -> None:
    raw = ranged.RangeReader("gs://b/k", 100, lambda start, end: b"x" * (end - start - 1))
    with pytest.raises(GittrainError, match=r"sent 99 bytes where 100 were asked"):
        raw.read(100)


# -- errors: one line, the right exit code -------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (401, 2, "the server refused access (HTTP 401); give the server's credentials"),
        (403, 2, "the server refused access (HTTP 403)"),
        (410, 1, "not found on the server (HTTP 410)"),
        (500, 2, "the server failed (HTTP 500)"),
        (400, 1, "the server refused the request (HTTP 400)"),
    ],
)
def test_http_statuses_become_one_line(web: FileServer, status: int, code: int, words: str) -> None:
    web.statuses["/x.jsonl"] = status
    url = url_of(web, "x.jsonl")
    with pytest.raises(GittrainError) as err:
        list(store(url).pages(url))
    assert err.value.code == code
    assert str(err.value).startswith(f"{url.text}: {words}")
    assert "\n" not in str(err.value)


def test_credentials_come_from_fsspec_config(
    web: FileServer, www: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (www / "private.jsonl").write_bytes(b"{}\n")
    web.authorization = "Bearer s3cret"
    url = url_of(web, "private.jsonl")
    with pytest.raises(GittrainError) as err:
        store(url).stat(url)
    assert err.value.code == 2
    assert "FSSPEC_HTTPS=" in str(err.value)
    monkeypatch.setenv("FSSPEC_HTTP", '{"headers": {"Authorization": "Bearer s3cret"}}')
    info = store(url).stat(url)
    assert info is not None and info.size == 3
    with store(url).open(url) as body:
        assert body.read() == b"{}\n"


def test_a_refused_connection_is_exit_2_naming_the_url() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = parse(f"http://127.0.0.1:{port}/x.parquet")
    assert url is not None
    with pytest.raises(GittrainError) as err:
        store(url).stat(url)
    assert err.value.code == 2
    assert str(err.value) == (f"{url.text}: cannot connect to 127.0.0.1:{port}: {os.strerror(111)}")


@pytest.mark.parametrize("step", ["stat", "open", "open_random"])
def test_a_silent_server_times_out_naming_the_url(web: FileServer, www: Path, step: str) -> None:
    (www / "slow.parquet").write_bytes(b"PAR1" * 10)
    web.stall = True
    url = url_of(web, "slow.parquet")
    s = store(url, timeout=0.3)
    with pytest.raises(GittrainError) as err:
        if step == "stat":
            s.stat(url)
        elif step == "open":
            s.open(url).read(1)
        else:
            s.open_random(url, 40).read(1)
    assert err.value.code == 2
    assert str(err.value) == f"{url.text}: no answer from the server within 0.3 s"


# -- sessions ------------------------------------------------------------------------


def test_a_process_using_the_store_exits_without_unclosed_session_warnings(
    web: FileServer, www: Path
) -> None:
    (www / "a.jsonl").write_bytes(b"{}\n" * 10)
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('default')\n"
        "from gittrain.adapters.remote.store import store_for\n"
        "from gittrain.adapters.remote.urls import parse\n"
        # -X dev: asyncio's debug mode catches a loop used from the wrong thread; its
        # reports of slow callbacks (a loaded machine) are not what this test is about.
        "import fsspec.asyn; fsspec.asyn.get_loop().slow_callback_duration = 3600\n"
        f"url = parse({web.url('a.jsonl')!r})\n"
        "s = store_for(url, 5)\n"
        "assert s.stat(url).size == 30\n"
        "assert s.open(url).read() == b'{}\\n' * 10\n"
        "h = s.open_random(url, 30); h.seek(3); assert h.read(3) == b'{}\\n'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_the_store_module_is_imported_only_for_an_http_url() -> None:
    code = (
        "import sys\n"
        "from gittrain.adapters.remote import store, urls\n"
        "from gittrain.core.data import lockfile\n"
        "print(sorted(m for m in ('aiohttp', 'fsspec') if m in sys.modules))\n"
        "store.store_for(urls.parse('https://example.com/x.jsonl'), 1)\n"
        "print(sorted(m for m in ('aiohttp', 'fsspec') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == ["[]", "['aiohttp', 'fsspec']"]


# -- end to end: git train data add / status ------------------------------------------


@pytest.fixture
def site(web: FileServer, monkeypatch: pytest.MonkeyPatch) -> FileServer:
    """The web server, with no fsspec settings from the environment."""
    without_fsspec_settings(monkeypatch)
    return web


def test_add_parquet_reads_rows_from_the_footer_and_records_the_etag(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    path = big_parquet(www / "eval.parquet")
    data = path.read_bytes()
    url = site.url("eval.parquet")
    r = cli("data", "add", url, cwd=repo.root)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith(f"added eval: {url} (parquet), version ")
    assert f"(no sha256 known), {ROWS:,} samples, " in lines[0]
    assert lines[1].startswith("note: no sha256 known")
    entry = lock(repo)["eval"]
    assert entry["sha256"] is None and "sha256_from" not in entry
    assert entry["num_samples"] == ROWS
    assert entry["columns"] == {"id": "int64", "blob": "binary"}
    assert entry["size"] == len(data)
    provider = entry["provider"]
    assert isinstance(provider, dict)
    assert provider["etag"] == etag_of(data) and "last_modified" in provider
    gets = [r for r in site.requests if r.method == "GET"]
    assert gets and all(r.range and r.status == 206 for r in gets)
    assert sum(r.sent for r in gets) < len(data) // 16  # the footer, not the file


def test_add_with_hash_streams_once_and_matches_a_local_add(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    body = jsonl(321)
    (www / "train.jsonl").write_bytes(body)
    repo.write("local/train.jsonl", body)
    r = cli("data", "add", site.url("train.jsonl"), "--hash", "--name", "remote", cwd=repo.root)
    assert r.code == 0, r
    assert "note:" not in r.out
    assert cli("data", "add", "local/train.jsonl", "--name", "local", cwd=repo.root).code == 0
    got = lock(repo)
    remote, local = got["remote"], got["local"]
    for key in ("sha256", "size", "num_samples", "columns", "format"):
        assert remote[key] == local[key], key
    assert remote["sha256"] == hashlib.sha256(body).hexdigest()
    assert remote["sha256_from"] == "gittrain"
    assert [r.method for r in site.requests if r.path == "/train.jsonl"].count("GET") == 1


def test_add_without_hash_leaves_jsonl_samples_absent_and_says_so(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    (www / "train.jsonl").write_bytes(jsonl(5))
    r = cli("data", "add", site.url("train.jsonl"), cwd=repo.root)
    assert r.code == 0, r
    assert r.out.splitlines()[1] == "note: samples not counted: JSONL needs --hash"
    entry = lock(repo)["train"]
    assert (entry["sha256"], entry["num_samples"]) == (None, None)
    assert [r.method for r in site.requests] == ["HEAD"]  # metadata only


def test_add_parquet_from_a_server_without_ranges_still_counts_it(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    big_parquet(www / "eval.parquet")
    site.ignore_range = True
    site.advertise_ranges = False
    url = site.url("eval.parquet")
    r = cli("data", "add", url, cwd=repo.root)
    assert r.code == 0, r
    assert lock(repo)["eval"]["num_samples"] == ROWS
    assert r.out.splitlines()[1] == (
        f"note: {url}: the server ignored a byte-range request, so the whole file was "
        "streamed to read what was needed"
    )
    r = cli("data", "add", url, "--format", "json", cwd=repo.root)
    assert json.loads(r.out)["notes"][0].startswith(f"{url}: the server ignored")


def test_status_ok_then_modified_then_missing(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    (www / "a.jsonl").write_bytes(jsonl(3))
    (www / "b.jsonl").write_bytes(jsonl(3))
    for name in ("a.jsonl", "b.jsonl"):
        assert cli("data", "add", site.url(name), cwd=repo.root).code == 0
    r = cli("data", "status", cwd=repo.root)
    assert r.code == 0, r
    assert [line.split()[0] for line in r.out.splitlines()] == ["ok", "ok"]

    (www / "a.jsonl").write_bytes(jsonl(4))
    (www / "b.jsonl").unlink()
    site.clear()
    r = cli("data", "status", cwd=repo.root)
    assert r.code == 1, r
    rows = {line.split()[1]: line for line in r.out.splitlines()}
    old, new = etag_of(jsonl(3)), etag_of(jsonl(4))
    assert rows["a"] == (
        f"modified  a  {site.url('a.jsonl')}  "
        f"(etag: {old} -> {new}; size: {len(jsonl(3))} -> {len(jsonl(4))})"
    )
    assert rows["b"].startswith("missing   b")
    assert sorted((r.method, r.path) for r in site.requests) == [
        ("HEAD", "/a.jsonl"),
        ("HEAD", "/b.jsonl"),
    ]


def test_status_without_an_etag_compares_last_modified(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    site.etag = False
    (www / "a.jsonl").write_bytes(jsonl(3))
    os.utime(www / "a.jsonl", (1_790_000_000, 1_790_000_000))
    assert cli("data", "add", site.url("a.jsonl"), cwd=repo.root).code == 0
    assert lock(repo)["a"]["provider"] == {"last_modified": "2026-09-21T14:13:20Z"}
    assert cli("data", "status", cwd=repo.root).code == 0
    os.utime(www / "a.jsonl", (1_790_000_060, 1_790_000_060))  # same size, rewritten
    r = cli("data", "status", cwd=repo.root)
    assert r.code == 1, r
    assert r.out == (
        f"modified  a  {site.url('a.jsonl')}  "
        "(last_modified: 2026-09-21T14:13:20Z -> 2026-09-21T14:14:20Z)\n"
    )


def test_a_file_changed_while_hashing_records_nothing(
    repo: Repo, site: FileServer, www: Path
) -> None:
    (www / "a.jsonl").write_bytes(jsonl(100))
    before = snapshot(repo.root)
    calls: list[int] = []

    def overwrite(n: int) -> None:  # after the first bytes arrive
        if not calls:
            (www / "a.jsonl").write_bytes(jsonl(101))
        calls.append(n)

    url = url_of(site, "a.jsonl")
    with pytest.raises(GittrainError) as caught:
        add_remote(repo.root, url, hash=True, progress=overwrite)
    assert caught.value.code == 1
    assert "changed while it was being read" in caught.value.message
    assert snapshot(repo.root) == before


@pytest.mark.parametrize(
    ("path", "status", "code", "needle"),
    [
        ("nope.parquet", None, 1, "not found on the server (HTTP 404)"),
        ("private.parquet", 401, 2, "the server refused access (HTTP 401)"),
        ("forbidden.parquet", 403, 2, "the server refused access (HTTP 403)"),
        ("shards/", None, 2, "HTTP has no directory listing"),
        ("notes.txt", None, 1, "unknown dataset format"),
        ("broken.parquet", None, 1, "not a readable Parquet file"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    repo: Repo,
    cli: Cli,
    site: FileServer,
    www: Path,
    path: str,
    status: int | None,
    code: int,
    needle: str,
) -> None:
    (www / "notes.txt").write_text("hi\n")
    (www / "broken.parquet").write_bytes(b"PAR1 not parquet at all PAR1")
    if status is not None:
        site.statuses["/" + path] = status
    repo.write("gittrain.lock", "version: 1\ndatasets: {}\n")
    before = snapshot(repo.root)
    url = site.url(path)
    r = cli("data", "add", url, cwd=repo.root)
    assert_one_line_error(r, code, url, needle)
    assert snapshot(repo.root) == before


def test_a_refused_connection_is_one_line_and_writes_nothing(repo: Repo, cli: Cli) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/a.parquet"
    r = cli("data", "add", url, cwd=repo.root)
    assert_one_line_error(r, 2, f"{url}: cannot connect to 127.0.0.1:{port}")
    assert not (repo.root / "gittrain.lock").exists()


def test_a_silent_server_times_out_naming_the_url_and_writes_nothing(
    repo: Repo, cli: Cli, site: FileServer, www: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (www / "a.parquet").write_bytes(b"PAR1")
    assert cli("data", "add", site.url("a.parquet"), cwd=repo.root).code == 1  # not Parquet
    site.stall = True
    # The standard fsspec setting, read when the command runs.
    monkeypatch.setenv("FSSPEC_HTTP_CLIENT_KWARGS", '{"timeout": 0.3}')
    url = site.url("a.parquet")
    r = cli("data", "add", url, cwd=repo.root)
    assert_one_line_error(r, 2, f"{url}: no answer from the server within 0.3 s")
    assert not (repo.root / "gittrain.lock").exists()


def test_status_against_an_unreachable_server_is_exit_2(
    repo: Repo, cli: Cli, site: FileServer, www: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (www / "a.jsonl").write_bytes(jsonl(1))
    assert cli("data", "add", site.url("a.jsonl"), cwd=repo.root).code == 0
    site.stall = True
    monkeypatch.setenv("FSSPEC_HTTP_CLIENT_KWARGS", '{"timeout": 0.3}')
    r = cli("data", "status", cwd=repo.root)
    assert_one_line_error(r, 2, f"{site.url('a.jsonl')}: no answer from the server within 0.3 s")


def test_a_git_train_process_prints_no_warning_or_traceback(
    repo: Repo, site: FileServer, www: Path
) -> None:
    big_parquet(www / "eval.parquet")
    (www / "train.jsonl").write_bytes(jsonl(10))
    git_train = [sys.executable, "-W", "error", "-m", "gittrain"]
    for args in (
        ["data", "add", site.url("eval.parquet")],
        ["data", "add", site.url("train.jsonl"), "--hash"],
        ["data", "status"],
    ):
        out = subprocess.run(
            [*git_train, *args], cwd=repo.root, capture_output=True, text=True, check=False
        )
        assert (out.returncode, out.stderr) == (0, ""), out
    missing = site.url("missing.jsonl")
    out = subprocess.run(
        [*git_train, "data", "add", missing],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (out.returncode, out.stderr) == (
        1,
        f"error: {missing}: not found on the server (HTTP 404)\n",
    )


def test_a_query_string_keeps_the_files_format_and_name(
    repo: Repo, cli: Cli, site: FileServer, www: Path
) -> None:
    (www / "train.jsonl").write_bytes(jsonl(7))
    url = site.url("train.jsonl") + "?download=1"
    r = cli("data", "add", url, "--hash", cwd=repo.root)
    assert r.code == 0, r
    assert r.out.startswith(f"added train: {url} (jsonl), "), r.out
    entry = lock(repo)["train"]
    assert (entry["path"], entry["format"], entry["num_samples"]) == (url, "jsonl", 7)
    assert [r.method for r in site.requests if r.path == "/train.jsonl"].count("GET") == 1


@pytest.mark.parametrize(
    ("suffix", "words"),
    [
        ("#part2", "fragment"),
        ("?X-Amz-Signature=abc&X-Amz-Expires=60", "credential (x-amz-signature)"),
        ("?sig=abc", "credential (sig)"),
        ("?download=1&token=secret", "credential (token)"),
    ],
)
def test_a_fragment_or_a_credential_in_the_query_is_refused_before_any_request(
    repo: Repo, cli: Cli, site: FileServer, www: Path, suffix: str, words: str
) -> None:
    (www / "train.jsonl").write_bytes(jsonl(7))
    r = cli("data", "add", site.url("train.jsonl") + suffix, "--hash", cwd=repo.root)
    assert_one_line_error(r, 2, site.url("train.jsonl"), words)
    assert not (repo.root / "gittrain.lock").exists()
    assert site.requests == []


def test_only_an_http_key_loses_its_query() -> None:
    http = parse("https://h.example/d/train.jsonl?download=1")
    s3 = parse("s3://bkt/odd?name.jsonl")
    assert http is not None and s3 is not None
    assert (http.file_key, http.name()) == ("d/train.jsonl", "train.jsonl")
    assert (s3.file_key, s3.name()) == ("odd?name.jsonl", "odd?name.jsonl")
