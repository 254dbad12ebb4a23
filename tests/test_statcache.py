"""The packed stat cache (issue 14.3): an unchanged dataset is verified from it, a changed
file is re-hashed alone, and a cache that is missing, damaged, foreign, hostile or from
version 1 is ignored and rebuilt, never an error and never a wrong answer."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import Cli, Repo
from datahelp import age, stat_cache_file

from gittrain.core.data import hashing, statcache
from gittrain.core.data.filewalk import walk_dir
from gittrain.core.data.fingerprint import fingerprint
from gittrain.core.data.statcache import MAGIC, StatCache
from gittrain.errors import GittrainError

DATASET = "data/shards"


def _shards(repo: Repo, n: int = 30) -> Path:
    top = repo.root / DATASET
    for i in range(n):
        path = top / f"d{i % 3}" / f"f{i:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"shard {i}\n".encode() * (50 + i))
        age(path)
    return top


@pytest.fixture
def shards(repo: Repo, cli: Cli) -> Path:
    top = _shards(repo)
    result = cli("data", "add", DATASET, cwd=repo.root)
    assert result.code == 0, result
    return top


def _cache(repo: Repo) -> Path:
    return stat_cache_file(repo.root, DATASET)


def _bytes_hashed(repo: Repo) -> int:
    """How many bytes a fingerprint of the dataset reads (the stat cache is saved after)."""
    read: list[int] = []
    cache = StatCache.load(repo.root / ".git")
    fingerprint(repo.root, DATASET, cache, read.append)
    cache.save()
    return sum(read)


def _total(top: Path) -> int:
    return sum(p.stat().st_size for p in top.rglob("*") if p.is_file())


def test_an_unchanged_dataset_is_verified_without_reading(repo: Repo, shards: Path) -> None:
    assert _cache(repo).read_bytes().startswith(MAGIC)
    assert _bytes_hashed(repo) == 0


def test_only_the_changed_file_is_rehashed(repo: Repo, cli: Cli, shards: Path) -> None:
    changed = shards / "d1/f004.txt"
    changed.write_bytes(b"new\n")
    age(changed)
    assert _bytes_hashed(repo) == 4
    assert _bytes_hashed(repo) == 0  # and the cache learned it
    result = cli("data", "status", cwd=repo.root)
    assert result.code == 1 and result.out.startswith("modified  shards"), result


def test_added_and_removed_files_are_seen(repo: Repo, cli: Cli, shards: Path) -> None:
    (shards / "d2/f005.txt").unlink()
    result = cli("data", "status", cwd=repo.root)
    assert result.code == 1 and "files" in result.out, result
    assert cli("data", "update", cwd=repo.root).code == 0
    extra = shards / "d0/new.txt"
    extra.write_text("x\n")
    age(extra)
    result = cli("data", "status", cwd=repo.root)
    assert result.code == 1 and "files" in result.out, result


def test_a_racy_file_is_rehashed_until_it_settles(repo: Repo, shards: Path) -> None:
    fresh = shards / "d0/f000.txt"
    fresh.write_bytes(fresh.read_bytes())  # mtime now: within RACY_NS of any hashing
    size = fresh.stat().st_size
    assert _bytes_hashed(repo) == size
    assert _bytes_hashed(repo) == size  # still racy: never trusted
    age(fresh)
    assert _bytes_hashed(repo) == size
    assert _bytes_hashed(repo) == 0


def _head(data: bytes) -> tuple[int, ...]:
    return statcache._HEAD.unpack(data[len(MAGIC) : len(MAGIC) + statcache._HEAD.size])


def _with_head(data: bytes, **fields: int) -> bytes:
    names = ("version", "order", "settled", "n", "path_len", "names_len", "digest", "crc")
    values = dict(zip(names, _head(data), strict=True)) | fields
    head = statcache._HEAD.pack(*values.values())
    return MAGIC + head + data[len(MAGIC) + statcache._HEAD.size :]


DAMAGE = {
    "empty": lambda d: b"",
    "truncated": lambda d: d[: len(d) // 2],
    "one-byte-short": lambda d: d[:-1],
    "trailing-junk": lambda d: d + b"junk",
    "flipped-body-byte": lambda d: d[:-40] + bytes([d[-40] ^ 0x10]) + d[-39:],
    "bad-magic": lambda d: b"X" + d[1:],
    "version-1": lambda d: _with_head(d, version=1),
    "version-3": lambda d: _with_head(d, version=3),
    "other-byte-order": lambda d: _with_head(d, order=1 - _head(d)[1]),
    "bad-settled-flag": lambda d: _with_head(d, settled=7),
    "huge-count": lambda d: _with_head(d, n=2**32 - 1),
    "huge-names": lambda d: _with_head(d, names_len=2**31),
    "json-v1": lambda d: json.dumps({"version": 1, "entries": {}}).encode(),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_or_foreign_cache_is_ignored_and_rebuilt(
    repo: Repo, cli: Cli, shards: Path, damage: str
) -> None:
    good = _cache(repo).read_bytes()
    _cache(repo).write_bytes(DAMAGE[damage](good))
    assert _bytes_hashed(repo) == _total(shards)  # nothing trusted: everything re-read
    rebuilt = _cache(repo).read_bytes()  # rebuilt: the same but for the hashing times
    assert len(rebuilt) == len(good) and _head(rebuilt)[:7] == _head(good)[:7]
    assert _bytes_hashed(repo) == 0
    assert cli("data", "status", cwd=repo.root).code == 0


def test_a_lying_count_cannot_reach_the_lockfile(repo: Repo, cli: Cli, shards: Path) -> None:
    """A consistent-looking file (checksum fixed up) whose names and counts disagree."""
    good = _cache(repo).read_bytes()
    head = _head(good)
    body = good[len(MAGIC) + statcache._HEAD.size :]
    body = body.replace(b"f001.txt\0", b"f001.txt/", 1)  # one name fewer, same length
    forged = _with_head(good[: len(MAGIC) + statcache._HEAD.size] + body, crc=zlib.crc32(body))
    assert head[3] == 30
    _cache(repo).write_bytes(forged)
    assert _bytes_hashed(repo) == _total(shards)
    assert cli("data", "status", cwd=repo.root).code == 0


def test_another_datasets_cache_under_this_name_is_ignored(
    repo: Repo, cli: Cli, shards: Path
) -> None:
    other = repo.root / "data/b.jsonl"
    other.write_text('{"b": 1}\n')
    age(other)
    assert cli("data", "add", "data/b.jsonl", cwd=repo.root).code == 0
    _cache(repo).write_bytes(stat_cache_file(repo.root, "data/b.jsonl").read_bytes())
    assert _bytes_hashed(repo) == _total(shards)


def test_a_v1_json_cache_is_ignored_and_removed(repo: Repo, cli: Cli) -> None:
    top = _shards(repo)
    legacy = repo.root / ".git/gittrain/statcache.json"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    # A v1 entry that would vouch for a wrong sha256: it must not be read.
    entries = {
        f"{DATASET}/{p.relative_to(top).as_posix()}": [
            p.stat().st_size,
            p.stat().st_mtime_ns,
            p.stat().st_ino,
            p.stat().st_ctime_ns,
            "0" * 64,
            p.stat().st_mtime_ns + 10**12,
        ]
        for p in top.rglob("*.txt")
    }
    legacy.write_text(json.dumps({"version": 1, "entries": entries}))
    assert cli("data", "add", DATASET, cwd=repo.root).code == 0
    assert "0" * 64 not in (repo.root / "gittrain.lock").read_text()
    assert not legacy.exists()
    assert cli("data", "status", cwd=repo.root).code == 0


@pytest.mark.parametrize("kind", ["symlink-to-dev-zero", "dangling-symlink", "fifo", "directory"])
def test_a_hostile_cache_file_is_ignored(repo: Repo, shards: Path, kind: str) -> None:
    file = _cache(repo)
    file.unlink()
    if kind == "symlink-to-dev-zero":
        file.symlink_to("/dev/zero")
    elif kind == "dangling-symlink":
        file.symlink_to(repo.root / "nowhere")
    elif kind == "fifo":
        os.mkfifo(file)
    else:
        file.mkdir()
    assert _bytes_hashed(repo) == _total(shards)  # no hang, no crash
    if kind != "directory":  # the write replaces the link or FIFO itself
        assert file.is_file() and not file.is_symlink()
        assert _bytes_hashed(repo) == 0


def test_a_huge_sparse_cache_file_is_not_read(repo: Repo, shards: Path) -> None:
    file = _cache(repo)
    head = file.read_bytes()[: len(MAGIC) + statcache._HEAD.size]
    with open(file, "r+b") as handle:
        handle.truncate(5 << 30)  # sparse: 5 GiB that would be read into memory
        handle.write(head)
    assert _bytes_hashed(repo) == _total(shards)
    assert file.stat().st_size < 1 << 20


def test_an_unwritable_cache_is_only_slower(repo: Repo, cli: Cli, shards: Path) -> None:
    directory = _cache(repo).parent
    for entry in directory.iterdir():
        entry.unlink()
    directory.rmdir()
    directory.write_text("not a directory")  # mkdir and every write fail
    assert cli("data", "status", cwd=repo.root).code == 0
    assert cli("data", "status", cwd=repo.root).code == 0


def test_two_writers_of_different_datasets_both_keep_theirs(repo: Repo, shards: Path) -> None:
    other = repo.root / "data/b.jsonl"
    other.write_text('{"b": 1}\n')
    age(other)
    for path in (_cache(repo), stat_cache_file(repo.root, "data/b.jsonl")):
        path.unlink(missing_ok=True)
    first = StatCache.load(repo.root / ".git")
    second = StatCache.load(repo.root / ".git")
    fingerprint(repo.root, DATASET, first)
    fingerprint(repo.root, "data/b.jsonl", second)
    second.save()
    first.save()
    assert _bytes_hashed(repo) == 0
    read: list[int] = []
    fingerprint(repo.root, "data/b.jsonl", StatCache.load(repo.root / ".git"), read.append)
    assert read == []


def test_fingerprint_digest_matches_the_manifest_with_and_without_cache(
    repo: Repo, shards: Path
) -> None:
    lines = sorted(
        (p.relative_to(shards).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in shards.rglob("*.txt")
    )
    expected = hashlib.sha256("".join(f"{r}  {s}\n" for r, s in lines).encode()).hexdigest()
    warm = fingerprint(repo.root, DATASET, StatCache.load(repo.root / ".git"), keep_stats=False)
    cold = fingerprint(repo.root, DATASET, StatCache(None))
    assert warm.sha256 == cold.sha256 == expected
    assert warm.stats == {} and len(cold.stats) == 30
    assert list(cold.stats) == sorted(cold.stats, key=lambda r: r.encode())
    assert warm.size == cold.size == _total(shards)


def test_a_fifo_in_a_dataset_is_refused_after_the_walk(repo: Repo, shards: Path) -> None:
    os.mkfifo(shards / "d0/pipe.jsonl")
    with pytest.raises(GittrainError, match=r"^data/shards/d0/pipe.jsonl: not a regular file"):
        fingerprint(repo.root, DATASET, StatCache(None))


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("with_sizes", [True, False])
def test_batched_hashing_keeps_input_order(
    tmp_path: Path, workers: int, with_sizes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashing, "BATCH_FILES", 3)
    files = []
    for i in range(23):
        path = tmp_path / f"f{i}"
        path.write_bytes(os.urandom(i * 97))
        files.append((path, path.name))
    sizes = [p.stat().st_size for p, _ in files] if with_sizes else None
    got = hashing.hash_files(files, workers=workers, sizes=sizes)
    assert [sha for sha, _ in got] == [hashlib.sha256(p.read_bytes()).hexdigest() for p, _ in files]
    assert [st.size for _, st in got] == [i * 97 for i in range(23)]


def test_batched_hashing_reports_the_first_failing_file(tmp_path: Path) -> None:
    files = []
    for i in range(40):
        path = tmp_path / f"f{i:02d}"
        path.write_bytes(b"x" * i)
        files.append((path, path.name))
    files[31][0].unlink()
    files[7][0].unlink()
    with pytest.raises(GittrainError, match=r"^f07: no such file$"):
        hashing.hash_files(files, workers=2)


def test_walk_stats_match_os_stat(repo: Repo) -> None:
    top = _shards(repo, 7)
    walk = walk_dir(repo.root, DATASET)
    assert sorted(walk.names) == sorted(
        f"{DATASET}/{p.relative_to(top).as_posix()}" for p in top.rglob("*.txt")
    )
    for i, name in enumerate(walk.names):
        st = os.stat(repo.root / name)
        assert walk.stat(i) == hashing.FileStat.of(st)
    assert walk.size() == _total(top)
    assert struct.calcsize("q") == 8


_OPENED = """
import os, sys
top = os.getcwd() + "/data/"
opened = set()
sys.addaudithook(
    lambda event, args: opened.add(args[0])
    if event == "open" and isinstance(args[0], str) and args[0].startswith(top) else None
)
from gittrain.cli import main
try:
    main(["data", "status"])
finally:
    print("\\n".join(sorted(opened)), file=sys.stderr)
"""


def _files_opened_by_status(repo: Repo) -> list[str]:
    """The files under data/ a real `data status` process opens (Python's audit hook)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(
        [sys.executable, "-c", _OPENED],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("ok "), proc
    return proc.stderr.splitlines()


def test_status_opens_no_file_the_cache_vouches_for(repo: Repo, cli: Cli, shards: Path) -> None:
    # Every shard is under 1 KiB, the size of a git-lfs pointer: each was read for the pointer
    # check on every status, cached or not.  Only the directory is listed now.
    assert _files_opened_by_status(repo) == [str(shards)]
    pointer = shards / "d1/f004.txt"
    pointer.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n")
    age(pointer)
    result = cli("data", "status", cwd=repo.root)
    assert result.code == 1, result
    assert "data/shards/d1/f004.txt: a git-lfs pointer file, not the data" in result.out
