"""Hook benchmarks: whole-process timings of a real `git commit` with each hook installed.

* the `gittrain-validate` hook's command on 1 and 50 staged job files, against
  check-jsonschema with the same JSON Schema (schemas/job.schema.json);
* the same two through the real pre-commit framework (`repo: local` hooks);
* the native pre-commit hook (validation + data check), validation alone, and no hook;
  the native hooks with the same staged content again, with new content in every staged job
  (the cache earlier commits left is kept: a user's next commit), and with no cache at all
  (the first hook run in a fresh clone).

Every commit is undone with `git reset --soft HEAD~1` (not timed) so each run commits the
same staged files.  The variants are interleaved (one commit of each per round, RUNS rounds
after a warm-up round) so a busy neighbour slows them all alike; medians are printed, then
issue 14's hook goals as ratios.  GITTRAIN_BENCH_HOOKS=native leaves out the peers;
GITTRAIN_BENCH_BASELINE=DIR adds the native hooks run with the gittrain of another checkout
(PYTHONPATH=DIR), interleaved: a before/after in one run.
"""

from __future__ import annotations

import itertools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import JOB  # the same job files the validation benchmark uses
from common import BIN, ensure_bytecode, machine, report, tool

PROJECT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("GITTRAIN_BENCH_RUNS", "15"))
# GITTRAIN_BENCH_HOOKS=native times only the native hooks and plain `git commit` (no peers).
NATIVE_ONLY = os.environ.get("GITTRAIN_BENCH_HOOKS") == "native"
SCHEMA = PROJECT / "schemas/job.schema.json"


# GITTRAIN_BENCH_SCRIPTS=DIR puts DIR's `git-train` ahead of the venv's: a console script
# generated from this checkout's entry points when the venv's predates them.
SCRIPTS = [os.environ["GITTRAIN_BENCH_SCRIPTS"]] if os.environ.get("GITTRAIN_BENCH_SCRIPTS") else []


def env() -> dict[str, str]:
    out = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("GIT_") or k == "GIT_EXEC_PATH") and k != "PYTHONDONTWRITEBYTECODE"
    }
    out.update(
        PATH=os.pathsep.join([*SCRIPTS, str(BIN), os.environ["PATH"]]),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@example.com",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@example.com",
        PRE_COMMIT_COLOR="never",
    )
    return out


ENV = env()


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=ENV, capture_output=True)


def make_repo(parent: Path, jobs: int) -> Path:
    """A repository with a locked dataset and ``jobs`` new job files staged."""
    root = parent / f"repo-{jobs}"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "commit.gpgsign", "false")
    (root / "data").mkdir()
    (root / "data/gsm8k.jsonl").write_text('{"prompt": "1+1=", "answer": "2"}\n' * 200)
    subprocess.run(
        [tool("git-train"), "data", "add", "data/gsm8k.jsonl", "--name", "gsm8k_train"],
        cwd=root,
        env=ENV,
        check=True,
        capture_output=True,
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    (root / "jobs").mkdir(exist_ok=True)
    for i in range(jobs):
        (root / f"jobs/job-{i:03d}.yaml").write_text(JOB.format(i=i, steps=200 + i))
    git(root, "add", "-A")
    return root


HOOKS_DIR = ".git/hooks"
Setup = Callable[[Path], None]


def hook_script(script: str | None, message_hook: str | None = None) -> Setup:
    """Install exactly one pre-commit hook (or none) and, if given, a prepare-commit-msg hook;
    ``.pre-commit-config.yaml`` is removed."""

    def setup(root: Path) -> None:
        hook = root / HOOKS_DIR / "pre-commit"
        hook.unlink(missing_ok=True)
        message = root / HOOKS_DIR / "prepare-commit-msg"
        message.unlink(missing_ok=True)
        if message_hook is not None:
            message.write_text(message_hook)
            message.chmod(0o755)
        if (root / ".pre-commit-config.yaml").exists():
            git(root, "rm", "-q", "-f", ".pre-commit-config.yaml")
        if script is not None:
            hook.write_text(script)
            hook.chmod(0o755)

    return setup


def staged_hook(command: str) -> str:
    """A hook that runs ``command`` on the staged files, as pre-commit passes filenames."""
    return (
        "#!/bin/sh\n"
        "git diff --cached --name-only -z --diff-filter=ACMR -- 'jobs/*.yaml' "
        f"| xargs -0 {command}\n"
    )


def framework(entry: str, name: str) -> Setup:
    """The real pre-commit framework running one `repo: local` hook with ``entry``."""
    config = (
        "repos:\n  - repo: local\n    hooks:\n"
        f"      - id: {name}\n        name: {name}\n        entry: {entry}\n"
        "        language: system\n        files: ^jobs/.*\\.yaml$\n        require_serial: true\n"
    )

    def setup(root: Path) -> None:
        hook_script(None)(root)
        subprocess.run(
            [tool("pre-commit"), "install"], cwd=root, env=ENV, check=True, capture_output=True
        )
        (root / ".pre-commit-config.yaml").write_text(config)
        git(root, "add", ".pre-commit-config.yaml")

    return setup


# GITTRAIN_BENCH_BASELINE=DIR also times the native hooks with the gittrain in DIR (another
# checkout, run through the same console script with PYTHONPATH=DIR), interleaved with
# this one: a before/after in one run.
BASELINE = os.environ.get("GITTRAIN_BENCH_BASELINE")
BASELINE_TAG = " (baseline)"
# A variant's setup can ask for its commit's environment to differ (the baseline's PYTHONPATH).
_commit_env: dict[str, str] = {}


def compile_checkouts() -> None:
    """Bytecode for the gittrain this process imports (PYTHONPATH may name a checkout that
    ensure_bytecode's isolated interpreter does not see) and for the baseline's."""
    import compileall

    import gittrain

    dirs = [Path(gittrain.__file__).parent]
    if BASELINE:
        dirs.append(Path(BASELINE) / "gittrain")
    for directory in dirs:
        compileall.compile_dir(str(directory), quiet=1)


def baseline(setup: Setup) -> Setup:
    """``setup``, committing with the baseline checkout's gittrain."""

    def with_baseline(root: Path) -> None:
        setup(root)
        _commit_env["PYTHONPATH"] = str(BASELINE)

    return with_baseline


def with_baselines(variants: dict[str, Setup]) -> dict[str, Setup]:
    """Each native variant twice, this checkout's and the baseline's, when one is given."""
    if not BASELINE:
        return variants
    out: dict[str, Setup] = {}
    for label, setup in variants.items():
        out[label] = setup
        if label.startswith(("native", COLD, NEW)):
            out[label + BASELINE_TAG] = baseline(setup)
    return out


def commit_once(root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `git commit` (CPU: git and every hook process it waited for)."""
    env = {**ENV, **_commit_env}
    _commit_env.clear()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        ["git", "-C", str(root), "commit", "-q", "-m", "bench"],
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"commit failed: {proc.stderr.decode()[-600:]}")
    git(root, "reset", "-q", "--soft", "HEAD~1")
    return elapsed, cpu


# Median CPU ms of the last interleaved run's variants (beside the wall medians it returns).
CPU_MS: dict[str, float] = {}


def interleaved(root: Path, variants: dict[str, Setup]) -> dict[str, float]:
    """Median ms of a whole `git commit` under each variant, one of each per round."""
    if NATIVE_ONLY:
        keep = ("git commit", "native", COLD, NEW)
        variants = {k: v for k, v in variants.items() if k.startswith(keep)}
    variants = with_baselines(variants)
    times: dict[str, list[float]] = {label: [] for label in variants}
    cpu: dict[str, list[float]] = {label: [] for label in variants}
    for round_no in range(RUNS + 1):
        for label, setup in variants.items():
            setup(root)
            elapsed, used = commit_once(root)
            if round_no:
                times[label].append(elapsed)
                cpu[label].append(used)
    CPU_MS.clear()
    CPU_MS.update({label: statistics.median(t) * 1000 for label, t in cpu.items()})
    return {label: statistics.median(t) * 1000 for label, t in times.items()}


# Variants run with the hooks' parse cache (.git/gittrain/docs.json) removed before each
# commit: the first hook run in a fresh clone (with a baseline, its own cold copy too).
COLD = "cold cache:"
# Variants that stage new content in every staged job file before each commit, keeping the
# cache the earlier commits left (built-in recipes, lockfile): a user's next commit.
NEW = "new content:"


def cold(setup: Setup) -> Setup:
    def without_cache(root: Path) -> None:
        setup(root)
        (root / ".git" / "gittrain" / "docs.json").unlink(missing_ok=True)

    return without_cache


def new_content(setup: Setup) -> Setup:
    rounds = itertools.count()

    def with_new_jobs(root: Path) -> None:
        setup(root)
        steps = 10_000 + next(rounds)
        for path in sorted((root / "jobs").glob("job-*.yaml")):
            path.write_text(JOB.format(i=int(path.stem.removeprefix("job-")), steps=steps))
        git(root, "add", "jobs")

    return with_new_jobs


IN_PROCESS = """
import statistics, sys, time
from pathlib import Path
from gittrain.adapters import gitrepo
from gittrain.commands.workspace import open_workspace
from gittrain.commands.validate import validate_blobs
start = time.perf_counter()
from gittrain.commands.data_check import check_staged
imported = time.perf_counter() - start
root = Path(sys.argv[1])
ws = open_workspace(root)
staged = gitrepo.staged_paths(root)
blobs = gitrepo.read_staged(root, staged)
def median(fn):
    times = []
    for _ in range(15):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
data = median(lambda: check_staged(root, ws.settings, staged, known=blobs))
check = median(lambda: validate_blobs(ws, blobs))
print(f"{imported * 1000:.1f} {data:.1f} {check:.1f}")
"""


def in_process(root: Path) -> str:
    """The native hook's two halves timed inside one warm process, and the data check's imports."""
    out = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(root)],
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return (
        f"in-process: importing the data check after validation {out[0]} ms; the data check "
        f"{out[1]} ms; validation {out[2]} ms (warm, median of 15)"
    )


def main() -> int:
    print(f"machine: {machine()}; {RUNS} interleaved rounds (median), whole `git commit` runs")
    ensure_bytecode()
    compile_checkouts()
    work = Path(tempfile.mkdtemp(prefix="gittrain-bench-hooks-"))
    ENV["PRE_COMMIT_HOME"] = str(work / "pre-commit-home")
    gittrain = tool("git-train")
    cjs = f"{tool('check-jsonschema')} --schemafile {SCHEMA}"
    native = (PROJECT / "hooks/pre-commit").read_text()
    message = (PROJECT / "hooks/prepare-commit-msg").read_text()
    goals: dict[str, float] = {}
    variants: dict[str, Setup] = {
        "git commit, no hook": hook_script(None),
        "hook: git-train validate FILES": hook_script(staged_hook(f"{gittrain} validate --quiet")),
        "hook: check-jsonschema FILES": hook_script(staged_hook(cjs)),
        "pre-commit framework: gittrain-validate": framework(
            f"{gittrain} validate --quiet", "gittrain-validate"
        ),
        "pre-commit framework: check-jsonschema": framework(cjs, "check-jsonschema"),
        "hook: git-train validate --staged": hook_script(
            f"#!/bin/sh\nexec {gittrain} validate --staged --quiet\n"
        ),
        NATIVE: hook_script(native),
        PAIR: hook_script(native, message),
        f"{COLD} {NATIVE}": cold(hook_script(native)),
        f"{COLD} {PAIR}": cold(hook_script(native, message)),
        f"{NEW} {NATIVE}": new_content(hook_script(native)),
        f"{NEW} {PAIR}": new_content(hook_script(native, message)),
    }
    try:
        for jobs in (1, 50):
            staged_rounds(make_repo(work, jobs), jobs, variants, goals)
        root = make_repo(work, 0)
        (root / "notes.md").write_text("a commit that touches no config\n")
        git(root, "add", "notes.md")
        got = interleaved(
            root,
            {
                "git commit, no hook": hook_script(None),
                "native hook (hooks/pre-commit)": hook_script(native),
            },
        )
        report("no config staged: the native hook's fast path", list(got.items()))
        floor = statistics.median(_timed([gittrain, "-h"]) for _ in range(RUNS)) * 1000
        print(f"\n`git-train -h` (interpreter + CLI start-up floor): {floor:.1f} ms")
        fast = "native hook (hooks/pre-commit)"
        goals["fast"] = got[fast]
        GOAL_CPU["fast"] = CPU_MS[fast]
        if BASELINE:
            GOAL_CPU[f"fast{BASELINE_TAG}"] = CPU_MS[fast + BASELINE_TAG]
        if BASELINE:
            goals[f"fast{BASELINE_TAG}"] = got[fast + BASELINE_TAG]
        calls = git_calls(root, native)
        # The same with a settings file, as `git train init` writes one.
        settings_text = "version: 1\njobs_dir: jobs\nlockfile: gittrain.lock\n"
        (root / ".gittrain.yaml").write_text(settings_text)
        git(root, "add", ".gittrain.yaml")
        git(root, "commit", "-q", "--no-verify", "-m", "settings", "--", ".gittrain.yaml")
        with_settings = interleaved(
            root,
            {"git commit, no hook": hook_script(None), fast: hook_script(native)},
        )
        report("the fast path with a .gittrain.yaml", list(with_settings.items()))
        goals["fast settings"] = with_settings[fast]
        goals["none settings"] = with_settings["git commit, no hook"]
        GOAL_CPU["fast settings"] = CPU_MS[fast]
        if BASELINE:
            goals[f"fast settings{BASELINE_TAG}"] = with_settings[fast + BASELINE_TAG]
            GOAL_CPU[f"fast settings{BASELINE_TAG}"] = CPU_MS[fast + BASELINE_TAG]
        print_goals(goals, got["git commit, no hook"], calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def staged_rounds(
    root: Path, jobs: int, variants: dict[str, Setup], goals: dict[str, float]
) -> None:
    """The hooks on ``jobs`` staged job files: a table, and the goals' wall and CPU medians."""
    got = interleaved(root, variants)
    rows = list(got.items())
    none = got["git commit, no hook"]
    goals[f"none {jobs}"] = none
    goals[f"pre-commit {jobs}"] = got[NATIVE]
    goals[f"pair {jobs}"] = got[PAIR]
    goals[f"cold pre-commit {jobs}"] = got[f"{COLD} {NATIVE}"]
    goals[f"cold pair {jobs}"] = got[f"{COLD} {PAIR}"]
    goals[f"new pre-commit {jobs}"] = got[f"{NEW} {NATIVE}"]
    goals[f"new pair {jobs}"] = got[f"{NEW} {PAIR}"]
    for key, label in (
        ("pre-commit", NATIVE),
        ("pair", PAIR),
        ("cold pre-commit", f"{COLD} {NATIVE}"),
        ("cold pair", f"{COLD} {PAIR}"),
        ("new pre-commit", f"{NEW} {NATIVE}"),
        ("new pair", f"{NEW} {PAIR}"),
    ):
        GOAL_CPU[f"{key} {jobs}"] = CPU_MS[label]
        if BASELINE:
            GOAL_CPU[f"{key} {jobs}{BASELINE_TAG}"] = CPU_MS[label + BASELINE_TAG]
            goals[f"{key} {jobs}{BASELINE_TAG}"] = got[label + BASELINE_TAG]
    report(
        f"{jobs} staged job file(s), dataset locked and unchanged",
        rows,
        note=f"{added(got, none)}\n{in_process(root)}",
    )


NATIVE = "native hook (hooks/pre-commit): validation + data check"
PAIR = "native pre-commit + prepare-commit-msg (the installed pair)"
# Issue 14, item 4: whole `git commit` with the hook(s), ms.
PRE_COMMIT_GOAL = 100.0
PAIR_GOAL = 170.0
# CPU ms (git and its hooks) beside each goal's wall median.
GOAL_CPU: dict[str, float] = {}


def git_calls(root: Path, native: str) -> list[str]:
    """The git commands the pre-commit hook runs on a commit that stages no config (the hook
    run by itself, as git runs it: from the top of the work tree)."""
    hook_script(native)(root)
    trace = root.parent / "git-trace.txt"
    trace.unlink(missing_ok=True)
    hook = str(root / HOOKS_DIR / "pre-commit")
    # As git runs a commit hook: at the top of the work tree, with GIT_INDEX_FILE exported.
    env = {**ENV, "GIT_TRACE": str(trace), "GIT_INDEX_FILE": str(root / ".git" / "index")}
    proc = subprocess.run([hook], cwd=root, env=env, capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the hook failed: {proc.stderr.decode()[-600:]}")
    marker = "trace: built-in: git "
    return [line.split(marker, 1)[1] for line in trace.read_text().splitlines() if marker in line]


def print_goals(goals: dict[str, float], none: float, calls: list[str]) -> None:
    """Each of issue 14's hook goals as measured / goal (at most 1.00 is met)."""
    print("\n### Goals (issue 14, item 4): a whole `git commit`, median ms (wall / CPU)")
    tail = " baseline | after / baseline (wall) |" if BASELINE else ""
    print("| goal | measured | ratio to the goal | ratio to no hook |" + tail)
    print("|---|---:|---:|---:|" + ("---:|---:|" if BASELINE else ""))
    rows = [
        (f"{key} {jobs}", goal, f"{label}, {jobs} staged job(s) ≤ {goal:.0f} ms", f"none {jobs}")
        for jobs in (1, 50)
        for key, goal, label in (
            ("pre-commit", PRE_COMMIT_GOAL, "native pre-commit"),
            ("pair", PAIR_GOAL, "pre-commit + prepare-commit-msg"),
            ("new pre-commit", PRE_COMMIT_GOAL, "native pre-commit, new job content"),
            ("new pair", PAIR_GOAL, "the pair, new job content"),
            ("cold pre-commit", PRE_COMMIT_GOAL, "native pre-commit, no hook cache"),
            ("cold pair", PAIR_GOAL, "the pair, no hook cache"),
        )
    ]
    rows.append(("fast", None, "fast path (no config staged)", ""))
    rows.append(("fast settings", None, "fast path, with a .gittrain.yaml", "none settings"))
    for key, goal, what, base_key in rows:
        ms = goals[key]
        base = goals.get(base_key, none)
        ratio = f"{ms / goal:.2f}" if goal else ""
        line = f"| {what} | {ms:.1f} / {GOAL_CPU[key]:.1f} | {ratio} | {ms / base:.1f}x |"
        if BASELINE:
            before = goals[key + BASELINE_TAG]
            line += f" {before:.1f} / {GOAL_CPU[key + BASELINE_TAG]:.1f} | {ms / before:.2f} |"
        print(line)
    print(f"\nfast path git calls ({len(calls)}): " + "; ".join(f"git {c}" for c in calls))


def added(got: dict[str, float], none: float) -> str:
    """What each hook adds to a commit, and what the data check adds to validation."""
    parts = [f"{label} +{ms - none:.1f} ms" for label, ms in got.items() if ms is not none]
    native = got[NATIVE]
    if "hook: git-train validate --staged" in got:
        data_cost = native - got["hook: git-train validate --staged"]
        parts.append(f"the data check adds {data_cost:.1f} ms to validation in the native hook")
    return "added to a commit: " + "; ".join(parts)


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=ENV, capture_output=True, check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
