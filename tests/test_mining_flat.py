"""Mining that stays linear (issue 14): git walks without a pathspec, answers are kept.

The walk's entries must be exactly those of ``git log --first-parent --raw -M -- jobs
LOCKFILE`` (renames, deletions, merges, paths outside); the answer cache must give the
cold answer or none at all, whatever its file holds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Cli, Repo
from test_experience import LOCK, job

from gittrain.adapters import gitrepo
from gittrain.core import settings
from gittrain.core.runs.history import IdeaReader
from gittrain.core.runs.historycache import ANSWERS_KEPT, BlobCache
from gittrain.core.runs.mining import _Entries, _log, _plain

ANSWERS = ".git/gittrain/answers"


Changes = list[tuple[str, tuple[gitrepo.RawEntry, ...]]]


def _entries_as_git_logs(
    repo: Repo, jobs_dir: str = "jobs", lockfile: str = "gittrain.lock"
) -> tuple[Changes, Changes]:
    """The walk's commits and entries, and those of the pathspec-limited ``git log -M``."""
    head = repo.git("rev-parse", "HEAD").strip()
    conf = settings.Settings()
    with gitrepo.CatFile(repo.root) as cat:
        entries = _Entries(BlobCache(None), cat, IdeaReader(conf))
        ours = _log(repo.root, [head], entries, lockfile, jobs_dir)
    theirs = list(
        gitrepo.iter_log(
            repo.root,
            [head],
            [jobs_dir, lockfile],
            raw=True,
            renames=True,
            extra=["--first-parent"],
        )
    )
    theirs.reverse()
    return [(c.sha, c.changes) for c in ours], [(c.sha, c.changes) for c in theirs]


def _tricky_history(repo: Repo) -> None:
    body = "".join(f"  key_{i}: {i}\n" for i in range(30))  # similar enough to be renames
    repo.write("jobs/a.yaml", job("a", "pending", extra=body))
    repo.write("jobs/b.yaml", job("b", "completed", extra=body))
    repo.write("gittrain.lock", LOCK.format(sha="1" * 64))
    repo.write("src/train.py", "print('hi')\n")
    repo.commit("start")
    repo.git("mv", "jobs/a.yaml", "jobs/a2.yaml")  # a rename inside jobs/
    repo.commit("rename inside")
    (repo.root / "archive").mkdir()
    repo.git("mv", "jobs/b.yaml", "archive/b.yaml")  # out of jobs/: a deletion there
    repo.commit("archive")
    repo.git("mv", "archive/b.yaml", "jobs/b-again.yaml")  # back in: an addition there
    repo.commit("restore")
    # A deletion and an unrelated addition in one commit, beside a rename outside jobs/.
    repo.git("rm", "-q", "jobs/a2.yaml")
    repo.write("jobs/c.yaml", job("c", "failed"))
    repo.git("mv", "src/train.py", "src/train2.py")
    repo.commit("delete and add")
    repo.git("mv", "gittrain.lock", "jobs/gittrain.lock")  # the lockfile moves into jobs/
    repo.commit("lock moved")
    repo.write("jobs/nested/deep.yaml", job("deep", "completed"))
    repo.write("jobs/with space ü.yaml", job("space", "completed"))
    repo.commit("odd names")
    repo.git("checkout", "-q", "-b", "side")
    repo.git("mv", "jobs/c.yaml", "jobs/c-side.yaml")
    repo.write("jobs/side.yaml", job("side", "completed"))
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("jobs/main.yaml", job("main", "running"))
    repo.commit("main moves on")
    repo.git("merge", "-q", "--no-ff", "side", "-m", "merge side")
    repo.write("notes.txt", "no job here\n")
    repo.commit("unrelated")


def test_the_walk_sees_what_a_pathspec_limited_git_log_shows(repo: Repo) -> None:
    _tricky_history(repo)
    ours, theirs = _entries_as_git_logs(repo)
    assert ours == theirs
    assert any(c.status == "R" for _, changes in ours for c in changes)  # renames were found


def test_a_pathspec_with_glob_characters_is_left_to_git(repo: Repo) -> None:
    repo.write("jobs/a.yaml", job("a", "completed"))
    repo.write("jobs-x/b.yaml", job("b", "completed"))
    repo.commit("two dirs")
    assert not _plain("job*") and not _plain("./jobs") and not _plain("a//b")
    assert _plain("jobs") and _plain("team/jobs")
    ours, theirs = _entries_as_git_logs(repo, jobs_dir="job*")
    assert ours == theirs
    assert {c.new_path for _, changes in ours for c in changes} == {"jobs/a.yaml", "jobs-x/b.yaml"}


def test_cat_file_batches_answer_in_order_without_blocking(repo: Repo) -> None:
    big = [repo.write(f"big/{i}.bin", bytes([i]) * 200_000) for i in range(40)]
    repo.commit("big blobs")
    head = repo.git("rev-parse", "HEAD").strip()
    specs = [f"{head}:big/{i}.bin" for i in range(40)]
    specs[3] = f"{head}:big/missing.bin"
    specs[5] = "bad\nspec"
    with gitrepo.CatFile(repo.root) as cat:
        got = cat.read_many(specs * 3)
        assert cat.read(f"{head}:big/1.bin") == big[1].read_bytes()
    for i, found in enumerate(got):
        n = i % 40
        assert found == (None if n in (3, 5) else big[n].read_bytes())


def _recommend(cli: Cli, cwd: Path, *args: str) -> tuple[int, str, str]:
    result = cli("experience", "recommend", *args, cwd=cwd)
    return result.code, result.out, result.err


def _finished_runs(repo: Repo) -> None:
    for i in range(4):
        status = "completed" if i % 2 else "failed"
        repo.write(f"jobs/j{i}.yaml", job(f"j{i}", status, metrics="acc: 0.5", lr=1e-6 * (i + 1)))
        repo.commit(f"j{i}")
    repo.write("jobs/bad.yaml", "name: [unclosed\n")
    repo.commit("unreadable")


def _answer_files(repo: Repo) -> list[Path]:
    return sorted((repo.root / ANSWERS).glob("*.json"))


def test_an_answer_is_kept_and_given_again_for_the_same_head(repo: Repo, cli: Cli) -> None:
    _finished_runs(repo)
    cold = _recommend(cli, repo.root)
    assert cold[0] == 0 and "skipped 1 job version" in cold[2]
    assert len(_answer_files(repo)) == 1
    # The history caches are gone: the kept answer alone gives the same output.
    for name in ("history-cache.json", "history-head.json"):
        (repo.root / ".git/gittrain" / name).unlink()
    assert _recommend(cli, repo.root) == cold
    assert not (repo.root / ".git/gittrain/history-head.json").exists()  # nothing was mined
    as_json = _recommend(cli, repo.root, "--format", "json")
    assert json.loads(as_json[1])["runs_mined"] == 4


def test_only_the_newest_answers_are_kept(repo: Repo, cli: Cli) -> None:
    _finished_runs(repo)
    (repo.root / ANSWERS).mkdir(parents=True)
    stranger = repo.root / ANSWERS / "not-an-answer.txt"
    stranger.write_text("left alone")
    for limit in range(1, ANSWERS_KEPT + 5):
        assert _recommend(cli, repo.root, "--limit", str(limit))[0] == 0
    assert len(_answer_files(repo)) == ANSWERS_KEPT
    assert stranger.read_text() == "left alone"


def test_a_new_head_new_settings_or_recipes_ask_again(repo: Repo, cli: Cli) -> None:
    _finished_runs(repo)
    before = _recommend(cli, repo.root)
    repo.write("jobs/j9.yaml", job("j9", "completed", metrics="acc: 0.9"))
    repo.commit("one more run")
    after = _recommend(cli, repo.root)
    assert after != before and "5 runs" in after[1]
    # Settings are part of the key: a jobs directory elsewhere has no runs.
    repo.write(".gittrain.yaml", "jobs_dir: elsewhere\n")
    assert "no recipe has finished runs" in _recommend(cli, repo.root)[1]
    repo.write(".gittrain.yaml", "jobs_dir: jobs\n")
    assert _recommend(cli, repo.root)[1] == after[1]
    # The registry is part of a filtered question's key: a team recipe of another task type.
    filtered = _recommend(cli, repo.root, "--task-type", "grpo")
    assert "grpo_basic" in filtered[1]
    builtin = Path(__file__).resolve().parents[1] / "recipes" / "grpo_basic.yaml"
    text = builtin.read_text(encoding="utf-8")
    assert "task_type: grpo\n" in text
    repo.write("recipes/grpo_basic.yaml", text.replace("task_type: grpo\n", "task_type: chat\n"))
    assert "grpo_basic" not in _recommend(cli, repo.root, "--task-type", "grpo")[1]


HOSTILE: list[bytes | dict[str, object] | str] = [
    b"",
    b"{",
    b'{"format": 2, "gittrain": "0.0.0-other", "answer": {}}',
    b'{"format": 999}',
    b"[1, 2]",
    b"[" * 100_000,
    b"\xff\xfe not utf-8",
    {"answer": []},
    {"answer": None},
    "truncated",
    "every value",
]


def _spoiled(value: dict[str, object]) -> list[object]:
    """The kept answer with wrong types, shapes, counts or HEAD: each must be refused."""
    return [
        {**value, "runs": -1},
        {**value, "runs": "4"},
        {**value, "head": "0" * 40, "recipes": [], "buckets": []},  # another HEAD's answer
        {**value, "recipes": [["r", 1, 1, 0, 0, None, None]]},
        {**value, "recipes": [["r", 1, 1, 0, 0, [1.0, "x", []], None, []]]},
        {**value, "recipes": {"r": 1}},
        {**value, "buckets": [["b", True, []]]},
        {**value, "skipped": [[1, 2, 3]]},
        {**value, "extra": 1},
        [value],
    ]


@pytest.mark.parametrize("how", HOSTILE, ids=lambda h: repr(h)[:30])
def test_a_corrupt_foreign_or_hostile_answer_file_is_ignored(
    repo: Repo, cli: Cli, how: bytes | dict[str, object] | str
) -> None:
    _finished_runs(repo)
    cold = _recommend(cli, repo.root)
    [answer] = _answer_files(repo)
    data = json.loads(answer.read_bytes())
    if how == "truncated":
        how = answer.read_bytes()[: answer.stat().st_size // 2]
    if how == "every value":
        for variant in _spoiled(data["answer"]):  # one at a time, in the real answer's file
            answer.write_text(json.dumps({**data, "answer": variant}))
            assert _recommend(cli, repo.root) == cold
        return
    if not isinstance(how, bytes):
        assert isinstance(how, dict)
        how = json.dumps({**data, **how}).encode()
    answer.write_bytes(how)
    assert _recommend(cli, repo.root) == cold
    assert _recommend(cli, repo.root) == cold  # and it was written again, readable
    assert json.loads(answer.read_bytes())["format"] == 2


def test_an_answer_that_cannot_be_read_or_written_costs_only_speed(repo: Repo, cli: Cli) -> None:
    _finished_runs(repo)
    cold = _recommend(cli, repo.root)
    [answer] = _answer_files(repo)
    answer.unlink()
    answer.mkdir()  # neither readable as a file nor replaceable by one
    assert _recommend(cli, repo.root) == cold
    assert answer.is_dir()
    # The whole directory is a file: nothing can be kept, the answer is the same.
    answer.rmdir()
    shutil.rmtree(repo.root / ANSWERS)
    (repo.root / ANSWERS).write_text("not a directory")
    assert _recommend(cli, repo.root) == cold


def test_commit_and_shallow_in_one_call_agrees_with_the_two(repo: Repo, tmp_path: Path) -> None:
    def two(root: Path, rev: str) -> tuple[str | None, tuple[str, ...]]:
        head = gitrepo.rev_parse(root, rev)
        return head, gitrepo.shallow_boundary(root) if head is not None else ()

    assert gitrepo.commit_and_shallow(repo.root, "HEAD") == (None, ())  # unborn
    for i in range(3):
        repo.write(f"jobs/j{i}.yaml", job(f"j{i}", "completed"))
        repo.commit(f"commit {i}")
    clone = tmp_path / "shallow"
    url = f"file://{repo.root}"
    subprocess.run(["git", "clone", "-q", "--depth", "2", url, str(clone)], check=True)
    for root in (repo.root, clone):
        for rev in ("HEAD", "HEAD~1", "main", ":/commit 1", "nope", "HEAD~9", "-h"):
            assert gitrepo.commit_and_shallow(root, rev) == two(root, rev), (root, rev)
    assert gitrepo.commit_and_shallow(clone, "HEAD")[1]  # the cut is found


def test_the_cache_files_are_what_json_dumps_writes(tmp_path: Path) -> None:
    """``save`` joins texts made when each entry was put; the files must not differ from one
    ``json.dumps`` of the whole payload, for entries put now and entries read back."""
    first = BlobCache.load(tmp_path)
    first.put("a" * 40, {"k": "job", "status": "completed", "config": {"lr": 1e-6, "é": [1]}})
    first.put("b" * 40, {"k": "job", "status": None, "fin": None})
    first.save()
    again = BlobCache.load(tmp_path)
    again.put("c" * 40, {"k": "lock", "names": {"d": "x"}, "paths": {}})
    again.set_checkpoint({"key": {"shallow": []}, "runs": [["a", 1.5, None]]}, ["a" * 40])
    again.save()
    gittrain_dir = tmp_path / "gittrain"
    blobs = json.loads((gittrain_dir / "history-cache.json").read_bytes())
    head = json.loads((gittrain_dir / "history-head.json").read_bytes())
    assert list(blobs["blobs"]) == ["b" * 40, "c" * 40]  # each entry in one file
    assert list(head["pinned"]) == ["a" * 40]
    for name, payload in (("history-cache.json", blobs), ("history-head.json", head)):
        written = (gittrain_dir / name).read_bytes()
        assert written == json.dumps(payload, separators=(",", ":")).encode()


def test_an_entry_json_cannot_write_is_left_out_and_only_parsed_again(tmp_path: Path) -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    cache = BlobCache.load(tmp_path)
    cache.put("a" * 40, {"k": "job", "deep": deep})
    cache.put("b" * 40, {"k": "job", "status": None, "fin": None})
    cache.set_checkpoint({"key": {}}, ["a" * 40, "b" * 40])
    cache.save()
    written = BlobCache.load(tmp_path)
    assert list(written.pinned) == ["b" * 40]
    assert list(written.entries) == []
    cache.set_checkpoint({"key": {}, "deep": deep}, [])
    cache.save()  # a checkpoint json cannot write: the file before it stays
    assert list(BlobCache.load(tmp_path).pinned) == ["b" * 40]


def test_an_entry_no_longer_pinned_goes_back_to_the_other_file(tmp_path: Path) -> None:
    run = {"k": "job", "status": "completed"}
    cache = BlobCache.load(tmp_path)
    cache.put("a" * 40, run)
    cache.put("b" * 40, {"k": "job", "status": None, "fin": None})
    cache.set_checkpoint({"key": 1}, ["a" * 40])
    cache.save()
    later = BlobCache.load(tmp_path)  # a walk of another HEAD pins another run
    later.put("c" * 40, run)
    later.set_checkpoint({"key": 2}, ["c" * 40])
    later.save()
    final = BlobCache.load(tmp_path)
    assert list(final.pinned) == ["c" * 40]
    assert sorted(final.entries) == ["a" * 40, "b" * 40]
    assert final.get("a" * 40) == run


def test_only_what_changed_outside_the_pinned_runs_rewrites_the_entries_file(
    tmp_path: Path,
) -> None:
    cache = BlobCache.load(tmp_path)
    cache.put("a" * 40, {"k": "job", "status": "completed"})
    cache.put("b" * 40, {"k": "job", "status": None, "fin": None})
    cache.set_checkpoint({"key": 1}, ["a" * 40])
    cache.save()
    entries_file = tmp_path / "gittrain" / "history-cache.json"
    before = entries_file.stat()
    # A walk on that finds one more run: only the checkpoint's file changes.
    later = BlobCache.load(tmp_path)
    later.put("c" * 40, {"k": "job", "status": "failed"})
    later.set_checkpoint({"key": 2}, ["a" * 40, "c" * 40])
    later.save()
    assert entries_file.stat().st_ino == before.st_ino
    again = BlobCache.load(tmp_path)
    assert sorted(again.pinned) == ["a" * 40, "c" * 40]
    assert list(again.entries) == ["b" * 40]
    # One more version that is not a run is written beside the others.
    again.put("d" * 40, {"k": "job", "status": "running", "fin": None})
    again.set_checkpoint({"key": 3}, ["a" * 40, "c" * 40])
    again.save()
    assert entries_file.stat().st_ino != before.st_ino
    assert list(BlobCache.load(tmp_path).entries) == ["b" * 40, "d" * 40]


def test_entries_read_back_that_json_cannot_write_are_left_out_one_by_one(
    tmp_path: Path,
) -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    cache = BlobCache.load(tmp_path)
    cache.entries["a" * 40] = {"k": "job", "deep": deep}  # as if read from a file
    cache.entries["b" * 40] = {"k": "job", "status": None, "fin": None}
    cache.put("c" * 40, {"k": "job", "status": "running", "fin": None})
    cache.save()
    assert list(BlobCache.load(tmp_path).entries) == ["b" * 40, "c" * 40]
