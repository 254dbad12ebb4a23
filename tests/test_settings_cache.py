"""The settings file's parse cache (.git/gittrain/settings.json) is untrusted: it is used only
for the exact text it was made from, and a damaged or foreign entry is ignored and rewritten."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import Repo
from hookhelp import run

from gittrain import __version__
from gittrain.adapters import yamlio
from gittrain.core import settings, settingscache
from gittrain.errors import GittrainError

TEXT = "# settings\nversion: 1\njobs_dir: runs\nconfig_dirs: [configs, more]\nlockfile: data.lock\n"


def _cache(repo: Repo) -> Path:
    return repo.root / ".git/gittrain/settings.json"


def _fresh(repo: Repo) -> settings.Settings:
    return settings.from_doc(yamlio.load_file(repo.root / ".gittrain.yaml", ".gittrain.yaml"))


def test_the_cached_parse_is_the_parse(repo: Repo) -> None:
    repo.write(".gittrain.yaml", TEXT)
    first = settings.load(repo.root)
    entry = json.loads(_cache(repo).read_text())
    assert (entry["format"], entry["gittrain"], entry["text"]) == (1, __version__, TEXT)
    again = settings.load(repo.root)
    assert first == again == _fresh(repo)
    assert again.document == _fresh(repo).document  # data and every mark
    assert (again.jobs_dir, again.config_dirs, again.lockfile) == (
        "runs",
        ("configs", "more"),
        "data.lock",
    )


def test_an_entry_for_other_text_is_never_used(repo: Repo) -> None:
    repo.write(".gittrain.yaml", TEXT)
    settings.load(repo.root)
    entry = json.loads(_cache(repo).read_text())
    entry["data"]["jobs_dir"] = "elsewhere"  # as if made from another text
    _cache(repo).write_text(json.dumps(entry))
    repo.write(".gittrain.yaml", TEXT.replace("runs", "jobs2"))
    assert settings.load(repo.root).jobs_dir == "jobs2"
    assert json.loads(_cache(repo).read_text())["data"]["jobs_dir"] == "jobs2"  # rewritten


@pytest.mark.parametrize(
    "change",
    [
        {"format": 2},
        {"format": "1"},
        {"gittrain": "0.0.0-other"},
        {"text": TEXT + "# edited\n"},
        {"data": ["not", "a", "mapping"]},
        {"marks": {"not": "a list"}},
        {"marks": [[["jobs_dir"], "4", 1]]},
        {"marks": [[["jobs_dir"], True, 1]]},
        {"marks": [[[{"a": 1}], 4, 1]]},
        {"marks": [[["jobs_dir"], 4]]},
    ],
)
def test_a_foreign_or_malformed_entry_is_ignored_and_rewritten(
    repo: Repo, change: dict[str, object]
) -> None:
    repo.write(".gittrain.yaml", TEXT)
    settings.load(repo.root)
    entry = json.loads(_cache(repo).read_text())
    entry.update(change)
    entry["data"] = entry["data"] if "data" in change else {**entry["data"], "jobs_dir": "wrong"}
    _cache(repo).write_text(json.dumps(entry))
    assert settings.load(repo.root) == _fresh(repo)
    assert settings.load(repo.root).jobs_dir == "runs"
    assert json.loads(_cache(repo).read_text())["data"]["jobs_dir"] == "runs"


@pytest.mark.parametrize(
    "junk", [b"", b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b"null", b'"text"']
)
def test_a_corrupt_cache_file_is_ignored_and_rewritten(repo: Repo, junk: bytes) -> None:
    repo.write(".gittrain.yaml", TEXT)
    _cache(repo).parent.mkdir(parents=True, exist_ok=True)
    _cache(repo).write_bytes(junk)
    assert settings.load(repo.root) == _fresh(repo)
    assert json.loads(_cache(repo).read_text())["text"] == TEXT


def test_a_cache_directory_that_cannot_be_written_is_only_slower(repo: Repo) -> None:
    repo.write(".gittrain.yaml", TEXT)
    (repo.root / ".git/gittrain").mkdir(exist_ok=True)
    _cache(repo).mkdir()  # a directory where the file would go
    assert settings.load(repo.root) == _fresh(repo)
    assert _cache(repo).is_dir()


def test_bad_settings_say_the_same_thing_from_the_cache(repo: Repo) -> None:
    repo.write(".gittrain.yaml", "version: 1\njobs_dir: ''\n")
    messages = []
    for _ in range(2):  # the second parse comes from the cache
        with pytest.raises(GittrainError) as caught:
            settings.load(repo.root)
        messages.append(caught.value.message)
    assert _cache(repo).is_file()
    assert messages[0] == messages[1]
    assert ".gittrain.yaml:2:1" in messages[0] and "jobs_dir" in messages[0]


def test_broken_yaml_is_reported_and_not_cached(repo: Repo) -> None:
    repo.write(".gittrain.yaml", "version: [1\n")
    with pytest.raises(GittrainError):
        settings.load(repo.root)
    assert not _cache(repo).exists()


def test_the_read_refuses_what_the_write_did_not_make(tmp_path: Path) -> None:
    assert settingscache.read(tmp_path, TEXT, ".gittrain.yaml") is None
    doc = yamlio.load_bytes(TEXT.encode(), ".gittrain.yaml")
    settingscache.write(tmp_path, TEXT, doc)
    assert settingscache.read(tmp_path, TEXT, ".gittrain.yaml") == doc
    assert settingscache.read(tmp_path, TEXT + " ", ".gittrain.yaml") is None


def test_the_hook_fast_path_reads_no_yaml_once_the_cache_is_warm(repo: Repo) -> None:
    repo.write(".gittrain.yaml", TEXT)
    repo.write("notes.md", "no config\n")
    repo.git("add", "-A")
    code = (
        "import sys\n"
        "from gittrain.cli import main\n"
        "try:\n    main(['hook', 'pre-commit'])\nexcept SystemExit as exc:\n    print(exc.code)\n"
        "print('yaml' in sys.modules)\n"
    )
    first = run([sys.executable, "-c", code], repo.root)
    # .gittrain.yaml is staged (a config path): this run validates it, so it parses YAML.
    assert first.stdout.split() == ["0", "True"], first.stderr
    repo.git("commit", "-q", "-m", "settings")
    repo.write("notes.md", "still no config\n")
    repo.git("add", "notes.md")
    proc = run([sys.executable, "-c", code], repo.root)
    assert proc.stdout.split() == ["0", "False"], proc.stderr
