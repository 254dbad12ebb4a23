"""The first-parent walk in two git processes (``iter_log_halves``): the same as one walk.

Every head on a history of renames, deletions, merges and a moved lockfile is walked
with the cut at its middle, so the cut lands on each kind of commit in turn; the
mining walk must still equal git's own pathspec-limited ``log -M``.
"""

from __future__ import annotations

import pytest
from conftest import Repo
from test_experience import job
from test_mining_flat import _entries_as_git_logs, _tricky_history

from gittrain.adapters import gitrepo
from gittrain.errors import GittrainError

FIRST_PARENT = ["--first-parent"]


def _chain(repo: Repo) -> list[str]:
    return repo.git("rev-list", "--first-parent", "HEAD").split()


def _walk(repo: Repo, revs: list[str]) -> list[gitrepo.LogCommit]:
    return list(gitrepo.iter_log_halves(repo.root, revs, raw=True, extra=FIRST_PARENT))


def _one_walk(repo: Repo, revs: list[str]) -> list[gitrepo.LogCommit]:
    return list(gitrepo.iter_log(repo.root, revs, raw=True, extra=FIRST_PARENT))


def test_halves_equal_one_walk_wherever_the_cut_lands(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tricky_history(repo)
    monkeypatch.setattr(gitrepo, "SPLIT_FROM", 2)
    chain = _chain(repo)
    cut_on = set()
    for j, head in enumerate(chain):
        # From ``head`` to the root, and down to each older commit (an incremental walk).
        for k in range(j + 2, len(chain) + 1):
            revs = [head] if k == len(chain) else [head, f"^{chain[k]}"]
            walked = chain[j:k]
            cut_on.add(repo.git("log", "-1", "--format=%s", walked[len(walked) // 2]).strip())
            assert _walk(repo, revs) == _one_walk(repo, revs)
    # The cut fell on the merge, on renames (in, out of and within jobs/), on a
    # deletion beside an addition and on the lockfile's move.
    assert {"merge side", "rename inside", "archive", "delete and add", "lock moved"} <= cut_on


def test_the_split_walk_sees_what_a_pathspec_limited_git_log_shows(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tricky_history(repo)
    monkeypatch.setattr(gitrepo, "SPLIT_FROM", 2)
    chain = _chain(repo)
    for i in range(len(chain) - 1):
        repo.git("reset", "-q", "--hard", chain[i])
        ours, theirs = _entries_as_git_logs(repo)
        assert ours == theirs
        assert len(ours) > 1


def test_a_long_walk_is_split_and_a_short_one_is_not(repo: Repo) -> None:
    for i in range(5):
        repo.write(f"jobs/j{i}.yaml", job(f"j{i}", "completed"))
        repo.commit(f"j{i}")
    head = _chain(repo)[0]
    assert len(_walk(repo, [head])) == 5  # under SPLIT_FROM: one process
    assert _walk(repo, [head]) == _one_walk(repo, [head])


def test_stopping_early_stops_both_processes(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        repo.write(f"jobs/j{i}.yaml", job(f"j{i}", "running"))
        repo.commit(f"j{i}")
    monkeypatch.setattr(gitrepo, "SPLIT_FROM", 2)
    walk = gitrepo.iter_log_halves(repo.root, ["HEAD"], raw=True, extra=FIRST_PARENT)
    first = next(walk)
    walk.close()  # no error for a walk the caller stopped
    assert first.sha == _chain(repo)[0]


def test_an_unknown_revision_is_one_line(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("jobs/a.yaml", job("a", "running"))
    repo.commit("a")
    monkeypatch.setattr(gitrepo, "SPLIT_FROM", 1)
    with pytest.raises(GittrainError) as info:
        _walk(repo, ["0" * 40])
    assert "\n" not in info.value.message
