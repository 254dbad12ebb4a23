"""The first-parent walk in two git processes (``iter_log_halves``): the same as one walk.

Every head on a history of renames, deletions, merges and a moved lockfile is walked
with the cut at its middle, so the cut lands on each kind of commit in turn; the
mining walk must still equal git's own pathspec-limited ``log -M``.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import Repo
from test_experience import job
from test_mining_flat import _entries_as_git_logs, _tricky_history

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.runs.history import JOB_KEYS, IdeaReader
from gittrain.core.runs.historycache import BlobCache
from gittrain.core.runs.mining import _Entries, mine
from gittrain.errors import GittrainError

FIRST_PARENT = ["--first-parent"]


def _chain(repo: Repo) -> list[str]:
    return repo.git("rev-list", "--first-parent", "HEAD").split()


def _walk(repo: Repo, revs: list[str]) -> list[gitrepo.LogCommit]:
    """The newer half, then the older: however they arrived, one walk's list."""
    halves: tuple[list[gitrepo.LogCommit], list[gitrepo.LogCommit]] = ([], [])
    for part, commit in gitrepo.iter_log_halves(repo.root, revs, raw=True, extra=FIRST_PARENT):
        halves[part].append(commit)
    return halves[0] + halves[1]


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
    part, first = next(walk)
    walk.close()  # no error for a walk the caller stopped
    assert first.sha == _chain(repo)[0 if part == 0 else 3]  # either half's newest


def test_an_unknown_revision_is_one_line(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("jobs/a.yaml", job("a", "running"))
    repo.commit("a")
    monkeypatch.setattr(gitrepo, "SPLIT_FROM", 1)
    with pytest.raises(GittrainError) as info:
        _walk(repo, ["0" * 40])
    assert "\n" not in info.value.message


TRL = "learning_rate: {lr}\nper_device_train_batch_size: 4\nnum_generations: 8\n"
FILE_JOB = "name: a\nrecipe: grpo_basic\nconfig_file: configs/t.yaml\n"


def _reverted_file_job(repo: Repo) -> tuple[str, str, str]:
    """A config_file job whose finished version comes back after its trainer file changed:
    its blob, and the older and the newer commit showing it."""
    repo.write("configs/t.yaml", TRL.format(lr="1.0e-6"))
    repo.write("jobs/a.yaml", FILE_JOB + "result: {status: completed}\n")
    older = repo.commit("a done")
    repo.write("configs/t.yaml", TRL.format(lr="2.0e-6"))
    repo.commit("new settings")
    repo.write("jobs/a.yaml", FILE_JOB + "result: {status: running}\n")
    repo.commit("a again")
    repo.write("jobs/a.yaml", FILE_JOB + "result: {status: completed}\n")
    newer = repo.commit("a done again")
    blob = repo.git("rev-parse", f"{newer}:jobs/a.yaml").strip()
    assert blob == repo.git("rev-parse", f"{older}:jobs/a.yaml").strip()
    return blob, older, newer


@pytest.mark.parametrize("flush_between", [False, True])
def test_a_blob_seen_first_in_the_older_half_is_read_from_the_newer_commit(
    repo: Repo, flush_between: bool
) -> None:
    blob, older, newer = _reverted_file_job(repo)
    conf = settings.Settings()
    found = []
    for order in ([(older, 1), (newer, 0)], [(newer, 0), (older, 1)]):
        with gitrepo.CatFile(repo.root) as cat:
            entries = _Entries(BlobCache(None), cat, IdeaReader(conf))
            for commit, part in order:
                entries.see(blob, JOB_KEYS, commit, part)
                if flush_between:
                    entries.flush()
            entries.flush()
            found.append(entries.get(blob))
    assert found[0] == found[1]
    assert found[0]["ideas"]["v"]["learning_rate"] == 2.0e-6  # as the newer commit holds it


def test_mining_split_or_not_gives_the_same_history(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reverted_file_job(repo)
    _tricky_history(repo)
    conf = settings.Settings()
    one = mine(repo.root, conf)
    for _ in range(5):  # the halves interleave as git writes them: any order must do
        shutil.rmtree(repo.root / ".git/gittrain")
        monkeypatch.setattr(gitrepo, "SPLIT_FROM", 2)
        assert mine(repo.root, conf) == one
    assert any(r.version.config_file for r in one.runs)
