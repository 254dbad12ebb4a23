"""Jobs that name remote datasets: `check-data`, the git hooks, and commits that stay offline."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, Repo
from hookhelp import env_with_path, git_commit, run
from hub_server import HubFile, HubServer
from lockhelp import EVAL, GSM8K, PAGE, SHARDS, write_lock

from gittrain.core.data.lockfile import Lockfile
from tests.remote_servers import S3

JOB = "name: {name}\nrecipe: grpo_basic\nnum_gpus: 8\ndatasets:\n  eval: {dataset}\nconfig:\n  algorithm: grpo\n  learning_rate: 1.0e-6\n  rollout_n: 8\n"
# Every library that reaches a remote store, and numpy (only counting a JSONL file needs
# it); the hooks must load none of them.
REMOTE_LIBRARIES = (
    "numpy",
    "fsspec",
    "s3fs",
    "gcsfs",
    "botocore",
    "boto3",
    "aiobotocore",
    "huggingface_hub",
    "aiohttp",
    "dask",
    "distributed",
)


def job(name: str, dataset: str) -> str:
    return JOB.format(name=name, dataset=dataset)


@pytest.mark.parametrize(
    "ref",
    [
        "gsm8k",
        "hf://datasets/openai/gsm8k",
        "hf://datasets/openai/gsm8k/",
        "HF://datasets/openai/gsm8k",
        "openai/gsm8k",
        "eval",
        "s3://team-data/eval/eval.parquet",
        "shards",
        "gs://team-data/shards/",
        "gs://team-data/shards",
        "https://example.org/data/page.jsonl",
    ],
)
def test_a_job_may_name_a_locked_remote_dataset_by_name_url_or_hub_id(
    repo: Repo, cli: Cli, ref: str
) -> None:
    write_lock(repo, GSM8K, EVAL, SHARDS, PAGE)
    repo.write("jobs/a.yaml", job("a", ref))
    result = cli("check-data", cwd=repo.root)
    assert (result.code, result.out, result.err) == (0, "", ""), result


def test_resolve_matches_the_place_not_the_spelling() -> None:
    lock = Lockfile({e.name: e for e in (GSM8K, EVAL, SHARDS, PAGE)})
    assert lock.resolve("openai/gsm8k") is GSM8K
    assert lock.resolve("hf://datasets/openai/gsm8k/") is GSM8K
    assert lock.resolve("openai/gsm8k@v2") is None  # another revision is another dataset
    assert lock.resolve("hf://datasets/openai/other") is None
    assert lock.resolve("s3://team-data/eval/eval.parquet") is EVAL
    assert lock.resolve("s3://team-data/eval/") is None
    assert lock.resolve("gs://team-data/shards") is SHARDS
    assert lock.resolve("ftp://team-data/shards/") is None  # not a URL gittrain reads
    assert lock.resolve("https://example.org/data/page.jsonl") is PAGE


@pytest.mark.parametrize(
    ("ref", "setup", "tail"),
    [
        # A Hub id names a Hub dataset, unless the repository has that path.
        ("openai/gsm8k", None, "lock it with `git train data add hf://datasets/openai/gsm8k`"),
        (
            "openai/gsm8k@v1.2",
            None,
            "lock it with `git train data add hf://datasets/openai/gsm8k@v1.2`",
        ),
        ("openai/gsm8k", "openai/gsm8k/a.jsonl", "lock it with `git train data add openai/gsm8k`"),
        ("data/train", "data/other.jsonl", "lock it with `git train data add data/train`"),
        ("data/x.jsonl", None, "lock it with `git train data add data/x.jsonl`"),
        ("s3://bk1/k.parquet", None, "lock it with `git train data add s3://bk1/k.parquet`"),
        ("S3://bk1/prefix/", None, "lock it with `git train data add s3://bk1/prefix/`"),
        (
            "hf://datasets/openai/gsm8k/main/train.parquet",
            None,
            "lock it with `git train data add hf://datasets/openai/gsm8k/main/train.parquet`",
        ),
        (
            "https://example.org/a.csv",
            None,
            "lock it with `git train data add https://example.org/a.csv`",
        ),
        ("gsm8k", None, "lock it with `git train data add`"),
        (
            "ftp://host/a.jsonl",
            None,
            "and gittrain cannot lock it: ftp://host/a.jsonl: unsupported URL scheme 'ftp' "
            "(use s3://, gs://, hf:// or https://)",
        ),
        (
            "hf://models/openai/gpt",
            None,
            "and gittrain cannot lock it: hf://models/openai/gpt: only Hub datasets are "
            "supported (hf://datasets/ORG/NAME[@REV]/path)",
        ),
    ],
)
def test_an_unlocked_dataset_gets_a_hint_that_works(
    repo: Repo, cli: Cli, ref: str, setup: str | None, tail: str
) -> None:
    if setup:
        repo.write(setup, '{"prompt": "q"}\n')
    repo.write("jobs/a.yaml", job("a", ref))
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    assert result.out == (
        f"jobs/a.yaml:5:3: error: datasets.eval: dataset {ref!r} is not in gittrain.lock"
        f"{'' if tail.startswith('and') else ';'}{' ' if not tail.startswith('and') else ', '}"
        f"{tail} [data]\n"
    )


PROBE = textwrap.dedent(
    """\
    # Loaded by every Python process of the test (PYTHONPATH): refuses imports of the
    # remote-storage libraries and network connections, and records each attempt.
    import os
    import socket
    import sys

    _LOG = os.environ["GITTRAIN_PROBE_LOG"]
    _BANNED = set(os.environ["GITTRAIN_PROBE_BANNED"].split(","))


    def _record(what):
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(what + "\\n")


    class _Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in _BANNED:
                _record("import " + name)
                raise ImportError("offline probe: " + name)
            return None


    def _connect(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _record("connect " + repr(address))
            raise OSError("offline probe: no network")
        return _real_connect(self, address, *args)


    _real_connect = socket.socket.connect
    socket.socket.connect = _connect
    sys.meta_path.insert(0, _Refuse())
    """
)


def _probe_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(PROBE)
    log = tmp_path / "probe.log"
    env = env_with_path(
        extra={
            "PYTHONPATH": str(probe),
            "GITTRAIN_PROBE_LOG": str(log),
            "GITTRAIN_PROBE_BANNED": ",".join(REMOTE_LIBRARIES),
            # Were anything to try, it would find no credentials and no reachable server.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "HF_ENDPOINT": "http://127.0.0.1:9",
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env, log


def test_the_probe_itself_refuses_a_remote_library(tmp_path: Path) -> None:
    env, log = _probe_env(tmp_path)
    code = "import fsspec"
    proc = subprocess.run(
        [str(Path(env["PATH"].split(os.pathsep)[0]) / "python"), "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1 and "offline probe: fsspec" in proc.stderr
    assert log.read_text() == "import fsspec\n"


def test_a_commit_with_remote_lock_entries_works_offline_through_the_hooks(
    repo: Repo, tmp_path: Path
) -> None:
    """`data.remote: skip` (the default): the hooks load no remote library, open no socket."""
    env, log = _probe_env(tmp_path)
    assert run(["git-train", "install"], repo.root, env).returncode == 0
    write_lock(repo, GSM8K, EVAL, SHARDS, PAGE)
    repo.write("data/local.jsonl", '{"prompt": "q"}\n')
    added = run(["git-train", "data", "add", "data/local.jsonl"], repo.root, env)
    assert added.returncode == 0, added.stderr
    repo.write("jobs/a.yaml", job("a", "openai/gsm8k"))
    repo.write("jobs/b.yaml", job("b", "s3://team-data/eval/eval.parquet"))
    repo.write("jobs/c.yaml", job("c", "shards"))
    repo.write("jobs/d.yaml", job("d", "local"))
    repo.git("add", "-A")
    proc = git_commit(repo.root, "-q", "-m", "remote datasets", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "dataset gsm8k added [critical]" in repo.git("log", "-1", "--format=%B")
    # The post-checkout hook checks the datasets too: local ones only.
    proc = run(["git", "checkout", "-q", "-b", "other"], repo.root, env)
    assert (proc.returncode, proc.stderr) == (0, "")
    repo.write("notes.txt", "x\n")
    repo.git("add", "notes.txt")
    assert git_commit(repo.root, "-q", "-m", "notes", env=env).returncode == 0
    (repo.root / "data/local.jsonl").write_text('{"prompt": "changed"}\n')
    proc = run(["git", "checkout", "-q", "main"], repo.root, env)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        "gittrain: warning: dataset local (data/local.jsonl) is modified (size, sha256)",
        "gittrain: see `git train data status`",
    ]
    assert not log.exists(), log.read_text()


# -- data.remote: verify, against a real S3 API (moto's server) --------------------------


def _verify_repo(repo: Repo, cli: Cli, s3: S3, remote: str) -> None:
    s3.bucket("bkt")
    s3.put("bkt", "eval.jsonl", b'{"prompt": "q"}\n')
    assert cli("data", "add", "s3://bkt/eval.jsonl", cwd=repo.root).code == 0
    repo.write("jobs/a.yaml", job("a", "s3://bkt/eval.jsonl"))
    repo.write(".gittrain.yaml", f"version: 1\ndata:\n  remote: {remote}\n")


def test_remote_verify_asks_the_provider_and_skip_does_not(repo: Repo, cli: Cli, s3: S3) -> None:
    _verify_repo(repo, cli, s3, "verify")
    s3.log.clear()
    result = cli("check-data", cwd=repo.root)
    assert (result.code, result.out) == (0, ""), result
    assert [r.method for r in s3.log.requests] == ["HEAD"]  # one request, no download

    s3.put("bkt", "eval.jsonl", b'{"prompt": "changed"}\n')
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    assert result.out == (
        "jobs/a.yaml:5:3: error: datasets.eval: dataset 'eval' (s3://bkt/eval.jsonl) changed "
        "since it was locked (etag, size); `git train data update eval` if that was intended "
        "[data]\n"
    )
    s3.log.clear()
    repo.write(".gittrain.yaml", "version: 1\ndata:\n  remote: skip\n")
    assert (cli("check-data", cwd=repo.root).code, s3.log.requests) == (0, [])

    repo.write(".gittrain.yaml", "version: 1\ndata:\n  remote: verify\n")
    s3.delete("bkt", "eval.jsonl")
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    assert "dataset 'eval' (s3://bkt/eval.jsonl) is missing at its provider (s3); restore it " in (
        result.out
    )


def test_remote_verify_in_the_commit_hook_and_after_checkout(repo: Repo, cli: Cli, s3: S3) -> None:
    _verify_repo(repo, cli, s3, "verify")
    repo.git("add", "-A")
    assert cli("hook", "pre-commit", cwd=repo.root).code == 0
    s3.put("bkt", "eval.jsonl", b'{"prompt": "changed"}\n')
    blocked = cli("hook", "pre-commit", cwd=repo.root)
    assert blocked.code == 1
    assert "changed since it was locked (etag, size)" in blocked.out
    assert "commit blocked: 1 error" in blocked.err
    warned = cli("hook", "post-checkout", "a", "b", "1", cwd=repo.root)
    assert warned.err.splitlines() == [
        "gittrain: warning: dataset eval (s3://bkt/eval.jsonl) is modified (etag, size)",
        "gittrain: see `git train data status`",
    ]
    repo.write(".gittrain.yaml", "version: 1\n")  # skip, the default
    repo.git("add", "-A")
    s3.log.clear()
    assert cli("hook", "pre-commit", cwd=repo.root).code == 0
    assert cli("hook", "post-checkout", "a", "b", "1", cwd=repo.root).err == ""
    assert s3.log.requests == []


def test_remote_verify_that_cannot_ask_is_the_datasets_finding(
    repo: Repo, cli: Cli, s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    _verify_repo(repo, cli, s3, "verify")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    (line,) = result.out.splitlines()
    assert line.startswith(
        "jobs/a.yaml:5:3: error: datasets.eval: dataset 'eval' (s3://bkt/eval.jsonl) cannot be "
        "checked: "
    )
    assert "no S3 credentials found" in line and "Traceback" not in result.err
    repo.write(".gittrain.yaml", "version: 1\nrules:\n  data: warning\ndata:\n  remote: verify\n")
    result = cli("check-data", cwd=repo.root)
    assert result.code == 0 and ": warning: datasets.eval: " in result.out


@pytest.mark.parametrize(
    ("ref", "local"),
    [
        ("openai/gsm8k", None),
        ("openai/gsm8k@v1", None),
        ("openai/gsm8k", "openai/gsm8k/a.jsonl"),
        ("openai/gsm8k", "openai/other.jsonl"),
        ("data/x.jsonl", None),
        ("org/name.parquet", None),
        ("s3://bkt/a.jsonl", None),
    ],
)
def test_the_hint_and_data_add_read_a_reference_alike(
    repo: Repo, ref: str, local: str | None
) -> None:
    """The hint names what `data add REF` would lock: both take a Hub id for a Hub dataset
    only when the repository has nothing by that name."""
    from gittrain.commands.data_add import remote_target
    from gittrain.commands.data_check import unlocked_message

    if local:
        repo.write(local, "{}\n")
    target = remote_target(ref, repo.root)
    hint = unlocked_message(repo.root, ref, "gittrain.lock").split("`")[1]
    assert hint == f"git train data add {target.text if target else ref}"


# -- a Hub dataset, through the Hub contract server ---------------------------------------


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    pytest.importorskip("huggingface_hub")
    server = HubServer()
    monkeypatch.setenv("HF_ENDPOINT", server.start())
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.stop()


def test_a_job_names_a_hub_dataset_by_its_id_from_hint_to_verify(
    repo: Repo, cli: Cli, hub: HubServer
) -> None:
    """`openai/gsm8k` in a job: the hint's command locks it, the job then passes offline,
    and with `data.remote: verify` a moved branch is reported."""
    gsm8k = hub.repo("openai/gsm8k")
    gsm8k.commit({"main/train.jsonl": HubFile(b'{"question": "1+1"}\n', lfs=True)})
    repo.write("jobs/a.yaml", job("a", "openai/gsm8k"))
    hinted = cli("check-data", cwd=repo.root)
    assert hinted.code == 1
    command = hinted.out.split("`")[1].split()
    assert command == ["git", "train", "data", "add", "hf://datasets/openai/gsm8k"]
    assert cli(*command[2:], cwd=repo.root).code == 0
    hub.requests.clear()
    assert (cli("check-data", cwd=repo.root).code, hub.requests) == (0, [])
    listed = cli("data", "list", cwd=repo.root).out.splitlines()
    assert listed[1].split()[:2] == ["gsm8k", "dir"] and " hf " in listed[1]

    gsm8k.commit({"main/train.jsonl": HubFile(b'{"question": "2+2"}\n', lfs=True)})
    assert cli("check-data", cwd=repo.root).code == 0  # skip: the commit stays offline
    repo.write(".gittrain.yaml", "version: 1\ndata:\n  remote: verify\n")
    result = cli("check-data", cwd=repo.root)
    assert result.code == 1
    assert result.out.startswith(
        "jobs/a.yaml:5:3: error: datasets.eval: dataset 'gsm8k' (hf://datasets/openai/gsm8k) "
        "changed since it was locked (commit, "
    )
    assert hub.downloads() == []  # metadata only
