"""The Python API, lazy imports, and the git plumbing helpers the history commands use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gittrain
from gittrain.adapters import gitrepo
from gittrain.errors import GittrainError
from tests.conftest import Repo
from tests.datahelp import write_jsonl


def test_import_gittrain_is_light() -> None:
    code = (
        "import sys, gittrain; import gittrain.cli; "
        "print(sorted(m for m in ('pyarrow', 'git', 'yaml', 'jsonschema', 'gittrain.api') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_status_does_not_load_pyarrow(repo: Repo) -> None:
    write_jsonl(repo.root / "d/a.jsonl", 3)
    code = (
        "import sys\nfrom gittrain.commands.data_status import status\n"
        "from gittrain.commands.data_add import add\nfrom pathlib import Path\n"
        f"add(Path({str(repo.root)!r}), 'd/a.jsonl')\n"
        f"r = status(Path({str(repo.root)!r}))\n"
        "print(r.drift, 'pyarrow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_snapshot_and_verify(repo: Repo) -> None:
    path = write_jsonl(repo.root / "data/a.jsonl", 7)
    entry = gittrain.snapshot_dataset("data/a.jsonl", "alpha", root=repo.root, tags=["t"])
    assert (entry.name, entry.num_samples, entry.tags) == ("alpha", 7, ("t",))
    assert gittrain.verify_dataset("alpha", root=repo.root).state.value == "ok"
    assert gittrain.verify_dataset(path, root=repo.root).state.value == "ok"
    write_jsonl(path, 8)
    with pytest.raises(GittrainError, match=r"^data/a.jsonl: dataset 'alpha' is modified"):
        gittrain.verify_dataset("alpha", root=repo.root)
    assert gittrain.verify_dataset("alpha", root=repo.root, strict=False).state.value == "modified"
    with pytest.raises(AttributeError):
        gittrain.no_such_thing  # noqa: B018


def test_api_and_cli_read_paths_from_the_current_directory(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11.11: from a subdirectory, the API and `data add` take the same path."""
    from click.testing import CliRunner

    from gittrain.cli import cli

    write_jsonl(repo.root / "data/a.jsonl", 3)
    write_jsonl(repo.root / "data/b.jsonl", 4)
    (repo.root / "experiments").mkdir()
    monkeypatch.chdir(repo.root / "experiments")
    entry = gittrain.snapshot_dataset("../data/a.jsonl", "a")
    assert (entry.path, entry.num_samples) == ("data/a.jsonl", 3)
    result = CliRunner().invoke(cli, ["data", "add", "../data/b.jsonl", "--name", "b"])
    assert result.exit_code == 0, result.output
    lock = (repo.root / "gittrain.lock").read_text()
    assert "path: data/a.jsonl" in lock and "path: data/b.jsonl" in lock
    assert gittrain.verify_dataset("../data/b.jsonl").state.value == "ok"  # by path, from here
    assert gittrain.verify_dataset("a").state.value == "ok"  # by name, from anywhere
    # `root=` works like `git -C`: relative paths start there.
    write_jsonl(repo.root / "data/c.jsonl", 5)
    assert gittrain.snapshot_dataset("data/c.jsonl", "c", root=repo.root).path == "data/c.jsonl"
    # A path that leaves the repository is refused the same way, exit 2.
    for call in (
        lambda: gittrain.snapshot_dataset("../../elsewhere.jsonl"),
        lambda: gittrain.verify_dataset("../../elsewhere.jsonl"),
    ):
        with pytest.raises(GittrainError, match="outside the repository") as info:
            call()
        assert info.value.code == 2
    cli_outside = CliRunner().invoke(cli, ["data", "add", "../../elsewhere.jsonl"])
    assert cli_outside.exit_code == 2


def test_iter_log_and_catfile(repo: Repo) -> None:
    repo.write("jobs/a.yaml", "a: 1\n")
    repo.write("other.txt", "x\n")
    first = repo.commit("one")
    repo.write("jobs/a.yaml", "a: 2\n")
    repo.write("jobs/b c.yaml", "b: 1\n")
    second = repo.commit("two")
    repo.git("rm", "-q", "jobs/b c.yaml")
    third = repo.commit("three")
    commits = list(gitrepo.iter_log(repo.root, ["HEAD"], ["jobs"], raw=True))
    assert [c.sha for c in commits] == [third, second, first]
    assert [(ch.status, ch.new_path) for ch in commits[1].changes] == [
        ("M", "jobs/a.yaml"),
        ("A", "jobs/b c.yaml"),
    ]
    deleted = commits[0].changes[0]
    assert (deleted.status, deleted.old_path, deleted.new_sha) == (
        "D",
        "jobs/b c.yaml",
        gitrepo.NULL_SHA,
    )
    assert commits[2].parents == () and commits[1].parents == (first,)
    assert commits[0].author == "Test Author"
    with gitrepo.CatFile(repo.root) as cat:
        assert cat.read(commits[1].changes[0].new_sha) == b"a: 2\n"
        assert cat.read(f"{first}:jobs/a.yaml") == b"a: 1\n"
        assert cat.read(f"{third}:jobs/b c.yaml") is None
        assert cat.read("nope\nHEAD") is None
    with pytest.raises(GittrainError):
        list(gitrepo.iter_log(repo.root, ["no-such-rev"]))
