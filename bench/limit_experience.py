"""The plumbing limit for mining job history: `git log --raw`, `cat-file --batch`, libyaml.

Reads every version of every job file on HEAD's first-parent history and parses
each with libyaml's C loader; nothing else.  `bench_experience.py` times it.  With
more directories (`jobs configs`), the trainer files that config_file jobs name are
read and parsed the same way: the least any miner of those jobs must do.

    python bench/limit_experience.py REPO [DIR ...]
"""

from __future__ import annotations

import subprocess
import sys

import yaml


def main(repo: str, *dirs: str) -> int:
    log = subprocess.run(
        [
            "git",
            "-C",
            repo,
            "log",
            "--first-parent",
            "--raw",
            "-z",
            "-M",
            "--no-abbrev",
            "--format=%x1e%H",
            "--",
            *(dirs or ("jobs",)),
        ],
        capture_output=True,
        check=True,
    ).stdout
    blobs = []
    for raw in log.split(b"\0"):
        token = raw.lstrip(b"\n")
        if token.startswith(b":"):
            new_sha = token.split(b" ")[3]
            if new_sha != b"0" * 40:
                blobs.append(new_sha)
    batch = subprocess.run(
        ["git", "-C", repo, "cat-file", "--batch"],
        input=b"\n".join(blobs) + b"\n",
        capture_output=True,
        check=True,
    ).stdout
    pos = parsed = 0
    loader = yaml.CSafeLoader
    while pos < len(batch):
        end = batch.index(b"\n", pos)
        size = int(batch[pos:end].split(b" ")[2])
        yaml.load(batch[end + 1 : end + 1 + size], Loader=loader)
        parsed += 1
        pos = end + 2 + size
    print(parsed)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
