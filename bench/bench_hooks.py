"""Hook benchmarks: whole-process timings of a real `git commit` with each hook installed.

* the `gittrain-validate` hook's command on 1 and 50 staged job files, against
  check-jsonschema with the same JSON Schema (schemas/job.schema.json);
* the same two through the real pre-commit framework (`repo: local` hooks);
* the native pre-commit hook (validation + data check), validation alone, and no hook.

Every commit is undone with `git reset --soft HEAD~1` (not timed) so each run commits the
same staged files.  Medians of RUNS runs after one warm-up.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import JOB  # the same job files the validation benchmark uses
from common import BIN, machine, report, tool

PROJECT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("GITTRAIN_BENCH_RUNS", "15"))
SCHEMA = PROJECT / "schemas/job.schema.json"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_EXEC_PATH"}
    out.update(
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
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
    (root / "data/gsm8k.jsonl").write_text('{"q": "1+1", "a": "2"}\n' * 200)
    subprocess.run(
        [tool("git-train"), "data", "add", "data/gsm8k.jsonl", "--name", "gsm8k_train"],
        cwd=root,
        env=ENV,
        check=True,
        capture_output=True,
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    (root / "jobs").mkdir()
    for i in range(jobs):
        (root / f"jobs/job-{i:03d}.yaml").write_text(JOB.format(i=i))
    git(root, "add", "-A")
    return root


def set_hook(root: Path, script: str | None) -> None:
    hook = root / ".git/hooks/pre-commit"
    for name in ("pre-commit", "prepare-commit-msg", "post-checkout", "post-merge"):
        (root / ".git/hooks" / name).unlink(missing_ok=True)
    (root / ".pre-commit-config.yaml").unlink(missing_ok=True)
    if script is not None:
        hook.write_text(script)
        hook.chmod(0o755)


def staged_hook(command: str) -> str:
    """A hook that runs ``command`` on the staged files, as pre-commit passes filenames."""
    return (
        "#!/bin/sh\n"
        "git diff --cached --name-only -z --diff-filter=ACMR -- 'jobs/*.yaml' "
        f"| xargs -0 {command}\n"
    )


def commit_times(root: Path) -> list[float]:
    times = []
    for i in range(RUNS + 1):
        start = time.perf_counter()
        proc = subprocess.run(
            ["git", "-C", str(root), "commit", "-q", "-m", "bench"],
            env=ENV,
            capture_output=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"commit failed: {proc.stderr.decode()[-600:]}")
        git(root, "reset", "-q", "--soft", "HEAD~1")
        if i:
            times.append(elapsed)
    return times


def ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def pre_commit_config(entry: str, name: str) -> str:
    return (
        "repos:\n  - repo: local\n    hooks:\n"
        f"      - id: {name}\n        name: {name}\n        entry: {entry}\n"
        "        language: system\n        files: ^jobs/.*\\.yaml$\n        require_serial: true\n"
    )


def via_pre_commit(root: Path, entry: str, name: str, home: Path) -> list[float]:
    set_hook(root, None)
    (root / ".pre-commit-config.yaml").write_text(pre_commit_config(entry, name))
    subprocess.run(
        [tool("pre-commit"), "install"],
        cwd=root,
        env={**ENV, "PRE_COMMIT_HOME": str(home)},
        check=True,
        capture_output=True,
    )
    git(root, "add", ".pre-commit-config.yaml")
    try:
        os.environ["PRE_COMMIT_HOME"] = str(home)
        ENV["PRE_COMMIT_HOME"] = str(home)
        return commit_times(root)
    finally:
        ENV.pop("PRE_COMMIT_HOME", None)
        os.environ.pop("PRE_COMMIT_HOME", None)
        git(root, "rm", "-q", "--cached", ".pre-commit-config.yaml")


def main() -> int:
    print(f"machine: {machine()}; {RUNS} runs each (median), whole `git commit` processes")
    work = Path(tempfile.mkdtemp(prefix="gittrain-bench-hooks-"))
    gittrain = tool("git-train")
    cjs = f"{tool('check-jsonschema')} --schemafile {SCHEMA}"
    try:
        for jobs in (1, 50):
            root = make_repo(work, jobs)
            set_hook(root, None)
            none = ms(commit_times(root))
            set_hook(root, staged_hook(f"{gittrain} validate --quiet"))
            ours = ms(commit_times(root))
            set_hook(root, staged_hook(cjs))
            theirs = ms(commit_times(root))
            report(
                f"gittrain-validate vs check-jsonschema, {jobs} staged job file(s)",
                [
                    ("git commit, no hook", none),
                    ("hook: git-train validate FILES", ours),
                    ("hook: check-jsonschema --schemafile job.schema.json FILES", theirs),
                ],
                note=f"hook cost: gittrain {ours - none:.1f} ms, check-jsonschema "
                f"{theirs - none:.1f} ms",
            )
            home = work / "pre-commit-home"
            pc_ours = ms(via_pre_commit(root, f"{gittrain} validate --quiet", "gv", home))
            pc_theirs = ms(via_pre_commit(root, cjs, "cjs", home))
            report(
                f"through the pre-commit framework, {jobs} staged job file(s)",
                [
                    ("git commit, no hook", none),
                    ("pre-commit: gittrain-validate", pc_ours),
                    ("pre-commit: check-jsonschema", pc_theirs),
                ],
            )
            set_hook(root, (PROJECT / "hooks/pre-commit").read_text())
            native = ms(commit_times(root))
            set_hook(root, f"#!/bin/sh\nexec {gittrain} validate --staged --quiet\n")
            validate_only = ms(commit_times(root))
            report(
                f"native pre-commit hook, {jobs} staged job file(s), dataset unchanged",
                [
                    ("git commit, no hook", none),
                    ("hook: git-train validate --staged", validate_only),
                    ("native hook: validation + data check", native),
                ],
                note=f"the data check adds {native - validate_only:.1f} ms over validation "
                f"alone; the whole hook adds {native - none:.1f} ms to a commit",
            )
        floor = ms([_timed([gittrain, "-h"]) for _ in range(RUNS)])
        print(f"\n`git-train -h` (interpreter + CLI start-up floor): {floor:.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=ENV, capture_output=True, check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
