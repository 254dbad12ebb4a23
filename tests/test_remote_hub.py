"""hf:// datasets through huggingface_hub, against the Hub contract server (tests/hub_server.py).

There is no Hub emulator and no network: ``HF_ENDPOINT`` points huggingface_hub at a local
server that answers the Hub's dataset-info, tree, paths-info and resolve endpoints.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot
from hub_server import (
    HubFile,
    HubRepo,
    HubServer,
    closed_endpoint,
    html_endpoint,
    silent_endpoint,
)

from gittrain.adapters.remote import urls
from gittrain.adapters.remote.store import Store, store_for
from gittrain.errors import GittrainError

pytest.importorskip("huggingface_hub")


def parquet_bytes(rows: int, seed: int) -> bytes:
    """A Parquet file of incompressible rows (so its footer is a small part of it)."""
    rng = random.Random(seed)
    table = pa.table(
        {
            "id": list(range(rows)),
            "text": [rng.randbytes(48).hex() for _ in range(rows)],
            "score": [rng.random() for _ in range(rows)],
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out, row_group_size=max(rows // 4, 1), compression="none")
    return out.getvalue()


JSONL = b"".join(b'{"prompt": "q%d", "completion": "a%d"}\n' % (i, i) for i in range(25))
README = b"---\nlicense: mit\n---\n# org/ds\nA test dataset.\n"
# A small file stored in git, not LFS (only data/ is LFS in this repo)
EVAL = b"".join(b'{"prompt": "e%d", "completion": "b%d"}\n' % (i, i) for i in range(7))
GITATTRIBUTES = b"data/** filter=lfs diff=lfs merge=lfs -text\n"


@dataclass
class Dataset:
    """``org/ds``: two commits on main (the branch moved), a tag on the first."""

    server: HubServer
    repo: HubRepo
    first: str  # the commit tagged v1
    second: str  # main now
    files: dict[str, bytes]  # at ``first``


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """The contract server on a free port, two tree entries a page; no token, online."""
    server = HubServer(page_size=2)
    monkeypatch.setenv("HF_ENDPOINT", server.start())
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.stop()


@pytest.fixture
def ds(hub: HubServer) -> Dataset:
    files = {
        ".gitattributes": GITATTRIBUTES,
        "README.md": README,
        "data/train-00000-of-00002.parquet": parquet_bytes(3000, 1),
        "data/train-00001-of-00002.parquet": parquet_bytes(2000, 2),
        "data/extra.jsonl": JSONL,
        "eval.jsonl": EVAL,
    }
    repo = hub.repo("org/ds")
    first = repo.commit(
        {path: HubFile(data, lfs=path.startswith("data/")) for path, data in files.items()}
    )
    repo.tag("v1", first)
    second = repo.commit(
        {"data/train-00001-of-00002.parquet": HubFile(parquet_bytes(2500, 3), lfs=True)},
        delete=("data/extra.jsonl",),
    )
    return Dataset(hub, repo, first, second, files)


def store(text: str, timeout: float = 10.0) -> tuple[Store, urls.RemoteURL]:
    url = urls.parse(text)
    assert url is not None
    return store_for(url, timeout), url


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_hash_object(data: bytes, tmp_path: Path) -> str:
    """The blob id real git gives these bytes: the oracle for the server's ``oid``."""
    path = tmp_path / "blob"
    path.write_bytes(data)
    return subprocess.run(
        ["git", "hash-object", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


def listing(
    st: Store, url: urls.RemoteURL
) -> dict[str, tuple[int, str | None, str | None, dict[str, str | int]]]:
    return {
        o.key: (o.size, o.sha256, o.sha256_from, dict(o.identity))
        for page in st.pages(url)
        for o in page
    }


# -- the contract server itself ---------------------------------------------------------


def test_server_ids_are_what_git_and_git_lfs_compute(ds: Dataset, tmp_path: Path) -> None:
    readme = ds.repo.commits[ds.first]["README.md"]
    assert readme.blob_id == git_hash_object(README, tmp_path)
    jsonl = ds.repo.commits[ds.first]["data/extra.jsonl"]
    assert jsonl.sha256 == sha256(JSONL)
    pointer = jsonl.pointer.decode()
    assert pointer == (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256(JSONL)}\n"
        f"size {len(JSONL)}\n"
    )
    assert jsonl.blob_id == git_hash_object(jsonl.pointer, tmp_path)


# -- the Store, directly ----------------------------------------------------------------


def test_resolve_names_the_commit_of_a_branch_a_tag_or_a_commit(ds: Dataset) -> None:
    st, url = store("hf://datasets/org/ds")
    assert dict(st.resolve(url)) == {"repo": "org/ds", "revision": "main", "commit": ds.second}
    st, url = store("hf://datasets/org/ds@v1")
    assert dict(st.resolve(url)) == {"repo": "org/ds", "revision": "v1", "commit": ds.first}
    st, url = store(f"hf://datasets/org/ds@{ds.first}/README.md")
    assert dict(st.resolve(url)) == {"repo": "org/ds", "revision": ds.first, "commit": ds.first}


def test_pages_list_every_file_with_lfs_sha256_or_blob_id(ds: Dataset, tmp_path: Path) -> None:
    st, url = store("hf://datasets/org/ds@v1")
    found = listing(st, url)
    assert sorted(found) == sorted(ds.files)
    for path, data in ds.files.items():
        size, sha, source, identity = found[path]
        assert size == len(data)
        if path.startswith("data/"):  # LFS: the Hub's sha256 of the bytes
            assert (sha, source, identity) == (
                sha256(data),
                "hub-lfs",
                {"lfs_sha256": sha256(data)},
            )
        else:  # stored in git: no sha256 is known, only the git blob id
            assert (sha, source) == (None, None)
            assert identity == {"blob_id": git_hash_object(data, tmp_path)}


def test_pages_come_page_by_page_from_the_paginated_tree(
    ds: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.adapters.remote import hub

    monkeypatch.setattr(hub, "PAGE", 2)
    st, url = store("hf://datasets/org/ds@v1")
    ds.server.requests.clear()
    pages = [[o.key for o in page] for page in st.pages(url)]
    assert [len(p) for p in pages] == [2, 2, 2]
    trees = [r for r in ds.server.requests if "/tree/" in r[1]]
    # 6 files and 1 folder, two entries a page: four tree pages, each asked for once
    assert len(trees) == 4
    assert all(f"/tree/{ds.first}" in r[1] for r in trees)
    assert sum("cursor=" in r[1] for r in trees) == 3


def test_a_prefix_lists_its_files_with_keys_relative_to_it(ds: Dataset) -> None:
    st, url = store("hf://datasets/org/ds/data/")
    objects = [o for page in st.pages(url) for o in page]
    assert [o.key for o in objects] == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    assert [o.url.text for o in objects] == [  # each names the commit listed
        f"hf://datasets/org/ds@{ds.second}/data/train-00000-of-00002.parquet",
        f"hf://datasets/org/ds@{ds.second}/data/train-00001-of-00002.parquet",
    ]


def test_a_listed_object_is_read_at_the_listed_commit_by_any_store(ds: Dataset) -> None:
    """A cluster worker builds its own store: it still reads what was listed."""
    st, url = store("hf://datasets/org/ds/data/")
    first = next(o for page in st.pages(url) for o in page)
    ds.repo.commit({first.url.key: HubFile(b"moved on", lfs=True)})
    ds.server.requests.clear()
    worker = store_for(first.url, 10.0)
    with worker.open(first.url) as reader:
        assert sha256(reader.read()) == first.sha256
    info = worker.stat(first.url)
    assert info is not None and info.sha256 == first.sha256
    assert not any("/api/" in r[1] for r in ds.server.requests)  # a commit names itself


def test_the_listing_is_of_the_resolved_commit_even_when_the_branch_moves(ds: Dataset) -> None:
    st, url = store("hf://datasets/org/ds/data/")
    commit = st.resolve(url)["commit"]
    ds.repo.commit({"data/new.parquet": HubFile(parquet_bytes(10, 9), lfs=True)})
    assert len(listing(st, url)) == 2
    assert all(f"/tree/{commit}/" in r[1] for r in ds.server.requests if "/tree/" in r[1])
    assert len(listing(*store("hf://datasets/org/ds/data/"))) == 3  # a new store sees it


def test_a_single_file_is_one_page_of_one(ds: Dataset, tmp_path: Path) -> None:
    st, url = store("hf://datasets/org/ds@v1/data/extra.jsonl")
    assert listing(st, url) == {
        "": (len(JSONL), sha256(JSONL), "hub-lfs", {"lfs_sha256": sha256(JSONL)})
    }
    st, url = store("hf://datasets/org/ds/README.md")
    assert listing(st, url) == {
        "": (len(README), None, None, {"blob_id": git_hash_object(README, tmp_path)})
    }


def test_stat_is_one_head_request_at_the_revision_as_it_is_now(ds: Dataset, tmp_path: Path) -> None:
    st, url = store("hf://datasets/org/ds/data/train-00001-of-00002.parquet")
    ds.server.requests.clear()
    info = st.stat(url)
    assert [r[0] for r in ds.server.requests] == ["HEAD"]
    now = ds.repo.commits[ds.second]["data/train-00001-of-00002.parquet"].data
    assert info is not None
    assert (info.size, info.sha256, info.sha256_from) == (len(now), sha256(now), "hub-lfs")
    assert dict(info.identity) == {"lfs_sha256": sha256(now)}

    st, url = store("hf://datasets/org/ds/README.md")
    info = st.stat(url)
    assert info is not None and info.sha256 is None
    assert dict(info.identity) == {"blob_id": git_hash_object(README, tmp_path)}


def test_resolve_after_stat_asks_nothing_more(ds: Dataset) -> None:
    st, url = store("hf://datasets/org/ds/eval.jsonl")
    assert st.stat(url) is not None
    ds.server.requests.clear()
    assert st.resolve(url)["commit"] == ds.second  # from the HEAD's X-Repo-Commit
    assert ds.server.requests == []


def test_stat_of_a_deleted_path_or_revision_is_none(ds: Dataset) -> None:
    assert (
        store("hf://datasets/org/ds/data/extra.jsonl")[0].stat(
            store("hf://datasets/org/ds/data/extra.jsonl")[1]
        )
        is None
    )
    st, url = store("hf://datasets/org/ds@v1/data/extra.jsonl")
    assert st.stat(url) is not None
    del ds.repo.refs["v1"]
    assert st.stat(url) is None


def test_open_streams_the_bytes_of_the_resolved_commit(ds: Dataset) -> None:
    st, url = store("hf://datasets/org/ds/data/train-00000-of-00002.parquet")
    st.resolve(url)
    ds.repo.commit({"data/train-00000-of-00002.parquet": HubFile(b"moved on", lfs=True)})
    with st.open(url) as reader:
        data = b"".join(iter(lambda: reader.read(1 << 16), b""))
    assert data == ds.files["data/train-00000-of-00002.parquet"]
    assert [r[2] for r in ds.server.downloads()] == [None]  # one plain GET


def test_open_random_reads_the_parquet_footer_by_byte_ranges(ds: Dataset) -> None:
    path = "data/train-00000-of-00002.parquet"
    size = len(ds.files[path])
    st, url = store(f"hf://datasets/org/ds/{path}")
    ds.server.requests.clear()
    with st.open_random(url, size) as reader:
        meta = pq.ParquetFile(reader).metadata
        assert meta.num_rows == 3000
    ranges = [r[2] for r in ds.server.downloads()]
    assert ranges and all(r is not None and r.startswith("bytes=") for r in ranges)
    fetched = sum(int(b) - int(a) + 1 for a, b in (r[6:].split("-") for r in ranges if r))
    assert fetched < size // 4, (fetched, size)


def test_no_cache_writes_and_no_output(
    ds: Dataset, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from huggingface_hub import constants

    home = Path(constants.HF_HOME)
    before = sorted(home.rglob("*")) if home.exists() else []
    st, url = store("hf://datasets/org/ds/")
    list(st.pages(url))
    st.stat(urls.parse("hf://datasets/org/ds/README.md"))  # type: ignore[arg-type]
    with pytest.raises(GittrainError):
        list(store("hf://datasets/org/missing")[0].pages(urls.parse("hf://datasets/org/missing")))  # type: ignore[arg-type]
    after = sorted(home.rglob("*")) if home.exists() else []
    assert after == before
    assert not (Path.home() / ".cache" / "huggingface").exists()
    assert capfd.readouterr() == ("", "")
    assert not any("agent-harnesses" in r[1] for r in ds.server.requests)


# -- bad input: one line, the right code ------------------------------------------------


def _error(text: str, timeout: float = 10.0) -> GittrainError:
    st, url = store(text, timeout)
    with pytest.raises(GittrainError) as info:
        for _ in st.pages(url):
            pass
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hf://datasets/org/nope", "hf://datasets/org/nope: no dataset org/nope on the Hub at "),
        (
            "hf://datasets/org/ds@nobranch",
            "hf://datasets/org/ds@nobranch: no revision 'nobranch' in org/ds",
        ),
        (
            "hf://datasets/org/ds/nodir/",
            "hf://datasets/org/ds/nodir/: no 'nodir' in org/ds at main",
        ),
        (
            "hf://datasets/org/ds/data/nofile.parquet",
            "hf://datasets/org/ds/data/nofile.parquet: no 'data/nofile.parquet' in org/ds at main (",
        ),
        (
            "hf://datasets/org/ds@v1/data",
            "hf://datasets/org/ds@v1/data: 'data' is a folder in org/ds; add it as hf://datasets/org/ds@v1/data/",
        ),
    ],
)
def test_missing_repo_revision_or_path_is_exit_1(ds: Dataset, text: str, message: str) -> None:
    error = _error(text)
    assert error.code == 1
    assert str(error).startswith(message), str(error)


def test_a_private_repo_without_a_token_is_exit_2_naming_hf_token(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.repo("org/private", private=True).commit({"a.jsonl": HubFile(JSONL, lfs=True)})
    error = _error("hf://datasets/org/private")
    assert error.code == 2
    assert str(error) == (
        "hf://datasets/org/private: the Hub refused access to org/private (401, no HF_TOKEN); "
        "it is private or gated: set HF_TOKEN to a token that can read it"
    )
    hub.tokens["hf_good"] = {"org/private"}
    monkeypatch.setenv("HF_TOKEN", "hf_good")
    st, url = store("hf://datasets/org/private")
    assert list(listing(st, url)) == ["a.jsonl"]
    with st.open(url.child("a.jsonl")) as reader:
        assert reader.read() == JSONL
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    error = _error("hf://datasets/org/private")  # a token the Hub does not know at all
    assert error.code == 2
    assert str(error) == (
        "hf://datasets/org/private: the Hub refused HF_TOKEN (401, invalid credentials); "
        "set HF_TOKEN to a valid token"
    )


def test_a_token_that_cannot_read_a_private_repo_is_exit_1_saying_so(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.repo("org/private", private=True).commit({"a.jsonl": HubFile(JSONL, lfs=True)})
    hub.tokens["hf_other"] = set()
    monkeypatch.setenv("HF_TOKEN", "hf_other")
    error = _error("hf://datasets/org/private")
    assert error.code == 1
    assert str(error).endswith(" (or HF_TOKEN cannot read it)")


def test_a_gated_repo_is_exit_2(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.repo("org/gated", gated=True).commit({"a.jsonl": HubFile(JSONL, lfs=True)})
    assert _error("hf://datasets/org/gated").code == 2
    hub.tokens["hf_user"] = set()
    monkeypatch.setenv("HF_TOKEN", "hf_user")
    error = _error("hf://datasets/org/gated")
    assert error.code == 2
    assert "org/gated is gated; accept its conditions on the Hub" in str(error)


def test_an_unreachable_endpoint_is_exit_2_naming_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = closed_endpoint()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    error = _error("hf://datasets/org/ds")
    assert error.code == 2
    assert str(error).startswith(f"hf://datasets/org/ds: cannot reach the Hub at {endpoint} (")


def test_a_stalled_endpoint_times_out_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_endpoint() as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        start = time.monotonic()
        error = _error("hf://datasets/org/ds", timeout=0.5)
        assert time.monotonic() - start < 5
    assert error.code == 2
    assert str(error) == (
        f"hf://datasets/org/ds: the Hub at {endpoint} did not answer within 0.5s; "
        "check HF_ENDPOINT and the network"
    )


def test_an_endpoint_that_is_not_the_hub_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    with html_endpoint() as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        error = _error("hf://datasets/org/ds")
    assert error.code == 2
    assert str(error).startswith(
        f"hf://datasets/org/ds: {endpoint} does not answer like the Hub (JSONDecodeError: "
    )
    assert str(error).endswith("); check HF_ENDPOINT")


def test_hf_endpoint_must_be_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "localhost:8080")
    url = urls.parse("hf://datasets/org/ds")
    assert url is not None
    with pytest.raises(GittrainError) as info:
        store_for(url)
    assert info.value.code == 2
    assert str(info.value) == (
        "hf://datasets/org/ds: HF_ENDPOINT='localhost:8080' is not an http(s) URL"
    )


def test_the_listing_is_lazy_one_tree_page_at_a_time(
    ds: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gittrain.adapters.remote import hub

    monkeypatch.setattr(hub, "PAGE", 1)
    st, url = store("hf://datasets/org/ds@v1")
    pages = st.pages(url)
    ds.server.requests.clear()
    assert [o.key for o in next(pages)] == [".gitattributes"]
    assert len([r for r in ds.server.requests if "/tree/" in r[1]]) == 1
    assert len([o for page in pages for o in page]) == 5


def test_special_refs_and_unusual_file_names_round_trip(hub: HubServer) -> None:
    repo = hub.repo("org/odd")
    name = "data/with space é+%.jsonl"
    repo.commit({name: HubFile(JSONL, lfs=True)}, branch="refs/convert/parquet")
    st, url = store("hf://datasets/org/odd@refs%2Fconvert%2Fparquet/data/")
    assert st.resolve(url)["revision"] == "refs/convert/parquet"
    (obj,) = [o for page in st.pages(url) for o in page]
    assert obj.key == "with space é+%.jsonl"
    assert obj.sha256 == sha256(JSONL)
    with st.open(obj.url) as reader:
        assert reader.read() == JSONL
    info = st.stat(obj.url)
    assert info is not None and info.sha256 == sha256(JSONL)


SCRIPT = """
import hashlib, sys
from gittrain.adapters.remote import urls
from gittrain.adapters.remote.store import store_for
from gittrain.errors import GittrainError
url = urls.parse(sys.argv[1])
st = store_for(url, 10)
objects = [o for page in st.pages(url) for o in page]
for o in objects:
    st.stat(o.url)
    with st.open(o.url) as f:
        assert hashlib.sha256(f.read()).hexdigest() == o.sha256 or o.sha256 is None
    with st.open_random(o.url, o.size) as f:
        f.seek(-4, 2)
        f.read()
try:
    list(st.pages(urls.parse("hf://datasets/org/missing")))
except GittrainError as exc:
    print(exc.code, exc)
"""


def test_a_fresh_process_writes_nothing_to_home_and_prints_nothing(
    ds: Dataset, tmp_path: Path
) -> None:
    """No HF_HOME writes (cache, agent registry, token), no progress bars or log lines."""
    import os
    import sys

    home = tmp_path / "fresh-home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HUGGING", "XDG_"))
    }
    env.update(HOME=str(home), HF_ENDPOINT=ds.server.url)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, "hf://datasets/org/ds@v1/"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == (
        f"1 hf://datasets/org/missing: no dataset org/missing on the Hub at {ds.server.url}\n"
    )
    assert list(home.rglob("*")) == []


def test_hf_hub_offline_is_exit_2_saying_so(ds: Dataset) -> None:
    """huggingface_hub reads HF_HUB_OFFLINE once, at import: so in a fresh process."""
    import os
    import sys

    script = (
        "import sys\n"
        "from gittrain.adapters.remote import urls\n"
        "from gittrain.adapters.remote.store import store_for\n"
        "from gittrain.errors import GittrainError\n"
        "url = urls.parse('hf://datasets/org/ds')\n"
        "try:\n"
        "    list(store_for(url).pages(url))\n"
        "except GittrainError as exc:\n"
        "    print(exc.code, exc)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_ENDPOINT=ds.server.url)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == (
        "2 hf://datasets/org/ds: HF_HUB_OFFLINE is set; unset it to read from the Hub\n"
    )
    assert ds.server.requests == []


# -- end to end: `git train data add hf://...` and `data status` ------------------------


def lock_entry(repo: Repo, name: str) -> dict[str, object]:
    import yaml

    doc = yaml.safe_load((repo.root / "gittrain.lock").read_text())
    entry = doc["datasets"][name]
    assert isinstance(entry, dict)
    return entry


def test_cli_add_a_whole_hub_dataset(ds: Dataset, repo: Repo, cli: Cli) -> None:
    ds.server.requests.clear()
    r = cli("data", "add", "hf://datasets/org/ds", cwd=repo.root)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith("added ds: hf://datasets/org/ds (dir, 5 files), version ")
    assert "(no sha256 known)" in lines[0]
    assert lines[1:] == [  # README.md and eval.jsonl are stored in git, not LFS
        "note: samples not counted: JSONL needs --hash",
        "note: no sha256 known: some of its files are stored in git, not LFS, and the Hub "
        "keeps a sha256 for LFS files only, so the git blob id was recorded; "
        "--hash computes one",
    ]
    entry = lock_entry(repo, "ds")
    assert entry["sha256"] is None
    assert entry["files"] == 5
    provider = entry["provider"]
    assert isinstance(provider, dict)
    assert {k: provider[k] for k in ("repo", "revision", "commit", "objects")} == {
        "repo": "org/ds",
        "revision": "main",
        "commit": ds.second,
        "objects": 5,
    }
    # Parquet samples from the footers: byte ranges only, a small part of each shard
    downloads = ds.server.downloads()
    assert downloads and all(rng is not None for _, _, rng in downloads)
    assert all(f"/resolve/{ds.second}/data/" in path for _, path, _ in downloads)
    fetched = sum(int(b) - int(a) + 1 for a, b in (r[2][6:].split("-") for r in downloads if r[2]))
    assert fetched < sum(len(d) for p, d in ds.files.items() if p.endswith(".parquet")) // 4


def test_cli_add_pinned_lfs_shards_records_the_hub_sha256(
    ds: Dataset, repo: Repo, cli: Cli
) -> None:
    from gittrain.core.data.hashing import manifest_hash

    r = cli("data", "add", "hf://datasets/org/ds@v1/data/", "--name", "train", cwd=repo.root)
    assert r.code == 0, r
    shards = {p[len("data/") :]: d for p, d in ds.files.items() if p.startswith("data/")}
    expected = manifest_hash(sorted((rel, sha256(data)) for rel, data in shards.items()))
    assert r.out.splitlines() == [
        f"added train: hf://datasets/org/ds@v1/data/ (dir, 3 files), sha256 {expected[:12]} "
        f"(hub-lfs), ? samples, {r.out.split(', ')[-1].splitlines()[0]}",
        "note: samples not counted: JSONL needs --hash",
    ]
    entry = lock_entry(repo, "train")
    assert (entry["sha256"], entry["sha256_from"]) == (expected, "hub-lfs")
    assert entry["columns"] == {"id": "int64", "text": "string", "score": "double"}
    provider = entry["provider"]
    assert isinstance(provider, dict)
    assert (provider["revision"], provider["commit"]) == ("v1", ds.first)


def test_cli_add_hash_streams_and_agrees_with_the_hub(ds: Dataset, repo: Repo, cli: Cli) -> None:
    from gittrain.core.data.hashing import manifest_hash

    r = cli("data", "add", "hf://datasets/org/ds@v1/data/", "--hash", cwd=repo.root)
    assert r.code == 0, r
    shards = {p[len("data/") :]: d for p, d in ds.files.items() if p.startswith("data/")}
    entry = lock_entry(repo, "data")
    assert entry["sha256"] == manifest_hash(sorted((k, sha256(v)) for k, v in shards.items()))
    assert entry["sha256_from"] == "gittrain"
    assert entry["num_samples"] == 3000 + 2000 + 25
    assert "note:" not in r.out
    assert not (Path.home() / ".cache" / "huggingface").exists()


def test_cli_add_a_file_stored_in_git_records_its_blob_id(
    ds: Dataset, repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    r = cli("data", "add", "hf://datasets/org/ds/eval.jsonl", cwd=repo.root)
    assert r.code == 0, r
    assert r.out.splitlines()[0].startswith(
        "added eval: hf://datasets/org/ds/eval.jsonl (jsonl), version "
    )
    assert "(no sha256 known)" in r.out.splitlines()[0]
    assert r.out.splitlines()[1:] == [
        "note: samples not counted: JSONL needs --hash",
        "note: no sha256 known: this file is stored in git, not LFS, and the Hub keeps a "
        "sha256 for LFS files only, so the git blob id was recorded; --hash computes one",
    ]
    entry = lock_entry(repo, "eval")
    assert entry["sha256"] is None
    assert entry["provider"] == {
        "repo": "org/ds",
        "revision": "main",
        "commit": ds.second,
        "blob_id": git_hash_object(EVAL, tmp_path),
    }
    r = cli("data", "add", "hf://datasets/org/ds/eval.jsonl", "--hash", cwd=repo.root)
    assert r.code == 0, r
    entry = lock_entry(repo, "eval")
    assert (entry["sha256"], entry["sha256_from"]) == (sha256(EVAL), "gittrain")
    assert entry["num_samples"] == 7


def test_cli_add_a_bare_hub_id(ds: Dataset, repo: Repo, cli: Cli) -> None:
    r = cli("data", "add", "org/ds@v1", cwd=repo.root)
    assert r.code == 0, r
    assert r.out.startswith("added ds: hf://datasets/org/ds@v1 (dir, 6 files), ")
    entry = lock_entry(repo, "ds")
    assert entry["path"] == "hf://datasets/org/ds@v1"
    provider = entry["provider"]
    assert isinstance(provider, dict) and provider["commit"] == ds.first


def test_cli_a_local_path_wins_over_a_hub_id(ds: Dataset, repo: Repo, cli: Cli) -> None:
    repo.write("org/ds/train.jsonl", JSONL.decode())
    ds.server.requests.clear()
    r = cli("data", "add", "org/ds", cwd=repo.root)
    assert r.code == 0, r
    assert lock_entry(repo, "ds")["path"] == "org/ds"
    assert ds.server.requests == []


def test_cli_the_hint_for_an_unlocked_hub_id_works(hub: HubServer, repo: Repo, cli: Cli) -> None:
    """The hooks suggest `git train data add hf://datasets/openai/gsm8k` for a job's
    unlocked `openai/gsm8k`: that command works."""
    hub.repo("openai/gsm8k").commit(
        {"main/train-00000-of-00001.parquet": HubFile(parquet_bytes(200, 7), lfs=True)}
    )
    r = cli("data", "add", "hf://datasets/openai/gsm8k", cwd=repo.root)
    assert r.code == 0, r
    entry = lock_entry(repo, "gsm8k")
    assert (entry["path"], entry["num_samples"]) == ("hf://datasets/openai/gsm8k", 200)
    assert entry["sha256_from"] == "hub-lfs"


def test_cli_status_after_the_branch_moves_and_a_file_is_deleted(
    ds: Dataset, repo: Repo, cli: Cli
) -> None:
    for args in (
        ("hf://datasets/org/ds/data/", "--name", "shards"),
        ("hf://datasets/org/ds/data/train-00000-of-00002.parquet", "--name", "one"),
        ("hf://datasets/org/ds@v1/data/", "--name", "pinned"),
        ("hf://datasets/org/ds/eval.jsonl", "--name", "eval"),
    ):
        assert cli("data", "add", *args, cwd=repo.root).code == 0
    r = cli("data", "status", cwd=repo.root)
    assert (r.code, r.out) == (
        0,
        "ok        eval    hf://datasets/org/ds/eval.jsonl\n"
        "ok        one     hf://datasets/org/ds/data/train-00000-of-00002.parquet\n"
        "ok        pinned  hf://datasets/org/ds@v1/data/\n"
        "ok        shards  hf://datasets/org/ds/data/\n",
    )
    lock = (repo.root / "gittrain.lock").read_bytes()
    third = ds.repo.commit(
        {"data/train-00000-of-00002.parquet": HubFile(parquet_bytes(100, 4), lfs=True)},
        delete=("eval.jsonl",),
    )
    ds.server.requests.clear()
    r = cli("data", "status", "--format", "json", cwd=repo.root)
    assert r.code == 1, r
    payload = json.loads(r.out)
    states = {d["name"]: d["state"] for d in payload["datasets"]}
    assert states == {"eval": "missing", "one": "modified", "pinned": "ok", "shards": "modified"}
    changed = {
        d["name"]: {x["field"]: (x["locked"], x["current"]) for x in d["differences"]}
        for d in payload["datasets"]
    }
    now = sha256(ds.repo.commits[third]["data/train-00000-of-00002.parquet"].data)
    was = sha256(ds.files["data/train-00000-of-00002.parquet"])
    assert changed["one"]["lfs_sha256"] == (was, now)
    assert changed["shards"]["commit"] == (ds.second, third)
    assert set(changed["shards"]) == {"commit", "size", "identity_digest"}
    # metadata only: HEADs, listings and dataset info; no file bytes
    assert ds.server.downloads() == []
    assert (repo.root / "gittrain.lock").read_bytes() == lock

    r = cli("data", "status", cwd=repo.root)
    lines = dict(line.split(None, 2)[1:] for line in r.out.splitlines())
    assert lines["shards"].startswith(
        f"hf://datasets/org/ds/data/  (commit: {ds.second[:12]} -> {third[:12]}; size: "
    )
    assert lines["one"].startswith(
        "hf://datasets/org/ds/data/train-00000-of-00002.parquet  "
        f"(commit: {ds.second[:12]} -> {third[:12]}; lfs_sha256: {was[:12]} -> {now[:12]}; "
    )
    assert (lines["pinned"], lines["eval"]) == (
        "hf://datasets/org/ds@v1/data/",
        "hf://datasets/org/ds/eval.jsonl",
    )

    r = cli("data", "status", "--offline", cwd=repo.root)
    assert (r.code, r.out) == (0, "skipped 4 remote datasets (--offline)\n")


@pytest.mark.parametrize(
    ("args", "code", "needles"),
    [
        (("hf://datasets/org/nope",), 1, ("hf://datasets/org/nope: no dataset org/nope",)),
        (("hf://datasets/org/ds@nobranch",), 1, ("no revision 'nobranch' in org/ds",)),
        (("hf://datasets/org/ds/data/none.parquet",), 1, ("no 'data/none.parquet' in org/ds",)),
        (("org/private",), 2, ("hf://datasets/org/private: ", "set HF_TOKEN")),
        (("hf://datasets/org/ds/data",), 1, ("add it as hf://datasets/org/ds/data/",)),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(
    ds: Dataset, repo: Repo, cli: Cli, args: tuple[str, ...], code: int, needles: tuple[str, ...]
) -> None:
    ds.server.repo("org/private", private=True).commit({"a.jsonl": HubFile(JSONL, lfs=True)})
    assert cli("data", "add", "hf://datasets/org/ds/eval.jsonl", cwd=repo.root).code == 0
    before = snapshot(repo.root)
    r = cli("data", "add", *args, cwd=repo.root)
    assert_one_line_error(r, code, *needles)
    assert snapshot(repo.root) == before


def test_cli_an_unreachable_endpoint_is_exit_2_and_writes_nothing(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = closed_endpoint()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    before = snapshot(repo.root)
    start = time.monotonic()
    r = cli("data", "add", "hf://datasets/org/ds", cwd=repo.root)
    assert time.monotonic() - start < 10
    assert_one_line_error(r, 2, f"hf://datasets/org/ds: cannot reach the Hub at {endpoint}")
    assert snapshot(repo.root) == before


def test_cli_in_a_fresh_process_writes_nothing_to_home(ds: Dataset, repo: Repo) -> None:
    """The real console script: no HF_HOME writes, nothing on stderr, one line on stdout."""
    import os
    import sys

    home = repo.root.parent / "fresh-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING", "XDG_"))}
    env.update(HOME=str(home), HF_ENDPOINT=ds.server.url)
    script = str(Path(sys.executable).parent / "git-train")
    proc = subprocess.run(
        [script, "data", "add", "hf://datasets/org/ds@v1/data/"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc
    assert proc.stdout.startswith("added data: hf://datasets/org/ds@v1/data/ (dir, 3 files)")
    assert list(home.rglob("*")) == []


def test_cli_status_with_an_unreachable_endpoint_is_exit_2(
    ds: Dataset, repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("data", "add", "hf://datasets/org/ds/eval.jsonl", cwd=repo.root).code == 0
    assert cli("data", "add", "hf://datasets/org/ds/data/", cwd=repo.root).code == 0
    before = snapshot(repo.root)
    endpoint = closed_endpoint()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    r = cli("data", "status", cwd=repo.root)
    assert_one_line_error(r, 2, f"cannot reach the Hub at {endpoint}")
    assert snapshot(repo.root) == before
    r = cli("data", "status", "--offline", cwd=repo.root)
    assert (r.code, r.out) == (0, "skipped 2 remote datasets (--offline)\n")


def test_objects_read_in_another_process_are_the_listed_commits_bytes(ds: Dataset) -> None:
    """As on a cluster worker: pickled tasks, a store built there, the branch moved
    meanwhile; the worker still reads (and hashes) what was listed."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from gittrain.core.data.remote import ObjectTask, read_object

    st, url = store("hf://datasets/org/ds/data/")
    objects = [o for page in st.pages(url) for o in page]
    ds.repo.commit({o.url.key: HubFile(b'{"moved": true}\n', lfs=True) for o in objects})
    tasks = [ObjectTask(o, "parquet", True, 10.0) for o in objects]
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(read_object, tasks))
    assert [(r.key, r.sha256) for r in results] == [(o.key, o.sha256) for o in objects]
    assert [r.num_samples for r in results] == [3000, 2500]
