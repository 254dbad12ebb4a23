"""The work tree root without git (gittrain/adapters/gitdir.py): the plain layout is read
from ``.git``, every other shape is left to git, and both give git's own answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error

from gittrain.adapters import gitdir
from gittrain.cli.rootdir import repo_root
from gittrain.errors import GittrainError


def git_toplevel(cwd: Path) -> str | None:
    """What `git rev-parse --show-toplevel` says from ``cwd`` (None: it refuses)."""
    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def root_here(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> tuple[Path, str]:
    monkeypatch.chdir(cwd)
    return repo_root()


def test_plain_repository_from_its_root_and_below(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = repo.root / "jobs" / "a b" / "c"
    deep.mkdir(parents=True)
    top = str(repo.root.resolve())
    for cwd, prefix in ((repo.root, ""), (deep, "jobs/a b/c")):
        assert gitdir.plain_toplevel(str(cwd.resolve())) == top == git_toplevel(cwd)
        assert root_here(monkeypatch, cwd) == (Path(top), prefix)


def test_harmless_git_variables_keep_the_plain_path(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (
        ("GIT_SSL_CAINFO", "/etc/ssl/certs/ca-certificates.crt"),
        ("GIT_INDEX_FILE", str(repo.root / ".git/index")),
        ("GIT_TRACE", "0"),
    ):
        monkeypatch.setenv(name, value)
    assert gitdir.plain_toplevel(str(repo.root.resolve())) == str(repo.root.resolve())


@pytest.mark.parametrize(
    "name",
    [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_COMMON_DIR",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_CONFIG_PARAMETERS",
        "GIT_OBJECT_DIRECTORY",
        "GIT_SOMETHING_NEW",
    ],
)
def test_other_git_variables_ask_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "x")
    assert gitdir.plain_toplevel(str(repo.root.resolve())) is None


def test_git_dir_set_inside_the_work_tree_gives_gits_answer(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = repo.root / "sub"
    sub.mkdir()
    monkeypatch.setenv("GIT_DIR", str(repo.root / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo.root))
    assert gitdir.plain_toplevel(str(sub.resolve())) is None
    assert root_here(monkeypatch, sub) == (Path(git_toplevel(sub) or ""), "sub")


def test_linked_worktree_is_read_by_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("first")
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", str(linked))
    (linked / "sub").mkdir()
    assert gitdir.plain_toplevel(str((linked / "sub").resolve())) is None
    assert root_here(monkeypatch, linked / "sub") == (linked.resolve(), "sub")
    assert gitdir.git_dir(linked.resolve()) == (repo.root / ".git/worktrees/linked").resolve()


def test_submodule_like_git_file_is_read_by_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A work tree whose ``.git`` is a file naming its git directory elsewhere, inside
    another repository (as a submodule's is): git's answer is the inner work tree."""
    store = tmp_path / "store.git"
    inner = repo.root / "vendor" / "inner"
    inner.mkdir(parents=True)
    subprocess.run(
        ["git", "init", "-q", "--separate-git-dir", str(store), str(inner)],
        check=True,
        capture_output=True,
    )
    assert (inner / ".git").is_file()
    assert gitdir.plain_toplevel(str(inner.resolve())) is None
    assert root_here(monkeypatch, inner) == (inner.resolve(), "")
    assert gitdir.git_dir(inner.resolve()) == store.resolve()


def test_nested_plain_repository_wins_over_the_outer_one(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = repo.root / "inner"
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    (inner / "x").mkdir()
    found = gitdir.plain_toplevel(str((inner / "x").resolve()))
    assert found == str(inner.resolve()) == git_toplevel(inner / "x")


def test_not_a_repository_is_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    if git_toplevel(alone) is not None:
        pytest.skip("tmp_path is inside a git work tree on this machine")
    assert gitdir.plain_toplevel(str(alone.resolve())) is None
    monkeypatch.chdir(alone)
    with pytest.raises(GittrainError) as info:
        repo_root()
    assert (info.value.code, info.value.message) == (
        2,
        f"not inside a git work tree: {alone.resolve()}",
    )
    result = cli("data", "status", cwd=alone)
    assert_one_line_error(result, 2, f"not inside a git work tree: {alone.resolve()}")


def test_inside_the_git_directory_is_the_same_error(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = repo.root / ".git" / "refs"
    assert gitdir.plain_toplevel(str(inside.resolve())) is None
    assert git_toplevel(inside) is None
    monkeypatch.chdir(inside)
    with pytest.raises(GittrainError, match=r"^not inside a git work tree: "):
        repo_root()


def test_a_directory_that_may_itself_be_a_repository_asks_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = repo.root / "mirror.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert gitdir.plain_toplevel(str(bare.resolve())) is None
    assert git_toplevel(bare) is None
    monkeypatch.chdir(bare)
    with pytest.raises(GittrainError, match=r"^not inside a git work tree: "):
        repo_root()


@pytest.mark.parametrize(
    "config",
    [
        "[core]\n\tbare = true\n",
        "[core]\n\tbare\n",
        "[core]\n\tworktree = /somewhere/else\n",
        "[include]\n\tpath = more.config\n",
        '[includeIf "gitdir:/x/"]\n\tpath = more.config\n',
        "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = sha256\n",
        "[core]\n\trepositoryformatversion = 2\n",
    ],
)
def test_configuration_that_could_move_the_work_tree_asks_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    (repo.root / ".git" / "config").write_text(config)
    assert gitdir.plain_toplevel(str(repo.root.resolve())) is None
    expected = git_toplevel(repo.root)
    monkeypatch.chdir(repo.root)
    if expected is None:
        with pytest.raises(GittrainError):
            repo_root()
    else:
        assert repo_root()[0] == Path(expected)


def test_core_worktree_elsewhere_is_gits_answer(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    repo.git("config", "core.worktree", str(elsewhere))
    assert gitdir.plain_toplevel(str(repo.root.resolve())) is None
    # git now says the work tree is elsewhere: the current directory is outside it.
    monkeypatch.chdir(repo.root)
    with pytest.raises(GittrainError, match="outside the work tree"):
        repo_root()


def test_plain_config_variants_keep_the_plain_path(repo: Repo) -> None:
    config = (
        "[core]\n\trepositoryformatversion = 0 ; from git init\n\tfilemode = true\n"
        '\tBare = False\n\tlogallrefupdates = true\n[remote "origin"]\n'
        "\turl = https://example.com/r.git\n"
    )
    (repo.root / ".git" / "config").write_text(config)
    assert gitdir.plain_toplevel(str(repo.root.resolve())) == str(repo.root.resolve())
    (repo.root / ".git" / "config").unlink()
    assert gitdir.plain_toplevel(str(repo.root.resolve())) == str(repo.root.resolve())


def test_an_invalid_git_directory_asks_git(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """git skips a ``.git`` without HEAD, objects/ or refs/ and keeps looking upward: here
    it finds the outer repository, and so does gittrain."""
    inner = repo.root / "inner"
    (inner / ".git").mkdir(parents=True)
    assert gitdir.plain_toplevel(str(inner.resolve())) is None
    assert root_here(monkeypatch, inner) == (repo.root.resolve(), "inner")
    (inner / ".git" / "HEAD").write_text("not a ref\n")
    (inner / ".git" / "objects").mkdir()
    (inner / ".git" / "refs").mkdir()
    assert gitdir.plain_toplevel(str(inner.resolve())) is None
    assert root_here(monkeypatch, inner) == (Path(git_toplevel(inner) or ""), "inner")


def test_a_symlinked_git_directory_asks_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    moved = tmp_path / "moved-git"
    (repo.root / ".git").rename(moved)
    (repo.root / ".git").symlink_to(moved)
    assert gitdir.plain_toplevel(str(repo.root.resolve())) is None
    assert root_here(monkeypatch, repo.root) == (repo.root.resolve(), "")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_repository_someone_else_owns_asks_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git refuses it (dubious ownership) unless safe.directory says otherwise; root
    owning everything is the only way a test can make one."""
    os.chown(repo.root / ".git", 4242, -1)
    assert gitdir.plain_toplevel(str(repo.root.resolve())) is None
    monkeypatch.chdir(repo.root)
    expected = git_toplevel(repo.root)
    if expected is None:
        with pytest.raises(GittrainError, match=r"^not inside a git work tree: "):
            repo_root()
    else:  # a git older than 2.35.2 does not check ownership
        assert repo_root()[0] == Path(expected)


def test_fifo_or_oversized_git_files_ask_git_without_blocking(repo: Repo) -> None:
    """Bad input: a FIFO where HEAD or config belongs is never opened (reading one would
    block), and a config too big to read whole goes to git rather than half-read."""
    top = str(repo.root.resolve())
    config = repo.root / ".git" / "config"
    saved = config.read_bytes()
    config.unlink()
    os.mkfifo(config)
    assert gitdir.plain_toplevel(top) is None
    config.unlink()
    config.write_bytes(saved + b"#" * (1 << 20) + b"\n[core]\n\tworktree = /elsewhere\n")
    assert gitdir.plain_toplevel(top) is None
    config.write_bytes(saved)
    assert gitdir.plain_toplevel(top) == top
    head = repo.root / ".git" / "HEAD"
    head.unlink()
    os.mkfifo(head)
    assert gitdir.plain_toplevel(top) is None
    head.unlink()
    head.write_bytes(b"ref: refs/heads/main\n" + b"x" * 5000)
    assert gitdir.plain_toplevel(top) is None


@pytest.mark.parametrize(
    "head",
    [b"", b"garbage\n", b"ref: heads/main\n", b"0" * 39 + b"\n", b"\xff\xfe\n"],
)
def test_a_head_git_would_not_take_asks_git(repo: Repo, head: bytes) -> None:
    (repo.root / ".git" / "HEAD").write_bytes(head)
    assert gitdir.plain_toplevel(str(repo.root.resolve())) is None


def test_a_detached_head_keeps_the_plain_path(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    sha = repo.commit("first")
    repo.git("checkout", "-q", "--detach", "HEAD")
    assert (repo.root / ".git" / "HEAD").read_text().strip() == sha
    assert gitdir.plain_toplevel(str(repo.root.resolve())) == str(repo.root.resolve())


# Opens a workspace in a fresh process and reports its root and the processes it started.
OPEN = """
import sys
from pathlib import Path

started = []
sys.addaudithook(lambda event, args: started.append(args[1]) if event == "subprocess.Popen" else None)
from gittrain.commands.workspace import open_workspace

print(open_workspace(Path.cwd()).root, started)
"""


def _opened(cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", OPEN], cwd=cwd, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def test_every_command_finds_the_root_as_data_status_does(repo: Repo, tmp_path: Path) -> None:
    """open_workspace (every Click command) reads a plain ``.git`` without running git, and
    asks git for anything else, with git's own answer either way."""
    repo.write("a.txt", "a\n")
    repo.commit("first")
    (repo.root / "sub").mkdir()
    assert _opened(repo.root / "sub") == f"{repo.root.resolve()} []"
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", str(linked))
    root, started = _opened(linked).split(" ", 1)
    assert root == git_toplevel(linked) and "rev-parse" in started
