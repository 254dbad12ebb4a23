"""The parsed-document cache the commit hooks share (issue 14.4): a commit tried again, and
prepare-commit-msg after pre-commit, take the strict parses of the same texts from
.git/gittrain/docs.json and say exactly what a parse would; a cache file that is corrupt,
truncated, foreign, from another version or hostile is ignored and rewritten, never an
error, never a traceback and never a wrong answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Repo
from hookhelp import BAD_JOB, GOOD_JOB, env_with_path, run

from gittrain import __version__
from gittrain.adapters import yamlio
from gittrain.core import doccache
from gittrain.core.doccache import DocCache
from gittrain.core.recipes import builtin_files
from gittrain.core.resources import data_dir
from gittrain.document import identical

BAD = BAD_JOB.format(name="a", dataset="data/x.jsonl")
# A retry that fixes nothing, on a job whose problems point at lines 10 and 6.
EXPECTED_CODE = 1


def _cache(repo: Repo) -> Path:
    return repo.root / ".git" / "gittrain" / doccache.FILE


def _hook(repo: Repo) -> tuple[int, str, str]:
    """The pre-commit hook as git runs it, at the top of the work tree with the index given."""
    env = env_with_path(extra={"GIT_INDEX_FILE": str(repo.root / ".git" / "index")})
    proc = run(["git-train", "hook", "pre-commit"], repo.root, env)
    return proc.returncode, proc.stdout, proc.stderr


def _reference(repo: Repo) -> tuple[int, str, str]:
    """What the hook says with no cache (the cache it leaves is removed)."""
    _cache(repo).unlink(missing_ok=True)
    found = _hook(repo)
    _cache(repo).unlink(missing_ok=True)
    return found


@pytest.fixture
def staged(repo: Repo) -> Repo:
    """A bad job (two errors, with lines and columns) and a good one, staged."""
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert run(["git-train", "data", "add", "data/x.jsonl"], repo.root).returncode == 0
    repo.write("jobs/a.yaml", BAD)
    repo.write("jobs/b.yaml", GOOD_JOB.format(name="b", dataset="data/x.jsonl"))
    repo.git("add", "-A")
    return repo


def _entries(repo: Repo) -> dict[str, object]:
    doc = json.loads(_cache(repo).read_text(encoding="ascii"))
    assert (doc["format"], doc["version"], doc["gittrain"]) == (
        doccache.FORMAT,
        doccache.VERSION,
        __version__,
    )
    entries = doc["entries"]
    assert isinstance(entries, dict)
    return entries


def test_a_retried_commit_says_the_same_from_the_cache(staged: Repo) -> None:
    reference = _reference(staged)
    assert reference[0] == EXPECTED_CODE and "jobs/a.yaml:10:3: error" in reference[1]
    first = _hook(staged)
    entries = _entries(staged)
    assert BAD in entries  # keyed by the whole staged text
    assert _hook(staged) == first == reference


def test_a_warm_hook_does_not_load_pyyaml(staged: Repo) -> None:
    code = (
        "import sys\n"
        "from gittrain.cli import main\n"
        "try:\n"
        "    main(['hook', 'pre-commit'])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "print('yaml' in sys.modules)\n"
    )
    env = env_with_path(extra={"GIT_INDEX_FILE": str(staged.root / ".git" / "index")})
    cold = run([sys.executable, "-c", code], staged.root, env)
    assert cold.stdout.splitlines()[-2:] == ["exit 1", "True"], cold.stderr
    warm = run([sys.executable, "-c", code], staged.root, env)
    assert warm.stdout.splitlines()[-2:] == ["exit 1", "False"], warm.stderr
    assert warm.stdout.splitlines()[:-1] == cold.stdout.splitlines()[:-1]


def test_a_changed_job_is_never_served_stale(staged: Repo) -> None:
    _hook(staged)
    fixed = BAD.replace("rollout_n: 1", "rollout_n: 8")
    staged.write("jobs/a.yaml", fixed)
    staged.git("add", "jobs/a.yaml")
    now = _hook(staged)
    assert now == _reference(staged)
    assert "rollout-n" not in now[1]
    # Moved down two lines: the marks come from the new text, not the old entry.
    staged.write("jobs/a.yaml", "# one\n# two\n" + BAD)
    staged.git("add", "jobs/a.yaml")
    _hook(staged)
    moved = _hook(staged)
    assert "jobs/a.yaml:12:3: error" in moved[1]
    assert moved == _reference(staged)


def _hostile_entry(text: str, value: object) -> dict[str, object]:
    return {
        "format": doccache.FORMAT,
        "version": doccache.VERSION,
        "gittrain": __version__,
        "entries": {text: value},
    }


def _good_entry(data: object, paths: object, places: object) -> str:
    return json.dumps([data, paths, places])


# Each case: the bytes put in .git/gittrain/docs.json before the hook runs.
BAD_CACHES: dict[str, bytes] = {
    "garbage": b"\x00\xffnot json at all",
    "empty": b"",
    "truncated": b'{"format": "gittrain-doccache", "version": 1, "entries": {"a',
    "not an object": b"[1, 2, 3]",
    "foreign format": json.dumps({"format": "other", "version": 1, "entries": {}}).encode(),
    "other version": json.dumps(
        {"format": doccache.FORMAT, "version": 99, "gittrain": __version__, "entries": {}}
    ).encode(),
    "version as a string": json.dumps(
        {"format": doccache.FORMAT, "version": "1", "gittrain": __version__, "entries": {}}
    ).encode(),
    "other gittrain": json.dumps(
        {"format": doccache.FORMAT, "version": 1, "gittrain": "0.0.0-old", "entries": {}}
    ).encode(),
    "entries a list": json.dumps(_hostile_entry(BAD, 0) | {"entries": []}).encode(),
    "entry not a string": json.dumps(_hostile_entry(BAD, [{"name": "a"}, []])).encode(),
    "entry not JSON": json.dumps(_hostile_entry(BAD, "[{")).encode(),
    "entry with NaN": json.dumps(_hostile_entry(BAD, '[{"a": NaN}, []]')).encode(),
    "entry of four": json.dumps(_hostile_entry(BAD, "[{}, [], [], 1]")).encode(),
    "data a list": json.dumps(_hostile_entry(BAD, _good_entry([1], [], []))).encode(),
    "paths not a list": json.dumps(_hostile_entry(BAD, _good_entry({}, {"a": 1}, []))).encode(),
    "places not a list": json.dumps(_hostile_entry(BAD, _good_entry({}, [], {"a": 1}))).encode(),
    "places too short": json.dumps(_hostile_entry(BAD, _good_entry({}, [["a"]], [1]))).encode(),
    "line a bool": json.dumps(_hostile_entry(BAD, _good_entry({}, [["a"]], [True, 1]))).encode(),
    "line a float": json.dumps(_hostile_entry(BAD, _good_entry({}, [["a"]], [1.0, 1]))).encode(),
    "path not a list": json.dumps(_hostile_entry(BAD, _good_entry({}, ["a"], [1, 1]))).encode(),
    "path part a float": json.dumps(_hostile_entry(BAD, _good_entry({}, [[1.5]], [1, 1]))).encode(),
    "path part a bool": json.dumps(_hostile_entry(BAD, _good_entry({}, [[True]], [1, 1]))).encode(),
    "previous format": json.dumps(
        {
            "format": doccache.FORMAT,
            "version": 1,
            "gittrain": __version__,
            "entries": {BAD: json.dumps([{"name": "zzz"}, [["name", 1, 1]]])},
        }
    ).encode(),
    "deeply nested": b'{"format": "gittrain-doccache", "entries": ' + b"[" * 100_000,
    "NaN at the top": b'{"format": NaN}',
    # The entry of another text (another version of the job): never used for this one.
    "another text's entry": json.dumps(
        _hostile_entry(
            BAD.replace("rollout_n: 1", "rollout_n: 8"), _good_entry({"name": "zzz"}, [], [])
        )
    ).encode(),
}


@pytest.mark.parametrize("case", sorted(BAD_CACHES))
def test_a_bad_cache_file_is_ignored_and_rewritten(staged: Repo, case: str) -> None:
    reference = _reference(staged)
    _cache(staged).parent.mkdir(parents=True, exist_ok=True)
    _cache(staged).write_bytes(BAD_CACHES[case])
    assert _hook(staged) == reference
    assert BAD in _entries(staged)  # rewritten, and usable
    assert _hook(staged) == reference


def test_a_cache_that_cannot_be_read_or_written_is_only_slower(staged: Repo) -> None:
    reference = _reference(staged)
    _cache(staged).mkdir(parents=True)  # a directory where the file belongs
    assert _hook(staged) == reference
    assert _cache(staged).is_dir() and not list(_cache(staged).parent.glob(".docs.json.*"))
    _cache(staged).rmdir()
    (staged.root / ".git" / "gittrain").chmod(0o500)  # read-only
    try:
        assert _hook(staged) == reference
    finally:
        (staged.root / ".git" / "gittrain").chmod(0o700)


def test_the_message_hook_reads_what_pre_commit_parsed(repo: Repo) -> None:
    """A modified job's two sides: served from the cache, the summary is the same."""
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.commit("a job")
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x").replace("1.0e-6", "2.0e-6"))
    repo.git("add", "-A")
    message = repo.root / "msg"
    env = env_with_path(extra={"GIT_INDEX_FILE": str(repo.root / ".git" / "index")})

    def summary() -> str:
        message.write_text("subject\n")
        proc = run(["git-train", "hook", "prepare-commit-msg", "msg", "message"], repo.root, env)
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        return message.read_text()

    _cache(repo).unlink(missing_ok=True)
    cold = summary()
    assert "jobs/a.yaml: learning rate" in cold or "learning_rate" in cold, cold
    _hook(repo)  # pre-commit leaves the staged side
    assert summary() == cold
    assert summary() == cold  # both sides now come from the cache


def test_the_hooks_work_in_a_linked_worktree(staged: Repo, tmp_path: Path) -> None:
    staged.git("commit", "-q", "-m", "start")  # no hooks yet
    assert run(["git-train", "install", "--hooks"], staged.root).returncode == 0
    other = tmp_path / "linked"
    staged.git("worktree", "add", "-q", str(other))
    linked = Repo(other)
    linked.write("jobs/c.yaml", BAD_JOB.format(name="c", dataset="data/x.jsonl"))
    linked.git("add", "jobs/c.yaml")
    tries = [
        subprocess.run(
            ["git", "-C", str(other), "commit", "-q", "-m", "x"],
            capture_output=True,
            text=True,
            check=False,
            env=env_with_path(),
        )
        for _ in range(2)
    ]
    assert tries[0].returncode == tries[1].returncode == 1
    # git sends a hook's output to its stderr.
    assert tries[0].stderr == tries[1].stderr and "jobs/c.yaml:10:3: error" in tries[0].stderr
    git_dir = Path(linked.git("rev-parse", "--absolute-git-dir").strip())
    assert git_dir != staged.root / ".git"
    assert (git_dir / "gittrain" / doccache.FILE).is_file()


EDGE = """\
floats: [1.0e-6, -0.0, 2.5, 1e300, 5E-7, .5]
ints: [0, -7, 123456789012345678901234567890, 0x1f, 0o17]
words: [yes, no, on, "quoted", 'single', 0012345, "12:30", ~, null, true, FALSE]
escapes: "tab\\there \\u00e9 \\U0001F600 \\x41"
empty: {}
none: []
nested: {a: [{b: [1, {c: ""}]}]}
"unicode ké": ünïcode
"""


@pytest.mark.parametrize("name", ["edge", *[f.id for f in builtin_files()]])
def test_an_entry_reads_back_as_the_very_document(tmp_path: Path, name: str) -> None:
    if name == "edge":
        text = EDGE
    else:
        text = (data_dir("recipes") / f"{name}.yaml").read_text(encoding="utf-8")
    parsed = yamlio.load_text(text, "x.yaml")
    cache = DocCache(tmp_path / "docs.json")
    cache.put(text, parsed)
    cache.save()
    again = DocCache(tmp_path / "docs.json").get(text, "x.yaml")
    assert again is not None
    assert identical(again.data, parsed.data)
    assert again.marks == parsed.marks and list(again.marks) == list(parsed.marks)
    assert again.source == "x.yaml"


def test_outside_a_session_nothing_is_cached(tmp_path: Path) -> None:
    doc = doccache.load_bytes(b"a: 1\n", "x.yaml")
    assert doc == yamlio.load_bytes(b"a: 1\n", "x.yaml")
    with doccache.session(tmp_path):
        doccache.load_bytes(b"a: 1\n", "x.yaml")
        assert not (tmp_path / "gittrain").exists()  # written when the session ends
    assert "a: 1\n" in json.loads((tmp_path / "gittrain" / doccache.FILE).read_text())["entries"]


def test_parse_errors_are_never_cached(tmp_path: Path) -> None:
    broken = b"a: 1\na: 2\n"
    with doccache.session(tmp_path):
        for _ in range(2):
            with pytest.raises(Exception, match="duplicate key 'a'"):
                doccache.load_bytes(broken, "x.yaml")
        with pytest.raises(Exception, match="not valid UTF-8"):
            doccache.load_bytes(b"a: \xff\n", "x.yaml")
        with pytest.raises(Exception, match="top level must be a mapping"):
            doccache.load_bytes(b"- 1\n", "x.yaml")
    assert not (tmp_path / "gittrain" / doccache.FILE).exists()


def test_older_entries_are_kept_up_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doccache, "MAX_KEPT", 200)
    texts = [f"n: {i}\npad: {'x' * 40}\n" for i in range(10)]
    for text in texts:
        with doccache.session(tmp_path):
            doccache.load_text(text, "x.yaml")
    entries = json.loads((tmp_path / "gittrain" / doccache.FILE).read_text())["entries"]
    assert texts[-1] in entries and texts[0] not in entries  # the newest first, bounded
    assert 1 < len(entries) < len(texts)


def test_a_run_too_big_for_the_file_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doccache, "MAX_FILE_BYTES", 100)
    with doccache.session(tmp_path):
        assert doccache.load_text(f"a: {'x' * 200}\n", "x.yaml").data == {"a": "x" * 200}
    assert not (tmp_path / "gittrain" / doccache.FILE).exists()


def test_the_message_is_replaced_whole_with_its_mode(repo: Repo) -> None:
    """The message file is written without `tempfile` or fsync: still whole, same mode."""
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.git("add", "-A")
    message = repo.root / "msg"
    message.write_text("subject\n\n# a comment\n")
    message.chmod(0o640)
    proc = run(["git-train", "hook", "prepare-commit-msg", "msg", "message"], repo.root)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert message.read_text() == (
        "subject\n\nConfig-Changes:\n  jobs/a.yaml: added\n\n# a comment\n"
    )
    assert message.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in repo.root.iterdir() if p.name.startswith(".msg")) == []
