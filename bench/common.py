"""Shared timing helpers: whole-process runs, medians and ratios, printed as a table."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BIN = Path(sys.executable).parent


def ensure_bytecode(python: str = sys.executable) -> None:
    """Compile the gittrain that ``python`` imports, as any pip install does.

    With PYTHONDONTWRITEBYTECODE set (this sandbox sets it) an editable install
    recompiles every gittrain module it imports on every run, which is not what users
    see: whole-process figures taken that way were 10-25 ms too high.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = (
        "import compileall, os, gittrain\n"
        "compileall.compile_dir(os.path.dirname(gittrain.__file__), quiet=1)"
    )
    # -I: import the gittrain that python's environment installs, not one in the cwd.
    subprocess.run([python, "-I", "-c", code], env=env, check=True, capture_output=True)


def tool(name: str) -> str:
    """A console script from this virtual environment (git-train, check-jsonschema)."""
    return str(BIN / name)


def time_runs(
    argv: Sequence[str],
    *,
    runs: int,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> list[float]:
    """Wall-clock seconds of ``runs`` whole-process runs (after one warm-up run)."""
    times: list[float] = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode not in ok:
            raise SystemExit(
                f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}"
            )
        if i:
            times.append(elapsed)
    return times


def median_ms(times: Sequence[float]) -> float:
    return statistics.median(times) * 1000


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(title: str, rows: Sequence[tuple[str, float]], note: str = "") -> None:
    """Print ``(label, median ms)`` rows with each row's ratio to the first."""
    print(f"\n### {title}")
    if note:
        print(note)
    base = rows[0][1]
    print(f"| what | median ms | ratio to {rows[0][0]} |")
    print("|---|---:|---:|")
    for label, ms in rows:
        print(f"| {label} | {ms:.1f} | {ms / base:.2f}x |")


def one_job_repo(root: Path, job: str) -> None:
    """A git repository at ``root`` with ``jobs/a.yaml`` holding ``job``, committed."""
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (root / "jobs").mkdir()
    (root / "jobs/a.yaml").write_text(job)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "job"], check=True)


def drop_stat_cache(repo: Path) -> None:
    """Delete gittrain's stat cache in ``repo`` (either format), so every file is re-hashed."""
    import shutil

    shutil.rmtree(repo / ".git/gittrain/statcache", ignore_errors=True)
    (repo / ".git/gittrain/statcache.json").unlink(missing_ok=True)
