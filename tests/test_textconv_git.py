"""`install --diff` end to end: scoped to the configs, cached, and never stale (issue 11, 13-14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Repo

from gittrain.commands import install
from gittrain.core import textconvkey

WORKFLOW = (
    "# CI: run the tests\n"
    "on: [push]\n"
    "jobs:\n"
    "  test:\n"
    "    runs-on: ubuntu-latest  # the cheap runner\n"
)
JOB = "config:\n  learning_rate: 1.0e-6  # tuned\n  seed: 1\n"


def git(repo: Repo, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Real git with the driver on PATH, as a user's shell has it."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        ["git", *args],
        cwd=repo.root,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def installed(repo: Repo, cli: Cli) -> Repo:
    repo.write(".github/workflows/ci.yml", WORKFLOW)
    repo.write("jobs/a.yaml", JOB)
    repo.commit("base")
    result = cli("install", "--diff", cwd=repo.root)
    assert result.code == 0, result
    repo.commit("install")
    return repo


def test_ci_workflow_diff_stays_text_and_applies(installed: Repo) -> None:
    repo = installed
    changed = WORKFLOW.replace("ubuntu-latest", "ubuntu-24.04")
    repo.write(".github/workflows/ci.yml", changed)
    repo.write("jobs/a.yaml", JOB.replace("1.0e-6", "5.0e-7"))
    diff = git(repo, "diff", "--no-color", "--", ".github")
    assert diff.returncode == 0, diff.stderr
    assert "+    runs-on: ubuntu-24.04  # the cheap runner\n" in diff.stdout  # comments stay
    assert " = " not in diff.stdout
    jobs = git(repo, "diff", "--no-color", "--", "jobs")
    assert "+config.learning_rate = 5e-07  # critical\n" in jobs.stdout
    # The CI change round-trips through a patch.
    repo.git("checkout", "--", ".github")
    applied = git(repo, "apply", stdin=diff.stdout)
    assert applied.returncode == 0, applied.stderr
    assert (repo.root / ".github/workflows/ci.yml").read_text() == changed
    # The raw text of a config, for a patch: --no-textconv.
    raw = git(repo, "diff", "--no-color", "--no-textconv", "--", "jobs").stdout
    assert "+  learning_rate: 5.0e-7  # tuned\n" in raw


def test_log_p_converts_configs_only(installed: Repo) -> None:
    repo = installed
    repo.write(".github/workflows/ci.yml", WORKFLOW.replace("push", "pull_request"))
    repo.write("jobs/a.yaml", JOB.replace("seed: 1", "seed: 2"))
    repo.commit("both")
    log = git(repo, "log", "-p", "-n", "1", "--no-color")
    assert log.returncode == 0, log.stderr
    assert "-on: [push]\n+on: [pull_request]\n" in log.stdout
    assert " # CI: run the tests\n" in log.stdout
    assert "-config.seed = 1\n+config.seed = 2\n" in log.stdout
    assert git(repo, "blame", ".github/workflows/ci.yml").stdout.count("#") == 2


def test_settings_paths_move_the_block(installed: Repo, cli: Cli) -> None:
    repo = installed
    repo.write(
        ".gittrain.yaml",
        "config_dirs: [experiments/*]\ndiff:\n  paths: ['recipes/**', 'jobs/**', 'exp v2/**']\n",
    )
    result = cli("install", "--diff", cwd=repo.root)
    assert result.code == 0, result
    assert "removed from .gitattributes: configs/**/*.yaml diff=gittrain" in result.out
    block = (repo.root / ".gitattributes").read_text().splitlines()[1:-1]
    assert block == [
        "recipes/**/*.yaml diff=gittrain",
        "recipes/**/*.yml diff=gittrain",
        "jobs/**/*.yaml diff=gittrain",
        "jobs/**/*.yml diff=gittrain",
        "experiments/*/**/*.yaml diff=gittrain",
        "experiments/*/**/*.yml diff=gittrain",
        "experiments/*.yaml diff=gittrain",
        "experiments/*.yml diff=gittrain",
        '"exp v2/**/*.yaml" diff=gittrain',
        '"exp v2/**/*.yml" diff=gittrain',
        "gittrain.lock diff=gittrain",
    ]
    checked = git(
        repo, "check-attr", "diff", "--", "experiments/a.yaml", "exp v2/b/c.yml", "x.yaml"
    )
    assert checked.stdout == (
        "experiments/a.yaml: diff: gittrain\n"
        "exp v2/b/c.yml: diff: gittrain\n"
        "x.yaml: diff: unspecified\n"
    )


def test_upgrade_from_unscoped_lines_and_uninstall(repo: Repo, cli: Cli) -> None:
    repo.write(
        ".gitattributes",
        "*.yaml diff=gittrain\n*.png binary\n*.yml diff=gittrain\ngittrain.lock diff=gittrain\n",
    )
    result = cli("install", "--diff", cwd=repo.root)
    assert "removed from .gitattributes: *.yaml diff=gittrain" in result.out
    text = (repo.root / ".gitattributes").read_text()
    assert "*.yaml diff=gittrain" not in text.splitlines()
    assert text.startswith("*.png binary\n")
    git(repo, "log", "-p")  # nothing to show, but an empty cache ref is fine too
    result = cli("uninstall", "--diff", cwd=repo.root)
    assert result.code == 0, result
    assert (repo.root / ".gitattributes").read_text() == "*.png binary\n"
    assert repo.git("config", "--get-regexp", "^diff\\.", check=False) == ""


def test_cache_is_on_and_used(installed: Repo) -> None:
    repo = installed
    assert repo.git("config", "diff.gittrain.cachetextconv").strip() == "true"
    repo.write("jobs/a.yaml", JOB.replace("seed: 1", "seed: 2"))
    repo.commit("seed")
    first = git(repo, "log", "-p", "--no-color")
    assert repo.git("rev-parse", "--verify", "-q", install.CACHE_REF).strip()
    # The cache's validity is the command, which carries the fingerprint.
    message = repo.git("log", "-1", "--format=%B", install.CACHE_REF).strip()
    assert message == install.command(repo.root)
    assert git(repo, "log", "-p", "--no-color").stdout == first.stdout


def test_changed_rules_never_come_from_the_cache(installed: Repo, cli: Cli) -> None:
    repo = installed
    repo.write("jobs/a.yaml", JOB.replace("seed: 1", "seed: 2"))
    repo.commit("seed")
    assert "+config.seed = 2\n" in git(repo, "log", "-p", "--no-color").stdout  # warm
    old = install.command(repo.root)
    # A commit of new rules: the pre-commit hook re-syncs the fingerprint.
    assert cli("install", "--hooks", cwd=repo.root).code == 0
    repo.write(".gittrain.yaml", "diff:\n  rules: [{match: seed, tier: critical}]\n")
    repo.git("add", ".gittrain.yaml")
    committed = git(repo, "commit", "-q", "-m", "rules")
    assert committed.returncode == 0, committed.stderr
    new = install.command(repo.root)
    assert new != old
    assert repo.git("config", "diff.gittrain.textconv").strip() == new
    log = git(repo, "log", "-p", "--no-color").stdout
    assert "+config.seed = 2  # critical\n" in log
    assert "+config.seed = 2\n" not in log


def test_driver_resyncs_a_stale_fingerprint(installed: Repo) -> None:
    repo = installed
    repo.git("config", install.TEXTCONV_KEY, "git-train-textconv --rules=000000000000")
    repo.write("jobs/a.yaml", JOB.replace("seed: 1", "seed: 2"))
    diff = git(repo, "diff", "--no-color")
    assert diff.returncode == 0
    assert diff.stderr == (
        "gittrain: the diff rules changed; textconv conversions cached under the old "
        "rules are dropped from the next git command on\n"
    )
    assert repo.git("config", install.TEXTCONV_KEY).strip() == install.command(repo.root)
    assert git(repo, "diff", "--no-color").stderr == ""


def test_a_driver_of_the_users_own_is_left_alone(installed: Repo) -> None:
    repo = installed
    repo.git("config", install.TEXTCONV_KEY, "my-converter")
    assert not install.sync_command(repo.root)
    assert repo.git("config", install.TEXTCONV_KEY).strip() == "my-converter"


def test_fingerprint_names_version_data_and_the_diff_sections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = textconvkey.fingerprint(None)
    assert len(base) == 12
    assert textconvkey.fingerprint({"recipes_dir": "r", "rules": {"lr-range": "off"}}) == base
    assert textconvkey.fingerprint({"diff": {"rules": []}}) != base
    assert textconvkey.fingerprint({"dialects": {"a/*": "trl"}}) != base
    assert textconvkey.fingerprint({"spellings": {"trl": {"x": "learning_rate"}}}) != base
    monkeypatch.setattr(textconvkey, "__version__", "99.0")
    assert textconvkey.fingerprint(None) != base
    monkeypatch.undo()
    monkeypatch.setattr(textconvkey, "DATA_FILES", ("vocabulary.json",))
    assert textconvkey.fingerprint(None) != base


def test_hooks_say_when_the_block_is_out_of_date(installed: Repo, cli: Cli) -> None:
    repo = installed
    assert cli("install", "--hooks", cwd=repo.root).code == 0
    repo.write(".gittrain.yaml", "config_dirs: [experiments]\n")
    repo.git("add", ".gittrain.yaml")
    committed = git(repo, "commit", "-q", "-m", "settings")
    assert committed.returncode == 0, committed.stderr
    assert committed.stderr == (
        "gittrain: warning: the .gitattributes diff lines do not match the config paths "
        "in .gittrain.yaml; run `git train install --diff`\n"
    )
    assert install.block_is_stale(repo.root)
    assert cli("install", "--diff", cwd=repo.root).code == 0
    assert not install.block_is_stale(repo.root)
    repo.commit("block")
    assert git(repo, "commit", "-q", "--allow-empty", "-m", "again").stderr == ""
