"""The parsed-document cache `data status` keeps under .git (issue 14.3): unchanged lockfile
and job bytes are not parsed again, changed bytes never get a stale answer, and a cache
file that is corrupt, truncated, foreign, from another version or hostile is ignored and
rewritten, never an error and never a wrong answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error

from gittrain import __version__
from gittrain.core import parsecache
from gittrain.core.parsecache import ParseCache

JOB = "name: a\ndatasets:\n  train: shards\n  eval: data/missing.jsonl\n"


@pytest.fixture
def locked(repo: Repo, cli: Cli) -> Repo:
    repo.write("data/train.jsonl", '{"a": 1}\n{"a": 2}\n')
    assert cli("data", "add", "data/train.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", JOB)
    return repo


def _cache_file(repo: Repo) -> Path:
    return repo.root / ".git" / "gittrain" / "parsed.json"


def _status(cli: Cli, repo: Repo, *args: str) -> tuple[int, str, str]:
    result = cli("data", "status", *args, cwd=repo.root)
    return result.code, result.out, result.err


def _reference(cli: Cli, repo: Repo, *args: str) -> tuple[int, str, str]:
    """What status says with no cache at all (and the cache it leaves behind is removed)."""
    _cache_file(repo).unlink(missing_ok=True)
    found = _status(cli, repo, *args)
    _cache_file(repo).unlink(missing_ok=True)
    return found


def test_second_run_reads_the_cache_and_says_the_same(locked: Repo, cli: Cli) -> None:
    first = _status(cli, locked, "--format", "json")
    doc = json.loads(_cache_file(locked).read_text())
    assert sorted(doc["entries"]) == ["job:jobs/a.yaml", "lock:gittrain.lock"]
    assert _status(cli, locked, "--format", "json") == first
    assert "data/missing.jsonl" in first[1]


def test_a_warm_status_does_not_load_pyyaml(locked: Repo, cli: Cli) -> None:
    _status(cli, locked)
    code = (
        "import sys; from pathlib import Path; "
        "from gittrain.commands.data_status import status; "
        f"status(Path({str(locked.root)!r})); print('yaml' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
    _cache_file(locked).unlink()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


def test_a_changed_lockfile_is_never_served_stale(locked: Repo, cli: Cli) -> None:
    _status(cli, locked)
    lock = locked.root / "gittrain.lock"
    text = lock.read_text()
    sha = json.loads(_status(cli, locked, "--format", "json")[1])
    assert "modified" not in json.dumps(sha)
    # Same length, one digit of the sha256 changed: a hand edit the cache must notice.
    start = text.index("sha256: ") + len("sha256: ")
    flipped = "0" if text[start] != "0" else "1"
    lock.write_text(text[:start] + flipped + text[start + 1 :])
    found = _status(cli, locked)
    assert "modified" in found[1]
    assert found == _reference(cli, locked)


def test_a_broken_lockfile_gives_todays_error_after_a_cached_run(locked: Repo, cli: Cli) -> None:
    _status(cli, locked)
    lock = locked.root / "gittrain.lock"
    lock.write_text(lock.read_text() + "oops: [\n")
    result = cli("data", "status", cwd=locked.root)
    assert_one_line_error(result, 1, "gittrain.lock")
    _cache_file(locked).unlink(missing_ok=True)
    again = cli("data", "status", cwd=locked.root)
    assert (again.code, again.err) == (result.code, result.err)


def test_a_changed_job_is_parsed_again(locked: Repo, cli: Cli) -> None:
    _status(cli, locked)
    locked.write("jobs/a.yaml", JOB.replace("data/missing.jsonl", "data/other.jsonl"))
    code, out, err = _status(cli, locked)
    assert "data/other.jsonl" in out and "data/missing.jsonl" not in out
    assert (code, out, err) == _reference(cli, locked)


def test_a_job_with_problems_is_not_cached_and_keeps_its_messages(locked: Repo, cli: Cli) -> None:
    locked.write("jobs/b.yaml", "name: b\ndatasets:\n  train: 3\n")
    locked.write("jobs/c.yaml", "name: c\ndatasets: [\n")
    first = _status(cli, locked)
    entries = json.loads(_cache_file(locked).read_text())["entries"]
    assert "job:jobs/b.yaml" not in entries and "job:jobs/c.yaml" not in entries
    assert _status(cli, locked) == first
    assert "jobs/b.yaml:3" in first[1] + first[2]


def _valid_doc(repo: Repo) -> dict[str, object]:
    doc: dict[str, object] = json.loads(_cache_file(repo).read_text())
    return doc


def _hostile_entries(repo: Repo) -> list[bytes]:
    """Cache files a run must ignore, each written over a valid one."""
    good = _valid_doc(repo)
    lock_raw = (repo.root / "gittrain.lock").read_bytes().decode("latin-1")
    job_raw = (repo.root / "jobs/a.yaml").read_bytes().decode("latin-1")

    def with_entries(entries: object, **head: object) -> bytes:
        return json.dumps({**good, **head, "entries": entries}).encode()

    fake_lock = {"version": 1, "datasets": {}}
    return [
        b"",
        b"\x00\xff garbage",
        json.dumps(good).encode()[:-7],  # truncated
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the recursion limit
        with_entries(good["entries"], version=99),
        with_entries(good["entries"], gittrain=__version__ + ".other"),
        with_entries(good["entries"], format="something-else"),
        with_entries([]),
        json.dumps([1, 2, 3]).encode(),
        # The right bytes but data no lockfile narrows to, or not a mapping at all.
        with_entries({"lock:gittrain.lock": [lock_raw, {"version": "x"}]}),
        with_entries({"lock:gittrain.lock": [lock_raw, [1, 2]]}),
        with_entries({"lock:gittrain.lock": [lock_raw, {"version": 1, "datasets": NaN_TEXT}]}),
        with_entries({"lock:gittrain.lock": [lock_raw]}),
        with_entries({"lock:gittrain.lock": "nonsense", "job:jobs/a.yaml": 7}),
        with_entries({"job:jobs/a.yaml": [job_raw, {"datasets": [1]}]}),
        with_entries({"job:jobs/a.yaml": [job_raw, {"datasets": {"x": 5}}]}),
        # Other bytes than the file holds now: never used.
        with_entries({"lock:gittrain.lock": [lock_raw + " ", fake_lock]}),
        with_entries({"lock:gittrain.lock": [lock_raw[:-1], fake_lock]}),
        with_entries({"lock:gittrain.lock": ["\u0100" + lock_raw, fake_lock]}),
    ]


NaN_TEXT = "NaN-marker"


@pytest.mark.parametrize("index", range(19))
def test_a_bad_cache_file_is_ignored_and_rewritten(locked: Repo, cli: Cli, index: int) -> None:
    expected = _reference(cli, locked, "--format", "json")
    _status(cli, locked)  # a valid cache to start from
    bad = _hostile_entries(locked)[index]
    bad = bad.replace(json.dumps(NaN_TEXT).encode(), b"NaN")
    _cache_file(locked).write_bytes(bad)
    assert _status(cli, locked, "--format", "json") == expected
    doc = _valid_doc(locked)  # rewritten, valid again
    assert sorted(doc["entries"]) == ["job:jobs/a.yaml", "lock:gittrain.lock"]
    assert _status(cli, locked, "--format", "json") == expected


def test_a_cache_that_cannot_be_read_or_written_is_only_slower(locked: Repo, cli: Cli) -> None:
    expected = _reference(cli, locked)
    _cache_file(locked).parent.mkdir(parents=True, exist_ok=True)
    _cache_file(locked).mkdir()  # a directory where the file should be
    assert _status(cli, locked) == expected
    assert _status(cli, locked) == expected
    assert _cache_file(locked).is_dir()


def test_an_oversized_cache_file_is_ignored(
    locked: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _reference(cli, locked)
    _status(cli, locked)
    monkeypatch.setattr(parsecache, "MAX_BYTES", 10)
    loaded = ParseCache.load(locked.root / ".git")
    assert loaded.entries == {}
    assert _status(cli, locked) == expected


@pytest.mark.parametrize(
    "data",
    [
        {"a": (1, 2)},  # a tuple would come back a list
        {1: "x"},  # an int key would come back a string
        {"a": float("nan")},
        {"a": {1.5: 2}},
        {"a": object()},
    ],
)
def test_only_data_json_gives_back_exactly_is_stored(tmp_path: Path, data: object) -> None:
    cache = ParseCache(tmp_path / "parsed.json", {})
    cache.put("lock:x", b"raw", data)
    assert cache.used == {}
    assert not cache.dirty


def test_exact_data_round_trips_through_the_file(tmp_path: Path) -> None:
    data = {"a": [1, 2.5, True, None, "\udcff", -0.0], "b": {"c": 10**30}}
    cache = ParseCache(tmp_path / "gittrain" / "parsed.json", {})
    cache.put("job:j", b"\xff\x00raw", data)
    cache.save()
    again = ParseCache.load(tmp_path)
    assert again.get("job:j", b"\xff\x00raw") == data
    assert again.get("job:j", b"\xff\x00raw ") is None
    assert again.get("job:other", b"\xff\x00raw") is None


def test_a_settings_change_is_seen_after_a_cached_run(locked: Repo, cli: Cli) -> None:
    locked.write(".gittrain.yaml", "jobs_dir: experiments\n")
    locked.write("experiments/b.yaml", "name: b\ndatasets:\n  train: data/elsewhere.jsonl\n")
    first = _status(cli, locked)
    assert "data/elsewhere.jsonl" in first[1] and "data/missing.jsonl" not in first[1]
    assert _status(cli, locked) == first
    locked.write(".gittrain.yaml", "jobs_dir: jobs\n")
    second = _status(cli, locked)
    assert "data/missing.jsonl" in second[1] and "data/elsewhere.jsonl" not in second[1]
    assert second == _reference(cli, locked)


def test_broken_settings_give_todays_error_after_a_cached_run(locked: Repo, cli: Cli) -> None:
    locked.write(".gittrain.yaml", "jobs_dir: jobs\n")
    _status(cli, locked)
    locked.write(".gittrain.yaml", "jobs_dir: [\n")
    result = cli("data", "status", cwd=locked.root)
    assert_one_line_error(result, 1, ".gittrain.yaml")
    locked.write(".gittrain.yaml", "jobs_dir: 7\n")
    again = cli("data", "status", cwd=locked.root)
    assert_one_line_error(again, 1, ".gittrain.yaml:1")
    _cache_file(locked).unlink()
    fresh = cli("data", "status", cwd=locked.root)
    assert (fresh.code, fresh.err) == (again.code, again.err)
