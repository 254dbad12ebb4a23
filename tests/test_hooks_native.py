"""The native git hooks (hooks/*) and `git train install/uninstall/init`, with real commits."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Repo, assert_one_line_error, snapshot
from hookhelp import BAD_JOB, BAD_MESSAGE, GOOD_JOB, env_with_path, git_commit, run

from gittrain.adapters import schemas, yamlio

HOOKS = ("pre-commit", "prepare-commit-msg", "post-merge", "post-checkout")


def _install(repo: Repo, *flags: str) -> subprocess.CompletedProcess[str]:
    return run(["git-train", "install", *flags], repo.root)


def test_blocks_a_bad_commit_in_a_fresh_repo_then_lets_the_fix_through(repo: Repo) -> None:
    proc = _install(repo, "--hooks")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"installed hook {repo.root}/.git/hooks/{name}" for name in HOOKS
    ]
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-m", "bad job")
    assert proc.returncode == 1
    # git sends a hook's stdout to stderr.
    assert proc.stderr.splitlines() == [
        BAD_MESSAGE.format(name="a"),
        "jobs/a.yaml:6:3: error: datasets.train: dataset 'data/x.jsonl' is not in gittrain.lock; "
        "lock it with `git train data add data/x.jsonl` [data]",
        "gittrain: commit blocked: 2 errors in staged files (fix them and stage again; "
        "`git commit --no-verify` skips this check)",
    ]
    assert repo.git("rev-list", "--all") == ""  # nothing was committed
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert run(["git-train", "data", "add", "data/x.jsonl"], repo.root).returncode == 0
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.git("add", "-A")
    proc = git_commit(repo.root, "-q", "-m", "good job")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "" and proc.stderr == ""


def test_partially_staged_file_is_checked_as_staged_and_edits_survive(repo: Repo) -> None:
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert run(["git-train", "data", "add", "data/x.jsonl"], repo.root).returncode == 0
    repo.commit("start")
    _install(repo, "--hooks")
    # Stage a good edit, then break the work tree copy without staging it.
    repo.write(
        "jobs/a.yaml", GOOD_JOB.format(name="a", dataset="data/x.jsonl").replace("1.0e-6", "5.0e-7")
    )
    repo.git("add", "jobs/a.yaml")
    broken = BAD_JOB.format(name="a", dataset="data/x.jsonl").replace("1.0e-6", "5.0e-7")
    repo.write("jobs/a.yaml", broken)
    proc = git_commit(repo.root, "-q", "-m", "lower lr")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (repo.root / "jobs/a.yaml").read_text() == broken
    assert "rollout_n: 8" in repo.git("show", "HEAD:jobs/a.yaml")
    # And the other way round: a bad staged version with a good work tree is blocked.
    repo.git("add", "jobs/a.yaml")
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="data/x.jsonl"))
    proc = git_commit(repo.root, "-m", "x")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == BAD_MESSAGE.format(name="a")


def test_commit_all_checks_the_index_git_is_committing(repo: Repo) -> None:
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert run(["git-train", "data", "add", "data/x.jsonl"], repo.root).returncode == 0
    repo.commit("start")
    _install(repo, "--hooks")
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="data/x.jsonl"))
    proc = git_commit(repo.root, "-a", "-m", "x")  # GIT_INDEX_FILE is git's temporary index
    assert proc.returncode == 1
    assert BAD_MESSAGE.format(name="a") in proc.stderr


def test_a_hook_that_was_there_still_runs_and_uninstall_restores_it(repo: Repo) -> None:
    original = '#!/bin/sh\necho mine >> "$(git rev-parse --git-dir)/ran"\n'
    hook = repo.root / ".git/hooks/pre-commit"
    hook.write_text(original)
    hook.chmod(0o755)
    proc = _install(repo, "--hooks")
    assert f"installed hook {hook} (runs pre-commit.pre-gittrain first)" in proc.stdout.splitlines()
    assert (repo.root / ".git/hooks/pre-commit.pre-gittrain").read_text() == original
    repo.write("README.md", "hi\n")
    repo.git("add", "README.md")
    assert git_commit(repo.root, "-q", "-m", "one").returncode == 0
    assert (repo.root / ".git/ran").read_text() == "mine\n"
    # A failing chained hook blocks the commit before gittrain runs.
    hook_old = repo.root / ".git/hooks/pre-commit.pre-gittrain"
    hook_old.write_text("#!/bin/sh\necho no >&2\nexit 7\n")
    repo.write("README.md", "hi again\n")
    repo.git("add", "README.md")
    proc = git_commit(repo.root, "-m", "two")
    assert (proc.returncode, proc.stderr) == (1, "no\n")
    hook_old.write_text(original)
    # Installing again changes nothing.
    assert _install(repo, "--hooks").stdout == "already installed\n"
    proc = run(["git-train", "uninstall", "--hooks"], repo.root)
    assert proc.returncode == 0
    assert f"restored hook {hook}" in proc.stdout.splitlines()
    assert hook.read_text() == original
    assert not hook_old.exists()
    assert not (repo.root / ".git/hooks/post-merge").exists()


def test_uninstall_keeps_a_gittrain_hook_someone_edited(repo: Repo) -> None:
    hooks = repo.root / ".git/hooks"
    original = "#!/bin/sh\necho mine\n"
    (hooks / "post-merge").write_text(original)
    (hooks / "post-merge").chmod(0o755)
    assert _install(repo, "--hooks").returncode == 0
    for name in ("pre-commit", "post-merge"):
        hook = hooks / name
        hook.write_text(hook.read_text() + "echo my own check\n")
    edited = {name: (hooks / name).read_bytes() for name in ("pre-commit", "post-merge")}
    proc = run(["git-train", "uninstall", "--hooks"], repo.root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"removed hook {hooks}/pre-commit (it had been edited: kept as pre-commit.gittrain-edited)",
        f"removed hook {hooks}/prepare-commit-msg",
        f"restored hook {hooks}/post-merge (it had been edited: kept as post-merge.gittrain-edited)",
        f"removed hook {hooks}/post-checkout",
    ]
    assert not (hooks / "pre-commit").exists()
    assert (hooks / "post-merge").read_text() == original
    for name, content in edited.items():
        kept = hooks / f"{name}.gittrain-edited"
        assert kept.read_bytes() == content
        assert kept.stat().st_mode & stat.S_IXUSR  # still runnable, as it was
    # A second round never overwrites the first copy.
    assert _install(repo, "--hooks").returncode == 0
    (hooks / "pre-commit").write_text("#!/bin/sh\n# gittrain-hook pre-commit, edited again\n")
    proc = run(["git-train", "uninstall", "--hooks"], repo.root)
    assert (
        f"removed hook {hooks}/pre-commit (it had been edited: kept as pre-commit.gittrain-edited.2)"
        in proc.stdout.splitlines()
    )
    assert (hooks / "pre-commit.gittrain-edited").read_bytes() == edited["pre-commit"]


def test_core_hooks_path_is_respected(repo: Repo) -> None:
    repo.git("config", "core.hooksPath", "ci/hooks")
    proc = _install(repo, "--hooks")
    assert proc.returncode == 0
    assert sorted(p.name for p in (repo.root / "ci/hooks").iterdir()) == sorted(HOOKS)
    assert not (repo.root / ".git/hooks/pre-commit").exists()
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.git("add", "jobs/a.yaml")
    assert git_commit(repo.root, "-m", "x").returncode == 1


def test_unwritable_hooks_path_is_an_environment_error_and_writes_nothing(
    repo: Repo, cli: Cli
) -> None:
    repo.write("blocker", "a file where a directory should be\n")
    repo.git("config", "core.hooksPath", "blocker/hooks")
    before = snapshot(repo.root)
    result = cli("install", "--hooks", cwd=repo.root)
    assert_one_line_error(result, 2, f"{repo.root}/blocker/hooks", "cannot create")
    assert snapshot(repo.root) == before


def test_read_only_hooks_directory(repo: Repo, cli: Cli) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write to read-only directories")
    hooks = repo.root / "ro-hooks"
    hooks.mkdir()
    hooks.chmod(stat.S_IRUSR | stat.S_IXUSR)
    repo.git("config", "core.hooksPath", "ro-hooks")
    result = cli("install", "--hooks", cwd=repo.root)
    hooks.chmod(0o755)
    assert_one_line_error(result, 2, "is not writable")
    assert list(hooks.iterdir()) == []


def test_missing_gittrain_prints_how_to_install_and_does_not_block(repo: Repo) -> None:
    _install(repo, "--hooks")
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-q", "-m", "x", env=env_with_path(gittrain=False))
    assert proc.returncode == 0
    assert proc.stderr.splitlines()[0] == (
        "gittrain: git-train is not on PATH, so the pre-commit hook did nothing; install "
        "gittrain in this environment (see its README) or remove the hooks with "
        "'git train uninstall'"
    )


def test_prepare_commit_msg_adds_the_config_changes_summary(repo: Repo) -> None:
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    run(["git-train", "data", "add", "data/x.jsonl"], repo.root)
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.commit("start")
    _install(repo, "--hooks")
    text = GOOD_JOB.format(name="a", dataset="x").replace("1.0e-6", "5.0e-7")
    repo.write("jobs/a.yaml", text.replace("num_gpus: 8", "num_gpus: 4"))
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-q", "-m", "Halve the learning rate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    message = repo.git("log", "-1", "--format=%B")
    assert message == (
        "Halve the learning rate\n\nConfig-Changes:\n"
        "  jobs/a.yaml: num_gpus 8 → 4 (×0.5, -50%) [important]\n"
        "  jobs/a.yaml: config.learning_rate 1e-06 → 5e-07 (×0.5, -50%) [critical]\n\n"
    )
    # --amend (source "commit") does not add a second summary.
    proc = git_commit(repo.root, "-q", "--amend", "--no-edit")
    assert proc.returncode == 0
    assert repo.git("log", "-1", "--format=%B").count("Config-Changes:") == 1


def test_summary_names_added_and_deleted_configs_without_reading_them(repo: Repo) -> None:
    # The summary reads only modified configs and the lockfile: an added or deleted one is
    # one line, whatever it holds (an unreadable one included).
    repo.write("jobs/old.yaml", GOOD_JOB.format(name="old", dataset="x"))
    repo.commit("start")
    repo.write("jobs/new.yaml", "name: [unclosed\n")
    repo.git("rm", "-q", "jobs/old.yaml")
    repo.git("add", "jobs/new.yaml")
    message = repo.root / "msg"
    message.write_text("Swap jobs\n")
    proc = run(["git-train", "hook", "prepare-commit-msg", str(message), "message"], repo.root)
    assert proc.returncode == 0, proc.stderr
    assert message.read_text() == (
        "Swap jobs\n\nConfig-Changes:\n  jobs/new.yaml: added\n  jobs/old.yaml: deleted\n\n"
    )


def test_a_message_that_is_not_utf8_keeps_its_bytes_and_gets_the_summary(repo: Repo) -> None:
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.commit("start")
    _install(repo, "--hooks")
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x").replace("8\n", "4\n", 1))
    repo.git("add", "jobs/a.yaml")
    message = repo.root / "msg"
    message.write_bytes(b"Caf\xe9 \xff\xfe latin-1 bytes\n")
    proc = git_commit(repo.root, "-q", "--no-verify", "-F", "msg", "--cleanup=verbatim")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    raw = subprocess.run(  # the raw object: `git log` would re-encode the message
        ["git", "-C", str(repo.root), "cat-file", "commit", "HEAD"], capture_output=True, check=True
    ).stdout
    body = raw.split(b"\n\n", 1)[1]  # git itself re-encodes a non-UTF-8 message as Latin-1
    assert body.startswith(b"Caf\xc3\xa9 \xc3\xbf\xc3\xbe latin-1 bytes\n\nConfig-Changes:\n")
    assert b"num_gpus 8 \xe2\x86\x92 4" in body
    # The hook itself hands back every byte it was given.
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x").replace("8\n", "2\n", 1))
    repo.git("add", "jobs/a.yaml")
    message.write_bytes(b"Caf\xe9 \xff\n# comment \x80\n")
    hook = run(["git-train", "hook", "prepare-commit-msg", "msg"], repo.root)
    assert hook.returncode == 0, hook.stderr
    text = message.read_bytes()
    assert text.startswith(b"Caf\xe9 \xff\n\nConfig-Changes:\n")
    assert text.endswith(b"\n# comment \x80\n")


def test_prepare_commit_msg_never_empties_or_blocks_on_failure(repo: Repo) -> None:
    """A broken setting or an internal error leaves the message whole; the commit goes ahead."""
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.commit("start")
    _install(repo, "--hooks")
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x").replace("8\n", "4\n", 1))
    repo.write(".gittrain.yaml", "version: 1\njobs_dir: [not, a, path]\n")
    repo.git("add", "jobs/a.yaml")
    proc = git_commit(repo.root, "-q", "--no-verify", "-m", "Keep me")
    assert proc.returncode == 0, proc.stderr
    assert repo.git("log", "-1", "--format=%B") == "Keep me\n\n"
    assert "gittrain: no Config-Changes summary added; .gittrain.yaml" in proc.stderr
    # An internal error (not a user's mistake) is reported the same way, exit 0.
    crash = (
        "import sys, gittrain.commands.hooks as h\n"
        "def boom(root): raise RuntimeError('boom')\n"
        "h.staged_diff = boom\n"
        "from gittrain.cli import main\n"
        "main(['hook', 'prepare-commit-msg', sys.argv[1]])\n"
    )
    msg = repo.root / ".git/MSG"
    msg.write_bytes(b"Subject \xff\n")
    result = run([sys.executable, "-c", crash, str(msg)], repo.root)
    assert result.returncode == 0, result.stderr
    assert "internal error: RuntimeError('boom')" in result.stderr
    assert msg.read_bytes() == b"Subject \xff\n"
    assert not [p for p in (repo.root / ".git").iterdir() if p.name.startswith(".MSG")]


def test_message_without_config_changes_is_left_alone(repo: Repo) -> None:
    repo.commit("start")
    _install(repo, "--hooks")
    repo.write("README.md", "x\n")
    repo.git("add", "README.md")
    assert git_commit(repo.root, "-q", "-m", "Docs").returncode == 0
    assert repo.git("log", "-1", "--format=%B") == "Docs\n\n"


def test_post_checkout_and_post_merge_warn_about_changed_datasets(repo: Repo) -> None:
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    run(["git-train", "data", "add", "data/x.jsonl"], repo.root)
    repo.commit("start")
    _install(repo, "--hooks")
    proc = run(["git", "checkout", "-q", "-b", "other"], repo.root)
    assert (proc.returncode, proc.stderr) == (0, "")  # same commit: quiet
    repo.commit("empty")
    repo.write("data/x.jsonl", '{"prompt": "q2"}\n{"prompt": "q3"}\n')
    proc = run(["git", "checkout", "-q", "main"], repo.root)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        "gittrain: warning: dataset x (data/x.jsonl) is modified (size, sha256)",
        "gittrain: see `git train data status`",
    ]
    proc = run(["git", "merge", "-q", "--ff-only", "other"], repo.root)
    assert proc.returncode == 0
    assert "gittrain: warning: dataset x (data/x.jsonl) is modified" in proc.stderr


def test_hook_and_check_commands_with_nothing_to_check_exit_0(repo: Repo, cli: Cli) -> None:
    # A repository with no commits yet and nothing staged.
    for argv in (
        ("hook", "pre-commit"),
        ("check-data",),
        ("check-data", "--staged"),
        ("validate", "--staged"),
        ("lint-yaml",),
    ):
        result = cli(*argv, cwd=repo.root)
        assert result.code == 0, (argv, result)
        assert "error:" not in result.out + result.err
    # Only deleted files staged.
    repo.write("jobs/a.yaml", BAD_JOB.format(name="a", dataset="d"))
    repo.commit("bad, before the hooks")
    repo.git("rm", "-q", "jobs/a.yaml")
    result = cli("hook", "pre-commit", cwd=repo.root)
    assert (result.code, result.out, result.err) == (0, "", "")
    gone = cli("check-data", "jobs/a.yaml", cwd=repo.root)  # named, so its absence matters
    assert (gone.code, gone.out) == (1, "jobs/a.yaml: error: no such file [io]\n")


def test_check_data_checks_every_job_or_a_named_one(repo: Repo, cli: Cli) -> None:
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    repo.write("data/y.jsonl", '{"prompt": "q2"}\n')
    assert cli("data", "add", "data/x.jsonl", cwd=repo.root).code == 0
    assert cli("data", "add", "data/y.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.write("jobs/b.yml", GOOD_JOB.format(name="b", dataset="y"))
    repo.write("sub/README", "x\n")
    assert cli("check-data", cwd=repo.root).code == 0
    repo.write("data/y.jsonl", '{"prompt": "q3"}\n')  # b's dataset drifts
    for argv, cwd in [((), repo.root), (("b",), repo.root), (("b",), repo.root / "sub")]:
        result = cli("check-data", "--format", "json", *argv, cwd=cwd)
        assert result.code == 1, (argv, result)
        report = json.loads(result.out)
        assert [p["file"] for p in report["problems"]] == ["jobs/b.yml"]
        assert "dataset 'y' (data/y.jsonl) changed since it was locked" in result.out
    assert cli("check-data", "a", cwd=repo.root).code == 0
    for missing in ("nope", "jobs/nope.yaml"):
        result = cli("check-data", missing, cwd=repo.root)
        assert result.code == 1 and "no such file" in result.out, result


def test_check_data_names_job_and_dataset(repo: Repo, cli: Cli) -> None:
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    assert cli("data", "add", "data/x.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="x"))
    repo.write("README.md", "not a job\n")
    assert cli("check-data", "jobs/a.yaml", "README.md", cwd=repo.root).code == 0
    (repo.root / "data/x.jsonl").unlink()
    result = cli("check-data", "jobs/a.yaml", cwd=repo.root)
    assert result.code == 1
    assert result.out == (
        "jobs/a.yaml:6:3: error: datasets.train: dataset 'x' (data/x.jsonl) is missing on disk; "
        "restore it or `git train data remove x` [data]\n"
    )
    result = cli("check-data", "--format", "json", "jobs/a.yaml", cwd=repo.root)
    assert json.loads(result.out)["problems"][0]["path"] == "datasets.train"


def test_install_all_then_uninstall_all(repo: Repo, cli: Cli) -> None:
    result = cli("install", cwd=repo.root)
    assert result.code == 0, result
    assert "set diff.gittrain.textconv=git-train-textconv" in result.out
    assert (
        repo.git("config", "merge.gittrain-lock.driver").strip() == "git train merge-lock %O %A %B"
    )
    assert cli("install", cwd=repo.root).out == "already installed\n"
    result = cli("uninstall", cwd=repo.root)
    assert result.code == 0, result
    assert not (repo.root / ".gitattributes").exists()
    assert repo.git("config", "--get", "diff.gittrain.textconv", check=False) == ""
    assert not (repo.root / ".git/hooks/pre-commit").exists()
    assert cli("uninstall", cwd=repo.root).out == "nothing to uninstall\n"


def test_uninstall_keeps_other_attributes(repo: Repo, cli: Cli) -> None:
    repo.write(".gitattributes", "*.png binary\n")
    cli("install", "--diff", "--merge", cwd=repo.root)
    cli("uninstall", "--diff", "--merge", cwd=repo.root)
    assert (repo.root / ".gitattributes").read_text() == "*.png binary\n"


def test_init_scaffolds_a_valid_repository_and_installs(repo: Repo, cli: Cli) -> None:
    result = cli("init", cwd=repo.root)
    assert result.code == 0, result
    assert result.out.splitlines()[:5] == [
        "created recipes",
        "created jobs",
        "created .gittrain.yaml",
        "created gittrain.lock",
        "created .pre-commit-config.yaml",
    ]
    lock = yamlio.load_file(repo.root / "gittrain.lock", "gittrain.lock")
    assert schemas.check("lockfile", lock.data) == []
    assert (repo.root / ".git/hooks/pre-commit").is_file()
    assert "gittrain.lock merge=gittrain-lock" in (repo.root / ".gitattributes").read_text()
    assert cli("validate", cwd=repo.root).code == 0
    assert cli("lint-yaml", ".pre-commit-config.yaml", ".gittrain.yaml", cwd=repo.root).code == 0
    proc = run(
        [str(Path(__import__("sys").executable).parent / "pre-commit"), "validate-config"],
        repo.root,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Running it again keeps everything.
    repo.write(".gittrain.yaml", "jobs_dir: runs\n")
    result = cli("init", cwd=repo.root)
    assert "kept .gittrain.yaml (already there)" in result.out.splitlines()
    assert (repo.root / ".gittrain.yaml").read_text() == "jobs_dir: runs\n"


def test_commands_outside_a_repository_are_usage_errors(cli: Cli, tmp_path: Path) -> None:
    for argv in (("install",), ("uninstall",), ("init",), ("check-data",), ("hook", "pre-commit")):
        result = cli(*argv, cwd=tmp_path)
        assert result.code == 2, (argv, result)
        assert "Traceback" not in result.err
    assert list(tmp_path.iterdir()) == []


def test_commit_all_summary_reads_the_index_being_committed(repo: Repo) -> None:
    repo.write("jobs/a.yaml", GOOD_JOB.format(name="a", dataset="data/x.jsonl"))
    repo.commit("start")
    _install(repo, "--hooks")
    repo.write("data/x.jsonl", '{"prompt": "q1"}\n')
    run(["git-train", "data", "add", "data/x.jsonl"], repo.root)
    repo.git("add", "gittrain.lock", "data/x.jsonl")
    text = GOOD_JOB.format(name="a", dataset="data/x.jsonl").replace("1.0e-6", "5.0e-7")
    repo.write("jobs/a.yaml", text)  # not staged: `commit -a` stages it into a temporary index
    proc = git_commit(repo.root, "-q", "-a", "-m", "Lower the learning rate")
    assert proc.returncode == 0, proc.stderr
    assert "config.learning_rate 1e-06 → 5e-07 (×0.5, -50%) [critical]" in repo.git(
        "log", "-1", "--format=%B"
    )


CONFLICTED_LOCK = "version: 1\ndatasets:\n<<<<<<< HEAD\n  a: {}\n=======\n  b: {}\n>>>>>>> b\n"


@pytest.mark.parametrize(
    ("files", "argv", "code", "needles"),
    [
        (
            {
                "gittrain.lock": CONFLICTED_LOCK,
                "jobs/a.yaml": GOOD_JOB.format(name="a", dataset="x"),
            },
            ["check-data", "jobs/a.yaml"],
            1,
            ["gittrain.lock:"],
        ),
        ({"jobs/a.yaml": "name: a\n"}, ["validate", "--staged", "jobs/a.yaml"], 2, ["--staged"]),
        ({}, ["hook", "prepare-commit-msg", "no/such/MSG"], 2, ["no/such/MSG", "cannot read"]),
        ({}, ["install", "--hooks", "--bogus"], 2, ["--bogus"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    repo: Repo, cli: Cli, files: dict[str, str], argv: list[str], code: int, needles: list[str]
) -> None:
    for rel, text in files.items():
        repo.write(rel, text)
    before = snapshot(repo.root)
    result = cli(*argv, cwd=repo.root)
    if argv[0] == "install":  # click's own usage errors span a usage line and the error
        assert result.code == 2 and "--bogus" in result.err
    else:
        assert_one_line_error(result, code, *needles)
    assert snapshot(repo.root) == before


def test_install_refuses_when_the_backup_name_is_taken(repo: Repo, cli: Cli) -> None:
    hooks = repo.root / ".git/hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    (hooks / "pre-commit.pre-gittrain").write_text("#!/bin/sh\nexit 0\n")
    before = sorted(p.name for p in hooks.iterdir())
    result = cli("install", "--hooks", cwd=repo.root)
    assert_one_line_error(result, 2, "pre-commit.pre-gittrain is taken")
    assert sorted(p.name for p in hooks.iterdir()) == before


@pytest.mark.parametrize("name", HOOKS)
def test_hook_scripts_are_posix_sh_and_marked(name: str) -> None:
    script = Path(__file__).resolve().parent.parent / "hooks" / name
    assert script.stat().st_mode & stat.S_IXUSR
    text = script.read_text()
    assert text.startswith(f"#!/bin/sh\n# gittrain-hook {name}: ")
    assert f"git-train hook {name}" in text
    for shell in ("sh", "dash"):
        if shutil.which(shell):
            proc = subprocess.run([shell, "-n", str(script)], capture_output=True, check=False)
            assert proc.returncode == 0, proc.stderr
