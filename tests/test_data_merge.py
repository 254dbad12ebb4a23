"""The lockfile merge driver, registered with install_merge and run by a real `git merge`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gittrain.commands.install_merge import install_merge
from gittrain.core.data.lockfile import parse
from tests.conftest import Repo
from tests.datahelp import run, write_jsonl


@pytest.fixture
def merge_repo(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    # The driver must run this checkout's gittrain, whatever `git-train` is on PATH.
    bindir = repo.root.parent / "bin"
    bindir.mkdir()
    shim = bindir / "git-train"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m gittrain "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return repo


def add(repo: Repo, monkeypatch: pytest.MonkeyPatch, rel: str, n: int) -> None:
    write_jsonl(repo.root / rel, n)
    result = run(repo.root, "data", "add", rel, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output


def test_install_merge_is_idempotent(repo: Repo) -> None:
    (repo.root / ".gitattributes").write_text("*.bin binary")
    first = install_merge(repo.root)
    assert (first.config_changed, first.attributes_changed) == (True, True)
    second = install_merge(repo.root)
    assert (second.config_changed, second.attributes_changed) == (False, False)
    assert (repo.root / ".gitattributes").read_text() == (
        "*.bin binary\ngittrain.lock merge=gittrain-lock\n"
    )
    (repo.root / ".gitattributes").write_text("gittrain.lock diff=gittrain merge=gittrain-lock\n")
    assert install_merge(repo.root).attributes_changed is False
    assert repo.git("config", "merge.gittrain-lock.driver").strip() == (
        "git train merge-lock %O %A %B"
    )


def test_both_sides_add_different_datasets(
    merge_repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = merge_repo
    install_merge(repo.root)
    add(repo, monkeypatch, "data/base.jsonl", 3)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    add(repo, monkeypatch, "data/theirs.jsonl", 4)
    repo.commit("theirs")
    repo.git("checkout", "-q", "main")
    add(repo, monkeypatch, "data/ours.jsonl", 5)
    add(repo, monkeypatch, "data/base.jsonl", 6)  # ours also changes base; theirs did not
    repo.commit("ours")
    out = repo.git("merge", "--no-edit", "side")
    assert "CONFLICT" not in out
    lock = parse((repo.root / "gittrain.lock").read_text(), "gittrain.lock")
    assert sorted(lock.datasets) == ["base", "ours", "theirs"]
    assert lock.datasets["base"].num_samples == 6


def test_both_sides_change_one_dataset(merge_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = merge_repo
    install_merge(repo.root)
    add(repo, monkeypatch, "data/d.jsonl", 3)
    add(repo, monkeypatch, "data/keep.jsonl", 3)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    add(repo, monkeypatch, "data/d.jsonl", 4)
    repo.commit("theirs")
    repo.git("checkout", "-q", "main")
    add(repo, monkeypatch, "data/d.jsonl", 5)
    repo.commit("ours")
    repo.git("merge", "--no-edit", "side", check=False)
    assert "gittrain.lock" in repo.git("diff", "--name-only", "--diff-filter=U")
    text = (repo.root / "gittrain.lock").read_text()
    assert text.count("<<<<<<< ours") == 1 and "  keep:\n" in text
    r = run(repo.root, "data", "status", monkeypatch=monkeypatch)
    assert r.exit_code == 1 and "unresolved merge conflict marker" in r.stderr


def test_merge_lock_refuses_an_unknown_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from gittrain.cli import cli

    base, ours, theirs = (tmp_path / n for n in ("o", "a", "b"))
    base.write_text("version: 1\ndatasets: {}\n")
    ours.write_text("version: 1\ndatasets: {}\n")
    theirs.write_text("version: 9\ndatasets: {}\n")
    r = CliRunner().invoke(cli, ["merge-lock", str(base), str(ours), str(theirs)])
    assert r.exit_code == 1
    assert r.stderr.startswith("error: gittrain.lock (theirs):1:1: lockfile version 9")
    assert ours.read_text() == "version: 1\ndatasets: {}\n"


def test_both_sides_add_the_same_bytes_at_different_times(
    merge_repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timestamps are not content: the same dataset locked on both sides merges cleanly."""
    import re

    repo = merge_repo
    install_merge(repo.root)
    add(repo, monkeypatch, "data/base.jsonl", 3)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    add(repo, monkeypatch, "data/new.jsonl", 4)
    lock = repo.root / "gittrain.lock"
    text = re.sub(r"(created_at|modified_at): \S+", r"\1: 2020-01-01T00:00:00Z", lock.read_text())
    lock.write_text(text)  # as if the side branch had locked it years earlier
    repo.commit("theirs")
    repo.git("checkout", "-q", "main")
    add(repo, monkeypatch, "data/new.jsonl", 4)
    repo.commit("ours")
    out = repo.git("merge", "--no-edit", "side")
    assert "CONFLICT" not in out
    merged = parse(lock.read_text(), "gittrain.lock")
    assert merged.datasets["new"].created_at == "2020-01-01T00:00:00Z"  # the earlier one
    assert run(repo.root, "data", "status", monkeypatch=monkeypatch).exit_code == 0


def test_same_content_merges_the_same_whichever_side_is_ours() -> None:
    from gittrain.core.data.lockfile import DatasetEntry, Lockfile
    from gittrain.core.data.lockmerge import merge

    entry = DatasetEntry("d", "data/d.jsonl", "jsonl", "a" * 64, 10, 1)
    early = entry._replace(created_at="2020-01-01T00:00:00Z", modified_at="2020-01-01T00:00:00Z")
    late = entry._replace(created_at="2024-01-01T00:00:00Z", modified_at="2024-01-01T00:00:00Z")
    changed = late._replace(sha256="b" * 64)
    one, two = Lockfile({"d": early}), Lockfile({"d": late})
    assert merge(Lockfile(), one, two) == merge(Lockfile(), two, one)
    assert merge(Lockfile(), one, two).lock.datasets["d"] == early
    assert not merge(Lockfile(), one, two).conflicts
    # A timestamp-only change on one side is no change: the other side's edit wins.
    assert merge(one, two, Lockfile({"d": changed})).lock.datasets["d"] == changed
    assert merge(one, Lockfile({"d": changed}), Lockfile()).conflicts  # changed vs removed
