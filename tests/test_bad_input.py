"""Bad input across every command: exit code, one line naming the file (and line) or revision,
no traceback, and nothing written or changed (reliability suite)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, Repo, snapshot

GOOD_JOB = (
    "name: a\nrecipe: grpo_basic\nnum_gpus: 8\ndatasets: {train: train}\nconfig:\n"
    "  algorithm: grpo\n  learning_rate: 1.0e-6\n  rollout_n: 8\n"
)

Setup = Callable[[Repo], None]


def write(rel: str, content: str | bytes) -> Setup:
    return lambda repo: repo.write(rel, content) and None


def nothing(repo: Repo) -> None:
    return None


def hooks_path_is_a_file(repo: Repo) -> None:
    repo.write("not-a-dir", "x\n")
    repo.git("config", "core.hooksPath", "not-a-dir")


def lockfile(text: str) -> Setup:
    return write("gittrain.lock", text)


def symlink_outside(rel: str, content: str | None) -> Setup:
    """``rel`` in the repository is a symlink to a file (or, for None, a directory) beside it."""

    def setup(repo: Repo) -> None:
        target = repo.root.parent / "elsewhere" / Path(rel).name
        if content is None:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        (repo.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo.root / rel).symlink_to(target)

    return setup


def symlink_loop(rel: str) -> Setup:
    """A dataset directory ``rel`` holding a symlink that points at itself."""

    def setup(repo: Repo) -> None:
        (repo.root / rel).mkdir(parents=True)
        (repo.root / rel / "a.jsonl").write_text('{"q": 1}\n')
        (repo.root / rel / "loop").symlink_to("loop")

    return setup


def one_long_line(rel: str, head: bytes, size: int, tail: bytes = b"") -> Setup:
    """``rel`` is one line of ``size`` bytes: ``head``, NUL bytes (a sparse file: no disk,
    no page cache) and ``tail``.  The scaled-down 20 GB single-line file of issue 14."""

    def setup(repo: Repo) -> None:
        path = repo.root / rel
        with open(path, "wb") as f:
            f.write(head)
            f.truncate(size - len(tail))
            f.seek(0, 2)
            f.write(tail)

    return setup


UNKNOWN_FRAMEWORK = 'version: 1\ndialects:\n  "configs/*.yaml": verll\n'

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)
CONFLICTED_LOCK = "# generated\nversion: 1\ndatasets:\n<<<<<<< HEAD\n  train: {}\n=======\n  train: {}\n>>>>>>> b\n"

# (id, setup, argv, exit code, needles that must be in the one error line)
CASES: list[tuple[str, Setup, list[str], int, list[str]]] = [
    ("recipe-show-unknown", nothing, ["recipe", "show", "nope"], 1, ["unknown recipe 'nope'"]),
    (
        "recipe-apply-unknown",
        nothing,
        ["recipe", "apply", "nope", "--model-size", "7B", "--gpus", "8", "-o", "jobs/x.yaml"],
        1,
        ["unknown recipe 'nope'"],
    ),
    (
        "recipe-apply-size-word",
        nothing,
        ["recipe", "apply", "sft_basic", "--model-size", "seven", "--gpus", "8"],
        2,
        ["'seven'"],
    ),
    (
        "recipe-apply-zero-gpus",
        nothing,
        ["recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "0"],
        2,
        ["--gpus"],
    ),
    (
        "recipe-apply-bad-set",
        nothing,
        ["recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "8", "--set", "a..b=1"],
        2,
        ["--set 'a..b=1'"],
    ),
    (
        "recipe-apply-set-alias",
        nothing,
        ["recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "8", "--set", "x=*a"],
        2,
        ["--set 'x=*a'"],
    ),
    (
        "recipe-apply-unset-missing",
        nothing,
        ["recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "8", "--unset", "nope"],
        2,
        ["--unset config.nope"],
    ),
    (
        "recipe-apply-escape",
        nothing,
        ["recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "8", "-o", "../x.yaml"],
        2,
        ["outside the repository"],
    ),
    (
        "recipe-apply-existing",
        write("jobs/x.yaml", "keep\n"),
        ["recipe", "apply", "sft_basic", "--model-size", "7B", "--gpus", "8", "-o", "jobs/x.yaml"],
        1,
        ["jobs/x.yaml: already exists"],
    ),
    ("recipe-new-bad-id", nothing, ["recipe", "new", "Bad", "--from", "sft_basic"], 2, ["'Bad'"]),
    ("recipe-new-unknown-base", nothing, ["recipe", "new", "x", "--from", "nope"], 1, ["'nope'"]),
    (
        "recipe-validate-missing",
        nothing,
        ["recipe", "validate", "nope.yaml", "--recipe", "sft_basic"],
        1,
        ["nope.yaml: no such file"],
    ),
    (
        "recipe-validate-dup-key",
        write("c.yaml", "a: 1\na: 2\n"),
        ["recipe", "validate", "c.yaml", "--recipe", "sft_basic"],
        1,
        ["c.yaml:2:1: duplicate key 'a' (first defined at line 1)"],
    ),
    (
        "recipe-validate-bom-latin1",
        write("c.yaml", b"\xef\xbb\xbfa: caf\xe9\n"),
        ["recipe", "validate", "c.yaml", "--recipe", "sft_basic"],
        1,
        ["c.yaml:1:7: not valid UTF-8"],
    ),
    (
        "recipe-validate-bomb",
        write("c.yaml", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"),
        ["recipe", "validate", "c.yaml", "--recipe", "sft_basic"],
        1,
        ["c.yaml:2:8: YAML aliases"],
    ),
    (
        "recipe-validate-cycle",
        write("c.yaml", "a: &a [*a]\n"),
        ["recipe", "validate", "c.yaml", "--recipe", "sft_basic"],
        1,
        ["c.yaml:1:8: alias *a refers to an undefined anchor"],
    ),
    (
        "recipe-validate-deep",
        write("c.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"),
        ["recipe", "validate", "c.yaml", "--recipe", "sft_basic"],
        1,
        ["c.yaml:1:"],
    ),
    (
        "recipe-validate-huge",
        write("c.yaml", "a: " + "x" * (17 * 1024 * 1024) + "\n"),
        ["recipe", "validate", "c.yaml", "--recipe", "sft_basic"],
        1,
        ["c.yaml: file is", "limit"],
    ),
    ("schema-unknown", nothing, ["schema", "nope"], 2, ["unknown schema 'nope'"]),
    (
        "settings-escape",
        write(".gittrain.yaml", "jobs_dir: /etc\n"),
        ["validate"],
        1,
        [".gittrain.yaml:1:1: jobs_dir"],
    ),
    (
        "settings-dup",
        write(".gittrain.yaml", "jobs_dir: a\njobs_dir: b\n"),
        ["recipe", "list"],
        1,
        [".gittrain.yaml:2:1: duplicate key"],
    ),
    ("diff-unknown-rev", nothing, ["diff", "nope"], 2, ["nope"]),
    ("diff-unknown-rev-range", nothing, ["diff", "HEAD..nope"], 2, ["nope"]),
    ("diff-path-outside", nothing, ["diff", "HEAD", "--", "../elsewhere.yaml"], 2, ["outside"]),
    ("diff-jobs-one-side", nothing, ["diff", "--jobs", "a"], 2, ["--jobs"]),
    (
        "diff-jobs-unknown",
        nothing,
        ["diff", "--jobs", "a", "nope"],
        1,
        ["there is no jobs/nope.yaml"],
    ),
    ("diff-jobs-bad-rev", nothing, ["diff", "--jobs", "a@nope", "a"], 2, ["nope"]),
    ("diff-recipes-unknown", nothing, ["diff", "--recipes", "sft_basic", "nope"], 1, ["nope"]),
    ("review-one-rev", nothing, ["review", "HEAD"], 2, ["review"]),
    ("review-unknown", nothing, ["review", "HEAD...nope"], 2, ["nope"]),
    ("data-add-missing", nothing, ["data", "add", "data/nope.jsonl"], 1, ["data/nope.jsonl"]),
    (
        "data-add-empty",
        write("data/e.jsonl", ""),
        ["data", "add", "data/e.jsonl"],
        1,
        ["data/e.jsonl"],
    ),
    (
        "data-add-bad-jsonl",
        write("data/b.jsonl", '{"a": 1}\n{"a": 2\n{"a": 3}\n'),
        ["data", "add", "data/b.jsonl"],
        1,
        ["data/b.jsonl:2"],
    ),
    (
        "data-add-truncated-parquet",
        write("data/t.parquet", b"PAR1\x00\x01\x02"),
        ["data", "add", "data/t.parquet"],
        1,
        ["data/t.parquet"],
    ),
    (
        "data-add-unterminated-csv",
        write("data/u.csv", 'a,b\n1,"never closed\n2,3\n'),
        ["data", "add", "data/u.csv"],
        1,
        ["data/u.csv"],
    ),
    (
        "data-add-unknown-format",
        write("data/x.bin", b"\x00\x01"),
        ["data", "add", "data/x.bin"],
        1,
        ["data/x.bin"],
    ),
    (
        "data-add-escape",
        nothing,
        ["data", "add", "../outside.jsonl"],
        2,
        ["../outside.jsonl: outside the repository"],
    ),
    (
        "data-add-absolute",
        nothing,
        ["data", "add", "/etc/passwd"],
        2,
        ["/etc/passwd: outside the repository"],
    ),
    (
        "data-add-conflicted-lock",
        lockfile(CONFLICTED_LOCK),
        ["data", "add", "data/train.jsonl"],
        1,
        ["gittrain.lock:4", "conflict"],
    ),
    (
        "data-status-conflicted-lock",
        lockfile(CONFLICTED_LOCK),
        ["data", "status"],
        1,
        ["gittrain.lock:4"],
    ),
    (
        "data-add-future-lock",
        lockfile("version: 99\ndatasets: {}\n"),
        ["data", "add", "data/train.jsonl"],
        1,
        ["gittrain.lock", "99"],
    ),
    (
        "data-status-truncated-lock",
        lockfile("version: 1\ndatasets:\n  train: {path: data/tr"),
        ["data", "status"],
        1,
        ["gittrain.lock"],
    ),
    ("data-remove-unknown", nothing, ["data", "remove", "nope"], 1, ["nope"]),
    ("data-log-unknown", nothing, ["data", "log", "nope"], 1, ["nope"]),
    ("data-lineage-bad-rev", nothing, ["data", "lineage", "train@nope"], 2, ["nope"]),
    ("data-compare-unknown", nothing, ["data", "compare", "train", "nope"], 1, ["nope"]),
    ("merge-lock-missing", nothing, ["merge-lock", "x", "y", "z"], 2, ["x: no such file"]),
    (
        "job-new-exists",
        nothing,
        ["job", "new", "a", "--recipe", "sft_basic", "--model-size", "7B", "--gpus", "8"],
        1,
        ["jobs/a.yaml: already exists"],
    ),
    (
        "job-new-bad-size",
        nothing,
        ["job", "new", "b", "--recipe", "sft_basic", "--model-size", "7", "--gpus", "8"],
        2,
        ["'7'"],
    ),
    (
        "job-finish-unknown",
        nothing,
        ["job", "finish", "nope", "--status", "completed"],
        1,
        ["no job 'nope'"],
    ),
    (
        "job-finish-bad-metric",
        nothing,
        ["job", "finish", "a", "--status", "completed", "--metric", "acc=high"],
        2,
        ["--metric 'acc=high'", "number"],
    ),
    (
        "job-finish-broken-file",
        write("jobs/a.yaml", "name: a\nname: b\n"),
        ["job", "finish", "a", "--status", "failed"],
        1,
        ["jobs/a.yaml:2:1: duplicate key"],
    ),
    ("job-show-bad-rev", nothing, ["job", "show", "a@nope"], 2, ["nope"]),
    ("job-clone-unknown", nothing, ["job", "clone", "nope", "--name", "b"], 1, ["no job 'nope'"]),
    ("job-clone-bad-name", nothing, ["job", "clone", "a", "--name", "bad name"], 2, ["bad name"]),
    (
        "experience-best-no-target",
        nothing,
        ["experience", "best", "--metric", "acc"],
        2,
        ["--recipe"],
    ),
    ("experience-suggest-unknown", nothing, ["experience", "suggest", "nope"], 1, ["'nope'"]),
    ("experience-similar-bad-rev", nothing, ["experience", "similar", "a@nope"], 2, ["nope"]),
    ("textconv-missing", nothing, ["textconv", "nope.yaml"], 2, ["nope.yaml"]),
    ("install-hooks-path-is-a-file", hooks_path_is_a_file, ["install", "--hooks"], 2, ["hooks"]),
    (
        "data-add-symlink-loop",
        symlink_loop("data/loopy"),
        ["data", "add", "data/loopy"],
        1,
        ["data/loopy/loop", "symlink loop"],
    ),
    (
        "job-finish-note-not-utf8",
        nothing,
        ["job", "finish", "a", "--status", "failed", "--note", "bad \udcff"],
        2,
        ["--note", "not valid UTF-8"],
    ),
    (
        "job-new-model-not-utf8",
        nothing,
        [
            "job",
            "new",
            "b",
            "--recipe",
            "grpo_basic",
            "--model-size",
            "7B",
            "--gpus",
            "8",
            "--model",
            "\udcffm",
        ],
        2,
        ["--model", "not valid UTF-8"],
    ),
    (
        "recipe-apply-set-not-utf8",
        nothing,
        [
            "recipe",
            "apply",
            "sft_basic",
            "--model-size",
            "7B",
            "--gpus",
            "8",
            "-o",
            "jobs/s.yaml",
            "--set",
            "note=\udcff",
        ],
        2,
        ["--set", "not valid UTF-8"],
    ),
    (
        "data-add-tag-not-utf8",
        nothing,
        ["data", "add", "data/train.jsonl", "--tag", "\udce9t\udce9"],
        2,
        ["--tag", "not valid UTF-8"],
    ),
    (
        "data-add-description-not-utf8",
        nothing,
        ["data", "add", "data/train.jsonl", "--description", "caf\udce9"],
        2,
        ["--description", "not valid UTF-8"],
    ),
    (
        "settings-lockfile-in-git",
        write(".gittrain.yaml", "version: 1\nlockfile: .git/hooks/post-checkout\n"),
        ["data", "add", "data/train.jsonl", "--name", "t2"],
        1,
        [".gittrain.yaml:2", "inside .git"],
    ),
    (
        "settings-jobs-dir-is-git",
        write(".gittrain.yaml", "version: 1\njobs_dir: .git\n"),
        ["job", "new", "b", "--recipe", "grpo_basic", "--model-size", "7B", "--gpus", "8"],
        1,
        [".gittrain.yaml:2", "inside .git"],
    ),
    (
        "settings-lockfile-glob",
        write(".gittrain.yaml", "version: 1\nlockfile: '*'\n"),
        ["data", "status"],
        1,
        [".gittrain.yaml:2", "glob characters"],
    ),
    (
        "job-finish-symlink-outside",
        symlink_outside("jobs/out.yaml", GOOD_JOB.replace("name: a", "name: out")),
        ["job", "finish", "out", "--status", "failed"],
        2,
        ["jobs/out.yaml", "outside the repository"],
    ),
    (
        "validate-symlink-outside",
        symlink_outside("jobs/out.yaml", GOOD_JOB.replace("name: a", "name: out")),
        ["validate", "jobs/out.yaml"],
        2,
        ["jobs/out.yaml", "outside the repository"],
    ),
    (
        "recipe-new-recipes-dir-outside",
        symlink_outside("recipes", None),
        ["recipe", "new", "mine", "--from", "grpo_basic"],
        2,
        ["recipes/mine.yaml", "outside the repository"],
    ),
    *[
        (
            f"settings-unknown-framework-{name}",
            write(".gittrain.yaml", UNKNOWN_FRAMEWORK),
            argv,
            2,
            [".gittrain.yaml:3:3: dialects: unknown framework 'verll'; did you mean 'verl'?"],
        )
        for name, argv in (
            ("validate", ["validate"]),
            ("validate-itself", ["validate", ".gittrain.yaml"]),
            ("diff", ["diff"]),
            ("lint-yaml", ["lint-yaml", "jobs/a.yaml"]),
        )
    ],
    (
        "settings-spellings-unknown-framework",
        write(".gittrain.yaml", "version: 1\nspellings:\n  trll: {my_lr: learning_rate}\n"),
        ["validate"],
        2,
        [".gittrain.yaml:3:3: spellings: unknown framework 'trll'; did you mean 'trl'?"],
    ),
    (
        "settings-spelling-clashes",
        write(".gittrain.yaml", "version: 1\nspellings:\n  trl:\n    learning_rate: kl_coef\n"),
        ["diff"],
        1,
        [
            ".gittrain.yaml:4:5: spellings.trl.learning_rate: TRL already reads "
            "learning_rate as 'learning_rate', not 'kl_coef'"
        ],
    ),
    (
        "settings-spelling-unknown-idea",
        write(".gittrain.yaml", "version: 1\nspellings:\n  trl:\n    my_lr: learnig_rate\n"),
        ["lint-yaml", "jobs/a.yaml"],
        1,
        [".gittrain.yaml:4:5: spellings.trl.my_lr: unknown idea 'learnig_rate'; did you mean"],
    ),
    (
        "settings-rule-id-typo",
        write(".gittrain.yaml", "version: 1\nrules:\n  lr-rnage: off\n"),
        ["validate"],
        1,
        [
            ".gittrain.yaml:3:3: rules.lr-rnage: unknown rule id 'lr-rnage'; did you mean 'lr-range'?"
        ],
    ),
    (
        "job-finish-from-missing",
        nothing,
        ["job", "finish", "a", "--from", "out/x.json"],
        1,
        ["out/x.json: no such file or directory"],
    ),
    (
        "job-finish-from-garbled",
        write("out/trainer_state.json", '{"log_history": [\n  {"loss": 1.5,}\n'),
        ["job", "finish", "a", "--from", "out"],
        1,
        ["out/trainer_state.json:2:16: not valid JSON"],
    ),
    (
        "job-finish-from-nan",
        write("out/all_results.json", '{"eval_loss": NaN, "epoch": 1.0}'),
        ["job", "finish", "a", "--from", "out/all_results.json"],
        1,
        ["out/all_results.json: eval_loss is NaN"],
    ),
    (
        "job-finish-from-jsonl-infinity",
        write(
            "logs/m.jsonl",
            '{"step": 1, "data": {"loss": 1}}\n{"step": 2, "data": {"loss": Infinity}}\n',
        ),
        ["job", "finish", "a", "--from", "logs/m.jsonl"],
        1,
        ["logs/m.jsonl:2: loss is Infinity"],
    ),
    (
        "job-finish-from-no-metric",
        write("r.json", '{"model": "x", "done": true}'),
        ["job", "finish", "a", "--from", "r.json"],
        1,
        ["r.json: no numeric metric"],
    ),
    (
        "job-run-already-running",
        write("jobs/a.yaml", GOOD_JOB + "result: {status: running}\n"),
        ["job", "run", "a", "--", "true"],
        1,
        ["jobs/a.yaml:9:10", "already running", "--force"],
    ),
    (
        "job-run-command-not-found",
        nothing,
        ["job", "run", "a", "--", "no-such-trainer-xyz"],
        2,
        ["no-such-trainer-xyz: command not found"],
    ),
    (
        "experience-recommend-model-size",
        nothing,
        ["experience", "recommend", "--model-size", "7X"],
        2,
        ["--model-size", "'7X'", "3B-14B"],
    ),
    (
        "experience-best-model-size-backwards",
        nothing,
        ["experience", "best", "--recipe", "grpo_basic", "--model-size", "14B-3B"],
        2,
        ["--model-size", "'14B-3B'", "larger size to a smaller"],
    ),
    (
        "experience-suggest-model-size",
        nothing,
        ["experience", "suggest", "a", "--model-size", ">=x"],
        2,
        ["--model-size", "'>=x'"],
    ),
    (
        "experience-similar-model-size-empty",
        nothing,
        ["experience", "similar", "a", "--model-size", ""],
        2,
        ["--model-size", "''"],
    ),
    ("recipe-show-unknown-rev", nothing, ["recipe", "show", "grpo_basic@nope"], 2, ["'nope'"]),
    (
        "recipe-show-absent-at-rev",
        write("recipes/mine.yaml", 'name: mine\nextends: grpo_basic\nversion: "1.0.0"\n'),
        ["recipe", "show", "mine@HEAD"],
        1,
        ["no recipe 'mine' at HEAD"],
    ),
    (
        "recipe-apply-unknown-rev",
        nothing,
        [
            "recipe",
            "apply",
            "grpo_basic@v9",
            "--model-size",
            "7B",
            "--gpus",
            "8",
            "-o",
            "jobs/x.yaml",
        ],
        2,
        ["unknown revision 'v9'"],
    ),
    (
        "job-new-recipe-absent-at-rev",
        nothing,
        ["job", "new", "x", "--recipe", "mine@HEAD", "--model-size", "7B", "--gpus", "8"],
        1,
        ["no recipe 'mine' at HEAD"],
    ),
    ("recipe-log-unknown", nothing, ["recipe", "log", "nope"], 1, ["no recipe 'nope'"]),
    ("recipe-log-bad-id", nothing, ["recipe", "log", "../x"], 2, ["'../x': recipe ids"]),
    (
        "diff-message-search-finds-nothing",
        nothing,
        ["diff", ":/no such message", "--fail-on", "noise"],
        2,
        ["unknown revision or path", "':/no such message'"],
    ),
    (
        "job-show-message-search-finds-nothing",
        nothing,
        ["job", "show", "a@:/no such message"],
        2,
        ["unknown revision ':/no such message'"],
    ),
    (
        "recipe-show-broken-override",
        write("recipes/grpo_basic.yaml", "name: grpo_basic\nversion: 2\n"),
        ["recipe", "show", "grpo_basic"],
        1,
        ["recipes/grpo_basic.yaml", "recipe 'grpo_basic' is broken"],
    ),
    (
        "recipe-apply-unparsable-override",
        write("recipes/grpo_basic.yaml", "name: [\n"),
        ["recipe", "apply", "grpo_basic", "--model-size", "7B", "--gpus", "8", "-o", "jobs/x.yaml"],
        1,
        ["recipes/grpo_basic.yaml:", "recipe 'grpo_basic' is broken"],
    ),
    (
        "data-add-lfs-pointer",
        write("data/big.csv", LFS_POINTER),
        ["data", "add", "data/big.csv"],
        1,
        ["data/big.csv", "git-lfs pointer", "git lfs pull"],
    ),
    (
        "data-update-lfs-pointer",
        lambda repo: repo.write("data/train.jsonl", LFS_POINTER) and None,
        ["data", "update"],
        1,
        ["data/train.jsonl", "git-lfs pointer", "git lfs pull"],
    ),
    # Remote datasets and the data: settings (issue 13); cases that need a server live in
    # tests/test_remote_*.py beside the servers they start.
    ("settings-data-not-mapping", write(".gittrain.yaml", "data: [x]\n"), ["check-data"], 1,
     [".gittrain.yaml:1:1", "data: expected a mapping"]),
    ("settings-data-unknown-key", write(".gittrain.yaml", "data: {unlock: off}\n"), ["check-data"],
     1, [".gittrain.yaml:1:", "data.unlock", "did you mean unlocked?"]),
    ("settings-data-unlocked-value", write(".gittrain.yaml", "data: {unlocked: ignore}\n"),
     ["check-data"], 1, [".gittrain.yaml:1:", "data.unlocked", "'ignore'"]),
    ("settings-data-remote-value", write(".gittrain.yaml", "data: {remote: always}\n"),
     ["check-data"], 1, [".gittrain.yaml:1:", "data.remote", "verify, skip"]),
    ("data-add-ftp-url", nothing, ["data", "add", "ftp://host/x.parquet"], 2,
     ["ftp://host/x.parquet", "unsupported URL scheme 'ftp'"]),
    ("data-add-hub-model", nothing, ["data", "add", "hf://models/org/x"], 2,
     ["hf://models/org/x", "only Hub datasets"]),
    ("data-add-bad-bucket", nothing, ["data", "add", "s3://Bad_Bucket/x.parquet"], 2,
     ["'Bad_Bucket' is not a valid bucket name"]),
    ("data-add-unknown-executor", nothing,
     ["data", "add", "s3://bucket/x.parquet", "--executor", "ray"], 2, ["--executor ray"]),
    ("data-show-unknown-name", nothing, ["data", "show", "nope"], 1,
     ["gittrain.lock", "no dataset named 'nope'"]),
    ("data-show-unknown-version", nothing, ["data", "show", "1234567"], 1,
     ["gittrain.lock", "no version starting with 1234567"]),
    ("data-show-bad-argument", nothing, ["data", "show", "../x"], 2, ["'../x'"]),
    ("data-show-unknown-revision", nothing, ["data", "show", "train@no-such-rev"], 2,
     ["unknown revision 'no-such-rev'"]),
    ("data-add-dask-empty-address", nothing,
     ["data", "add", "s3://bucket/x.parquet", "--executor", "dask="], 2, ["--executor dask="]),
    ("data-add-dask-bad-address", nothing,
     ["data", "add", "s3://bucket/x.parquet", "--executor", "dask=nohost"], 2,
     ["dask scheduler nohost", "not an address"]),
    ("data-add-dask-tls-unset", nothing,
     ["data", "add", "s3://bucket/x.parquet", "--executor", "dask=tls://h:1"], 2,
     ["tls:// needs dask's TLS settings"]),
    ("data-add-long-line-jsonl", one_long_line("big.jsonl", b"", 40 << 20),
     ["data", "add", "big.jsonl"], 1,
     ["big.jsonl:1: malformed JSON record", "a line of 41,943,040 bytes", "not a JSON object"]),
    ("data-add-long-line-json", write("big.json", b'[{"t": "' + b"x" * (20 << 20) + b'"}]'),
     ["data", "add", "big.json"], 1, ["big.json:1:2: a record of more than 16 MiB"]),
    ("data-add-long-line-csv", one_long_line("big.csv", b'a,b\n1,"', 40 << 20),
     ["data", "add", "big.csv"], 1, ["big.csv:2: unterminated quoted field"]),
]  # fmt: skip


@pytest.fixture
def project(repo: Repo, cli: Cli) -> Repo:
    repo.write("jobs/a.yaml", GOOD_JOB)
    repo.write("data/train.jsonl", '{"prompt": "a"}\n{"prompt": "b"}\n')
    assert cli("data", "add", "data/train.jsonl", cwd=repo.root).code == 0
    repo.commit("base")
    return repo


@pytest.mark.parametrize(
    ("setup", "argv", "code", "needles"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_input(
    project: Repo, cli: Cli, setup: Setup, argv: list[str], code: int, needles: list[str]
) -> None:
    setup(project)
    before = snapshot(project.root)
    result = cli(*argv, cwd=project.root)
    assert result.code == code, result
    assert "Traceback" not in result.out + result.err, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert snapshot(project.root) == before


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_validate_reports_every_trap_as_data(project: Repo, cli: Cli) -> None:
    traps = {
        "jobs/t1.yaml": "name: t1\nlr: 1\nlr: 2\n",
        "jobs/t2.yaml": "name: t2\nconfig: !!python/object:os.system {}\n",
        "jobs/t3.yaml": "name: t3\nconfig:\n  learning_rate: .inf\n",
        "jobs/t4.yaml": "- not a mapping\n",
        "jobs/t5.yaml": "",
        "jobs/t6.yaml": "a: 1\n---\na: 2\n",
        "jobs/t7.yaml": "name: t7\n\tconfig: {}\n",
    }
    for rel, text in traps.items():
        project.write(rel, text)
    before = snapshot(project.root)
    result = cli("validate", "--format", "json", cwd=project.root)
    assert result.code == 1
    files = {f["path"]: f["problems"] for f in json.loads(result.out)["files"]}
    for rel in traps:
        assert files[rel], rel
        assert files[rel][0]["rule"] == "yaml"
    assert snapshot(project.root) == before


def test_huge_file_is_rejected_without_reading_it(project: Repo, cli: Cli, tmp_path: Path) -> None:
    import resource
    import time

    big = project.root / "jobs/huge.yaml"
    with big.open("wb") as handle:
        handle.truncate(2 * 1024 * 1024 * 1024)  # sparse: 2 GiB of NULs
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = cli("validate", "jobs/huge.yaml", cwd=project.root)
    assert time.perf_counter() - start < 5
    assert result.code == 1
    assert "jobs/huge.yaml: error: file is 2147483648 bytes; the limit is" in result.out
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024


def test_conflicting_markers_are_one_note_and_generic_rules_still_run(
    project: Repo, cli: Cli
) -> None:
    project.write(
        "configs/mixed.yaml",
        "stage: sft\nlearning_rate: 1.0e-5\nrl: dpo\nper_device_train_batch_size: 0\n",
    )
    before = snapshot(project.root)
    result = cli("validate", "configs/mixed.yaml", cwd=project.root)
    assert result.code == 1, result
    assert result.out.splitlines()[:2] == [
        "configs/mixed.yaml:3:1: warning: rl: markers of two frameworks: stage (LLaMA-Factory, "
        "line 1) and rl (axolotl, line 3); checked with the generic rules (name the dialect "
        "in .gittrain.yaml `dialects:`) [dialect]",
        "configs/mixed.yaml:4:1: error: per_device_train_batch_size: must be a positive whole "
        "number, not 0 [positive-count]",
    ]
    assert "Traceback" not in result.out + result.err
    assert snapshot(project.root) == before


def test_a_staged_settings_file_is_checked_as_staged(project: Repo, cli: Cli) -> None:
    """The hook checks the .gittrain.yaml the commit holds, not the one gittrain loaded."""
    project.write(".gittrain.yaml", UNKNOWN_FRAMEWORK)
    project.git("add", ".gittrain.yaml")
    project.write(".gittrain.yaml", "version: 1\n")
    result = cli("validate", "--staged", cwd=project.root)
    assert result.code == 1, result
    assert result.out.splitlines()[0] == (
        ".gittrain.yaml:3:3: error: dialects: unknown framework 'verll'; did you mean 'verl'? "
        "[settings]"
    )
    project.write(".gittrain.yaml", "version: 1\nrules:\n  lr-rnage: off\n")
    project.git("add", ".gittrain.yaml")
    project.write(".gittrain.yaml", "version: 1\n")
    result = cli("validate", "--staged", cwd=project.root)
    assert result.out.splitlines()[0] == (
        ".gittrain.yaml:3:3: error: rules.lr-rnage: unknown rule id 'lr-rnage'; "
        "did you mean 'lr-range'? [settings]"
    )
