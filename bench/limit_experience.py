"""The plumbing limit for mining job history: `git log --raw`, `cat-file --batch`, libyaml.

`git log --first-parent --raw --no-renames` without a pathspec (the paths are filtered
here: a pathspec costs git more than the walk at 5,000 jobs), one `cat-file --batch`
for every new blob under the directories, and libyaml's C loader on each.

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
    # No pathspec: git would match every entry of a wide jobs/ tree against it on every
    # commit (2-3x the walk at 5,000 jobs); the paths are filtered here instead.
    log = subprocess.run(
        [
            "git",
            "-C",
            repo,
            "log",
            "--first-parent",
            "--raw",
            "-z",
            "--no-renames",
            "--no-abbrev",
            "--format=%x1e%H",
        ],
        capture_output=True,
        check=True,
    ).stdout
    prefixes = tuple(f"{d.rstrip('/')}/".encode() for d in dirs or ("jobs",))
    blobs = []
    tokens = log.split(b"\0")
    for i, raw in enumerate(tokens):
        token = raw.lstrip(b"\n")
        if token.startswith(b":") and tokens[i + 1].startswith(prefixes):
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
