"""Caches and API arguments are untrusted input: a damaged cache is rebuilt, never a crash and
never a value copied into the lockfile; a bad API argument is a clear GittrainError (issue 11.5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, Repo
from datahelp import age, stat_cache_file, write_jsonl

import gittrain
from gittrain.core.data import lockstore
from gittrain.errors import GittrainError

JOB = (
    "name: {name}\nrecipe: grpo_basic\nmodel_size: 7B\nnum_gpus: 8\ndatasets:\n  train: a\n"
    "config:\n  algorithm: grpo\n  learning_rate: 1.0e-6\n  rollout_n: 8\n"
    "result:\n  status: completed\n  metrics:\n    acc: 0.5\n"
)
DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.fixture
def locked(repo: Repo, cli: Cli) -> Path:
    """data/a.jsonl locked with a stat-cache entry that status would trust (not racy)."""
    path = write_jsonl(repo.root / "data/a.jsonl", 5)
    age(path)
    assert cli("data", "add", "data/a.jsonl", cwd=repo.root).code == 0
    return path


def _stat_cache(repo: Repo) -> Path:
    return stat_cache_file(repo.root, "data/a.jsonl")


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])  # inside the last cached sha256


@pytest.mark.parametrize(
    "damage",
    [_flip_last_byte, lambda d: d[:-7], lambda d: d + b"\0", lambda d: b"", lambda d: d[:40]],
    ids=["flipped-sha-byte", "truncated", "trailing-byte", "empty", "header-only"],
)
def test_a_bad_sha_in_the_stat_cache_is_rehashed_not_locked(
    repo: Repo, cli: Cli, locked: Path, damage: Callable[[bytes], bytes]
) -> None:
    real = hashlib.sha256(locked.read_bytes()).hexdigest()
    _stat_cache(repo).write_bytes(damage(_stat_cache(repo).read_bytes()))
    assert cli("data", "status", cwd=repo.root).code == 0
    assert cli("data", "remove", "a", cwd=repo.root).code == 0
    result = cli("data", "add", "data/a.jsonl", cwd=repo.root)
    assert result.code == 0, result
    assert f"sha256: {real}" in (repo.root / "gittrain.lock").read_text()
    assert cli("data", "status", cwd=repo.root).code == 0
    assert _stat_cache(repo).read_bytes().endswith(bytes.fromhex(real))


@pytest.mark.parametrize(
    "junk",
    [
        DEEP,
        b'{"version": 1, "entries": {"data/a.jsonl": ["1", "2", "3", "4", "5", "6"]}}',
        b"gittrain-statcache\n" + b"\xff" * 200,
        b"\xff\xfe",
    ],
    ids=["deep", "json-v1", "magic-then-junk", "binary"],
)
def test_a_damaged_stat_cache_is_rebuilt(repo: Repo, cli: Cli, locked: Path, junk: bytes) -> None:
    _stat_cache(repo).write_bytes(junk)
    assert cli("data", "status", cwd=repo.root).code == 0
    assert cli("data", "update", cwd=repo.root).code == 0
    assert _stat_cache(repo).read_bytes().startswith(b"gittrain-statcache\n")


@pytest.mark.parametrize(
    "damage",
    ["deep", "metric-string", "status-number", "datasets-list", "checkpoint-types", "lock-names"],
)
def test_a_damaged_history_cache_is_rebuilt(repo: Repo, cli: Cli, damage: str) -> None:
    for name in ("j1", "j2"):
        repo.write(f"jobs/{name}.yaml", JOB.format(name=name))
        repo.commit(name)
    expected = cli("experience", "best", "--recipe", "grpo_basic", "--metric", "acc", cwd=repo.root)
    assert expected.code == 0, expected
    path = repo.root / ".git/gittrain/history-cache.json"
    head = repo.root / ".git/gittrain/history-head.json"
    data = json.loads(path.read_text())
    saved = json.loads(head.read_text())
    for entry in [*data["blobs"].values(), *saved["pinned"].values()]:
        if damage == "metric-string" and entry.get("k") == "job":
            entry["metrics"] = {"acc": "0.99"}
        elif damage == "status-number" and entry.get("k") == "job":
            entry["status"] = 7
        elif damage == "datasets-list" and entry.get("k") == "job":
            entry["datasets"] = {"train": ["a"]}
        elif damage == "lock-names" and entry.get("k") == "lock":
            entry["names"] = {"a": 5}
    if damage == "checkpoint-types":
        for row in saved["checkpoint"]["runs"]:
            row[7] = [[1, 2, {"x": 1}, [3]]]
        saved["checkpoint"]["lock"] = {"not": "a blob"}
    path.write_bytes(DEEP if damage == "deep" else json.dumps(data).encode())
    head.write_bytes(DEEP if damage == "deep" else json.dumps(saved).encode())
    again = cli("experience", "best", "--recipe", "grpo_basic", "--metric", "acc", cwd=repo.root)
    assert (again.code, again.out, again.err) == (expected.code, expected.out, expected.err)


def test_the_writer_refuses_a_lockfile_it_could_not_read_back(repo: Repo, locked: Path) -> None:
    before = (repo.root / "gittrain.lock").read_bytes()
    entry = lockstore.read(repo.root, "gittrain.lock").datasets["a"]
    bad_entries = [
        entry._replace(name="b", sha256="not-a-sha"),
        entry._replace(name="b", tags=(5,)),  # type: ignore[arg-type]
        entry._replace(name="b", path="../outside.jsonl"),
        entry._replace(name="b", size=-1),
    ]
    for bad in bad_entries:
        with pytest.raises(
            GittrainError, match=r"^gittrain.lock: the new lockfile would be invalid"
        ):
            lockstore.modify(repo.root, "gittrain.lock", lambda lock, e=bad: lock.with_entry(e))
        assert (repo.root / "gittrain.lock").read_bytes() == before


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda root: gittrain.snapshot_dataset("data/a.jsonl", root=root, tags=[5]), "tags"),
        (lambda root: gittrain.snapshot_dataset("data/a.jsonl", root=root, tags="t"), "tags"),
        (lambda root: gittrain.snapshot_dataset("data/a.jsonl", 5, root=root), "name"),
        (lambda root: gittrain.snapshot_dataset("data/a.jsonl", root=root, description=1), "desc"),
        (lambda root: gittrain.snapshot_dataset(5, root=root), "path"),
        (lambda root: gittrain.snapshot_dataset("data/a.jsonl", root=5), "root"),
        (lambda root: gittrain.verify_dataset(None, root=root), "name_or_path"),
        (lambda root: gittrain.record_result(5, status="failed", root=root), "job"),
        (lambda root: gittrain.record_result("j", status=1, root=root), "status"),
        (lambda root: gittrain.record_result("j", status="failed", metrics=[1], root=root), "met"),
        (
            lambda root: gittrain.record_result("j", status="failed", metrics={1: 2}, root=root),
            "met",
        ),
        (lambda root: gittrain.record_result("j", status="failed", notes=3, root=root), "notes"),
    ],
)
def test_bad_api_arguments_are_clear_errors(
    repo: Repo, locked: Path, call: object, needle: str
) -> None:
    repo.write("jobs/j.yaml", JOB.format(name="j"))
    before = (repo.root / "gittrain.lock").read_bytes()
    assert callable(call)
    with pytest.raises(GittrainError, match=needle) as info:
        call(repo.root)
    assert info.value.code == 2
    assert (repo.root / "gittrain.lock").read_bytes() == before
    assert (repo.root / "jobs/j.yaml").read_text() == JOB.format(name="j")


def test_stale_temp_cleanup_touches_only_gittrains_own_temp_names(tmp_path: Path) -> None:
    from gittrain.core.atomic import atomic_write, remove_stale_temps

    keep = [".bashrc.old.tmp", ".*.notes.tmp", ".x.lock.my-backup.tmp", ".x.lock.abcdefgh.txt"]
    for name in keep:
        (tmp_path / name).write_text("mine\n")
    stale = tmp_path / ".x.lock.k3j_9q2z.tmp"  # what a writer killed mid-write leaves
    stale.write_text("half\n")
    for target in (tmp_path / "*", tmp_path / "x.lock", tmp_path / "[.]*"):
        remove_stale_temps(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    atomic_write(tmp_path / "x.lock", b"v\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, "x.lock"])


# ------------------------------------------------ .gittrain.yaml globs are untrusted too (11.3)

STARS = ".".join(["**"] * 12)
DEPTH = 18  # config.k0...k17: a 19-deep key


def _deep_job(value: int) -> str:
    lines = ["name: deep", "recipe: grpo_basic", "num_gpus: 8", "config:", "  algorithm: grpo"]
    lines += [f"{'  ' * (i + 1)}k{i}:" for i in range(DEPTH)]
    lines[-1] += f" {value}"
    return "\n".join(lines) + "\n"


def test_many_double_stars_against_a_deep_key_finish_quickly(repo: Repo) -> None:
    """The old matcher tried every split of ``**``: minutes for a dozen of them on a 19-deep key.

    Every place a commit or a diff classifies a change goes through the real tool with a
    timeout far above the linear matcher's time and far below the old one's.
    """
    import os
    import signal
    import subprocess

    from hookhelp import env_with_path, run

    repo.write(
        ".gittrain.yaml",
        "version: 1\n"
        f"config_dirs: ['{'*a' * 12}*b', configs]\n"
        f"dialects: {{'{'**/' * 12}zz.yaml': trl}}\n"
        "diff:\n"
        "  rules:\n"
        f"    - {{match: 'z*.{STARS}', tier: critical}}\n"  # the leading glob never matches
        f"    - {{match: '{STARS}.k1{'.**' * 12}.k17', tier: important}}\n",
    )
    repo.write("jobs/deep.yaml", _deep_job(1))
    repo.commit("base")
    assert run(["git-train", "install", "--hooks", "--diff"], repo.root).returncode == 0
    repo.write("jobs/deep.yaml", _deep_job(2))
    repo.git("add", "jobs/deep.yaml")

    def timed(argv: list[str]) -> subprocess.CompletedProcess[str]:
        # Its own process group, so a timeout also stops the textconv driver git started.
        with subprocess.Popen(
            argv,
            cwd=repo.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_with_path(),
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    diff = timed(["git", "diff", "--cached", "--no-color"])
    assert diff.returncode == 0, diff.stderr
    deep = "config." + ".".join(f"k{i}" for i in range(DEPTH))
    assert f"+{deep} = 2  # important\n" in diff.stdout
    ours = timed(["git-train", "diff", "--cached", "--format", "json"])
    assert ours.returncode == 0, ours.stderr
    assert '"important"' in ours.stdout
    proc = timed(["git", "commit", "-q", "-m", "Deeper"])  # prepare-commit-msg classifies it
    assert proc.returncode == 0, proc.stderr
    message = repo.git("log", "-1", "--format=%B")
    assert f"jobs/deep.yaml: {deep} 1 → 2 (×2, +100%) [important]" in message
    log = timed(["git", "log", "-p", "--no-color", "-n", "2"])
    assert log.returncode == 0 and f"-{deep} = 1  # important" in log.stdout


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("*a" * 30 + "*b", "a" * 200),
        ("**/" * 30 + "zz.yaml", "/".join(["a"] * 60) + "/y.yaml"),
        ("[!b]*" * 30 + "c", "a" * 200),
    ],
)
def test_path_globs_from_settings_do_not_backtrack(pattern: str, text: str) -> None:
    """``config_dirs`` and ``dialects:`` globs are fnmatch: Python 3.9+ compiles them without
    backtracking; this keeps it so should the matcher ever be hand-written."""
    import signal

    from gittrain.core.dialects.detect import named
    from gittrain.core.dialects.vocabulary import shipped
    from gittrain.core.settings import Settings, under

    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError(pattern)

    old = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(20)
    try:
        assert not under(text, pattern)
        assert named(shipped(), text, {pattern: "trl"}, ".gittrain.yaml") is None
        assert not under(text, Settings(config_dirs=(pattern,)).config_dirs[0])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
