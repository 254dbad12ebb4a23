"""hf:// datasets through huggingface_hub, against the Hub contract server (tests/hub_server.py).

There is no Hub emulator and no network: ``HF_ENDPOINT`` points huggingface_hub at a local
server that answers the Hub's dataset-info, tree, paths-info and resolve endpoints.
"""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
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
# A small file stored in git, not LFS (the default .gitattributes leaves *.jsonl out too)
EVAL = b"".join(b'{"prompt": "e%d", "completion": "b%d"}\n' % (i, i) for i in range(7))
GITATTRIBUTES = (
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.jsonl filter=lfs diff=lfs merge=lfs -text\n"
)


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
