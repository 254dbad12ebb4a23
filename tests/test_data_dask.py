"""The dask executor on real LocalClusters: order, progress, errors, workers and schedulers
that die, and `data add s3://... --hash --executor dask=ADDRESS` on moto's S3 server."""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gittrain.adapters import daskcluster
from gittrain.core.data.executor import executor_for
from gittrain.document import Mark
from gittrain.errors import GittrainError, file_error, usage_error
from tests.conftest import Cli, Repo, assert_one_line_error, snapshot
from tests.remote_servers import REGION, S3

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster(
    _s3_server: tuple[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Two worker processes, one thread each: the address a test connects to.

    Its workers are configured like a remote cluster's would be: credentials and the
    endpoint of the session's S3 server in their own environment (``s3_env``'s values).
    """
    endpoint, _ = _s3_server
    home = tmp_path_factory.mktemp("worker-home")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "aws-config-absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials-absent"),
    }
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs=daskcluster.NO_DASHBOARD,  # not port 8787, which may be taken
        silence_logs=50,
        env=env,
    ) as local:
        yield local.scheduler_address


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Tasks run on the workers: module-level so they pickle by reference.
def square(n: int) -> int:
    time.sleep(0.002 * (5 - n % 5))
    return n * n


def pid_of(_: int) -> int:
    return os.getpid()


def missing_object(n: int) -> int:
    if n == 3:
        raise file_error("s3://bucket/shard-3.jsonl", "no such object", Mark(4, 2))
    return n


def bug(n: int) -> int:
    raise ZeroDivisionError(f"bug on {n}")


def kill_worker_once(marker: str) -> str:
    """Kills its own worker process the first time any worker runs it."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return f"done {Path(marker).name}"
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")  # pragma: no cover


def flaky_once(marker: str) -> str:
    """Raises a non-gittrain error the first time: a retry succeeds."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return "ok"
    os.close(fd)
    raise ConnectionResetError("peer reset")


def slow_unless_first(n: int) -> int:
    if n:
        time.sleep(2)
    return n


def count_runs(marker: str) -> int:
    with open(marker, "a", encoding="utf-8") as f:
        f.write("x")
    raise usage_error("s3://bucket: no credentials")


def test_gittrain_error_pickles_with_its_code_and_location() -> None:
    for error in (
        usage_error("s3://b: no credentials"),
        file_error("gittrain.lock", "bad entry", Mark(3, 1)),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is GittrainError
        assert (back.message, back.code, back.detail, back.source, back.mark) == (
            error.message,
            error.code,
            error.detail,
            error.source,
            error.mark,
        )
        assert str(back) == str(error)


def test_results_in_input_order_and_done_on_the_callers_thread(cluster: str) -> None:
    seen: list[tuple[int, int, int]] = []
    executor = executor_for(f"dask={cluster}")
    try:
        out = executor.map(
            square, list(range(30)), lambda i, r: seen.append((i, r, threading.get_ident()))
        )
    finally:
        executor.close()
    assert out == [n * n for n in range(30)]
    assert sorted((i, r) for i, r, _ in seen) == [(n, n * n) for n in range(30)]
    assert {t for _, _, t in seen} == {threading.get_ident()}


def test_tasks_run_on_the_workers_not_here(cluster: str) -> None:
    executor = executor_for(f"dask={cluster}")
    try:
        pids = set(executor.map(pid_of, list(range(8))))
        assert executor.map(square, []) == []
    finally:
        executor.close()
    assert os.getpid() not in pids


def test_a_gittrain_error_in_a_task_reaches_the_caller_intact(cluster: str) -> None:
    executor = executor_for(f"dask={cluster}")
    try:
        with pytest.raises(GittrainError) as info:
            executor.map(missing_object, list(range(8)))
    finally:
        executor.close()
    assert type(info.value) is GittrainError
    assert info.value.message == "s3://bucket/shard-3.jsonl:4:2: no such object"
    assert (info.value.code, info.value.source, info.value.mark) == (
        1,
        "s3://bucket/shard-3.jsonl",
        Mark(4, 2),
    )


def test_a_gittrain_error_is_a_verdict_and_not_retried(cluster: str, tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    executor = executor_for(f"dask={cluster}")
    try:
        with pytest.raises(GittrainError, match="no credentials") as info:
            executor.map(count_runs, [str(marker)])
    finally:
        executor.close()
    assert info.value.code == 2
    assert marker.read_text() == "x"


def test_another_exception_is_retried(cluster: str, tmp_path: Path) -> None:
    executor = executor_for(f"dask={cluster}")
    try:
        assert executor.map(flaky_once, [str(tmp_path / "flaky")]) == ["ok"]
    finally:
        executor.close()


def test_a_bug_in_a_task_is_raised_as_itself_after_the_retries(cluster: str) -> None:
    executor = executor_for(f"dask={cluster}")
    try:
        with pytest.raises(ZeroDivisionError, match="bug on"):
            executor.map(bug, [1, 2])
    finally:
        executor.close()


def test_a_worker_killed_mid_map_loses_no_result(cluster: str, tmp_path: Path) -> None:
    """The first run of shard 5 kills its worker; distributed reruns it elsewhere."""
    markers = [str(tmp_path / ("kill" if i == 5 else f"pre-{i}")) for i in range(12)]
    for i, marker in enumerate(markers):
        if i != 5:
            Path(marker).touch()  # every other shard is already "killed": it just returns
    seen: list[str] = []
    executor = executor_for(f"dask={cluster}")
    try:
        out = executor.map(kill_worker_once, markers, lambda item, r: seen.append(item))
    finally:
        executor.close()
    assert out == [f"done {Path(m).name}" for m in markers]
    assert sorted(seen) == sorted(markers)
    # the killed worker is restarted by its nanny: the cluster is whole for the next test
    client = distributed.Client(cluster, set_as_default=False)
    try:
        client.wait_for_workers(2, timeout=30)
    finally:
        client.close()


class Shard:
    def __init__(self, url: str) -> None:
        self.url = url

    def __str__(self) -> str:
        return self.url


def always_kill(shard: Shard) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_workers_that_keep_dying_fail_the_map_naming_the_shard() -> None:
    import dask

    # Give up at the first death (distributed's default: after 3 more).
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            scheduler_kwargs=daskcluster.NO_DASHBOARD,
            silence_logs=50,
        ) as fragile,
    ):
        executor = executor_for(f"dask={fragile.scheduler_address}")
        try:
            with pytest.raises(GittrainError) as info:
                executor.map(always_kill, [Shard("s3://bkt/p/poison.jsonl")])
        finally:
            executor.close()
    assert info.value.code == 2
    assert info.value.message == (
        f"dask on {fragile.scheduler_address}: workers kept dying while reading"
        " s3://bkt/p/poison.jsonl; nothing recorded"
    )


def test_a_scheduler_lost_mid_map_fails_the_map_with_one_line() -> None:
    import dask

    # A cluster whose scheduler is gone waits out the connect timeout (30 s) to close.
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        distributed.LocalCluster(
            n_workers=1,
            processes=False,
            protocol="tcp://",
            threads_per_worker=1,
            dashboard_address=None,
            scheduler_kwargs=daskcluster.NO_DASHBOARD,
            silence_logs=50,
        ) as doomed,
    ):
        executor = executor_for(f"dask={doomed.scheduler_address}")
        try:
            with pytest.raises(GittrainError) as info:
                # the first shard to finish takes the scheduler down with it
                executor.map(
                    slow_unless_first,
                    [0, 1, 2, 3],
                    lambda item, r: doomed.sync(doomed.scheduler.close),
                )
        finally:
            executor.close()
    assert info.value.code == 2
    assert info.value.message == (
        f"dask on {doomed.scheduler_address}: lost the cluster before every shard was done;"
        " nothing recorded"
    )


def test_workers_without_gittrain_are_refused_before_any_task(
    cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that cannot unpickle a task would leave it waiting forever."""
    monkeypatch.setattr(daskcluster, "PACKAGE", "gittrain-absent-here")
    with pytest.raises(GittrainError) as info:
        executor_for(f"dask={cluster}")
    assert info.value.code == 2
    assert info.value.message == (
        f"dask on {cluster}: the workers have no gittrain-absent-here (No package metadata"
        " was found for gittrain-absent-here); install the same gittrain-absent-here as"
        " here, with the storage extras, on them"
    )


def test_workers_with_another_gittrain_version_are_refused(
    cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata

    monkeypatch.setattr(daskcluster, "_local_version", lambda: "9.9.9")
    with pytest.raises(GittrainError) as info:
        executor_for(f"dask={cluster}")
    theirs = importlib.metadata.version("gittrain")
    assert info.value.message == (
        f"dask on {cluster}: the workers run gittrain {theirs}, this is 9.9.9;"
        " install the same version on them"
    )


def test_a_bad_scheduler_address_is_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """No half-open client whose ``__del__`` hangs and prints a traceback at exit."""
    code = (
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "from gittrain.core.data.executor import executor_for\n"
        "from gittrain.errors import GittrainError\n"
        "for address in ('foo', 'udp://127.0.0.1:5', 'tcp://h:x', 'tls://127.0.0.1:1'):\n"
        "    try:\n"
        "        executor_for('dask=' + address)\n"
        "    except GittrainError as e:\n"
        "        print(e.code, e.message)\n"
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert time.monotonic() - start < 8
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [
        "2 dask scheduler foo: not an address (missing port number in address 'foo');"
        " expected tcp://HOST:PORT",
        "2 dask scheduler udp://127.0.0.1:5: not an address (unknown address scheme 'udp'"
        " (known schemes: ['inproc', 'tcp', 'tls', 'ucx', 'ws', 'wss'])); expected tcp://HOST:PORT",
        "2 dask scheduler tcp://h:x: not an address (invalid literal for int() with base 10:"
        " 'x'); expected tcp://HOST:PORT",
        "2 dask scheduler tls://127.0.0.1:1: tls:// needs dask's TLS settings"
        " (distributed.comm.tls.ca-file, .client.cert, .client.key)",
    ]


@pytest.mark.parametrize("spec", ["dask=", "dask= ", "ray", "local=x", "dasky"])
def test_bad_executor_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(GittrainError) as info:
        executor_for(spec)
    assert info.value.code == 2
    assert "expected local, dask or dask=ADDRESS" in info.value.message


def test_without_dask_installed_the_error_names_the_extra(tmp_path: Path) -> None:
    """A blocker on sys.meta_path stands in for an environment without the extra."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from gittrain.core.data.executor import executor_for\n"
        "from gittrain.errors import GittrainError\n"
        "try:\n"
        "    executor_for('dask')\n"
        "except GittrainError as e:\n"
        "    print(e.code, e.message)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert (
        proc.stdout.strip()
        == "2 --executor dask needs dask.distributed: pip install 'gittrain[dask]'"
    )
    assert proc.stderr == ""


def test_the_local_executor_does_not_import_dask(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from gittrain.core.data.executor import executor_for\n"
        "executor_for('local').close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert proc.stdout.strip() == "[]"


def test_a_local_cluster_started_by_us_is_quiet_and_closes_cleanly(tmp_path: Path) -> None:
    """`--executor dask` with no address: workers start, run, and stop, saying nothing."""
    code = (
        "import signal, warnings\n"
        "warnings.simplefilter('error')\n"
        "from gittrain.core.data.executor import executor_for\n"
        "def main():\n"
        "    idle = executor_for('dask')\n"
        "    idle.close()\n"
        "    assert idle.cluster is None, 'nothing to run: no cluster started'\n"
        "    executor = executor_for('dask')\n"
        "    try:\n"
        "        print(executor.map(abs, [-1, -2, 3]))\n"
        "        handlers = executor.map(signal.getsignal, [signal.SIGINT] * 8)\n"
        "        print(all(h == signal.SIG_IGN for h in handlers))\n"
        "    finally:\n"
        "        executor.close()\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )
    script = tmp_path / "run_local.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-X", "dev", str(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    # the workers ignore Ctrl-C: the client stops them (see the next test)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "[1, 2, 3]\nTrue\n", ""), proc.stderr


def test_ctrl_c_on_a_local_cluster_stops_it_without_a_traceback_per_worker(
    tmp_path: Path,
) -> None:
    """The terminal sends SIGINT to the whole process group, workers included."""
    (tmp_path / "slowtask.py").write_text(
        "import pathlib, time\n"
        "def slow(marker):\n"
        "    pathlib.Path(marker).touch()\n"
        "    time.sleep(60)\n",
        encoding="utf-8",
    )
    (tmp_path / "run.py").write_text(
        "import sys\n"
        "from slowtask import slow\n"
        "from gittrain.core.data.executor import executor_for\n"
        "def main():\n"
        "    executor = executor_for('dask')\n"
        "    try:\n"
        "        executor.map(slow, [sys.argv[1]] * 4)\n"
        "    except KeyboardInterrupt:\n"
        "        print('interrupted')\n"
        "    finally:\n"
        "        executor.close()\n"
        "if __name__ == '__main__':\n"
        "    main()\n",
        encoding="utf-8",
    )
    marker = tmp_path / "running"
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "run.py"), str(marker)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test fails
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert (out, err) == ("interrupted\n", "")


# -- `data add s3://... --hash --executor dask=ADDRESS`, end to end --------------------------


def jsonl(n: int, tag: str) -> bytes:
    return b"".join(
        json.dumps({"prompt": f"q{i} {tag}", "answer": i}).encode() + b"\n" for i in range(n)
    )


def lock_entries(repo: Repo) -> dict[str, dict[str, object]]:
    from gittrain.core.data import lockstore

    parsed = lockstore.read(repo.root, "gittrain.lock")
    out = {}
    for name, entry in parsed.datasets.items():
        fields = entry.to_dict()
        fields.pop("created_at"), fields.pop("modified_at")
        out[name] = fields
    return out


def new_repo(path: Path) -> Repo:
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return Repo(path)


def test_data_add_on_dask_records_what_the_local_executor_records(
    tmp_path: Path, cli: Cli, s3: S3, cluster: str
) -> None:
    s3.bucket()
    for i in range(6):
        s3.put("bkt", f"shards/train-{i}.jsonl", jsonl(100 + i, f"shard {i}"), sha256=i % 2 == 0)
    s3.put("bkt", "shards/extra.csv", b'id,text\n1,"two\nlines"\n2,plain\n')
    big_part = b'{"prompt": "' + b"x" * 1000 + b'"}\n'  # parts but the last are >= 5 MiB
    s3.put_multipart("bkt", "shards/big.jsonl", [big_part * 5300, b'{"prompt": "last"}\n'])
    s3.put("bkt", "single.jsonl", jsonl(7, "single"))
    here, there = new_repo(tmp_path / "local"), new_repo(tmp_path / "dask")
    for url in ("s3://bkt/shards/", "s3://bkt/single.jsonl"):
        local = cli("data", "add", url, "--hash", cwd=here.root)
        on_dask = cli("data", "add", url, "--hash", "--executor", f"dask={cluster}", cwd=there.root)
        assert local.code == 0, local
        assert (on_dask.code, on_dask.out, on_dask.err) == (0, local.out, local.err)
    entries = lock_entries(there)
    assert entries == lock_entries(here)
    shards = entries["shards"]
    assert (shards["files"], shards["num_samples"], shards["sha256_from"]) == (
        8,
        sum(100 + i for i in range(6)) + 2 + 5300 + 1,
        "gittrain",
    )


def test_progress_reports_every_byte_read_on_the_workers(repo: Repo, s3: S3, cluster: str) -> None:
    from gittrain.adapters.remote import urls
    from gittrain.commands.data_add import add_remote

    s3.bucket()
    sizes = [len(jsonl(50 + i, "p")) for i in range(5)]
    for i in range(5):
        s3.put("bkt", f"p/{i}.jsonl", jsonl(50 + i, "p"))
    url = urls.parse("s3://bkt/p/")
    assert url is not None
    seen: list[int] = []
    listed: list[int] = []
    result = add_remote(
        repo.root,
        url,
        hash=True,
        executor=f"dask={cluster}",
        progress=seen.append,
        listed=listed.append,
    )
    assert sorted(seen) == sorted(sizes) and listed == [5]
    assert result.entry.num_samples == sum(50 + i for i in range(5))


def test_an_unreachable_scheduler_from_the_cli_is_one_line_and_writes_nothing(
    repo: Repo, cli: Cli, s3: S3
) -> None:
    s3.bucket()
    s3.put("bkt", "p/a.jsonl", jsonl(3, "a"))
    repo.write("gittrain.lock", "version: 1\ndatasets: {}\n")
    before = snapshot(repo.root)
    address = f"tcp://127.0.0.1:{closed_port()}"
    start = time.monotonic()
    r = cli("data", "add", "s3://bkt/p/", "--hash", "--executor", f"dask={address}", cwd=repo.root)
    assert time.monotonic() - start < 15
    assert_one_line_error(r, 2, f"dask scheduler {address}: cannot connect")
    assert snapshot(repo.root) == before
    assert s3.log.count("GET") == 0  # refused before anything was listed or read


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dask=", "--executor dask=: expected local, dask or dask=ADDRESS"),
        ("dask=nohost", "dask scheduler nohost: not an address"),
    ],
)
def test_bad_executor_from_the_cli_is_one_line(
    repo: Repo, cli: Cli, s3: S3, spec: str, message: str
) -> None:
    s3.bucket()
    s3.put("bkt", "p/a.jsonl", jsonl(3, "a"))
    r = cli("data", "add", "s3://bkt/p/", "--hash", "--executor", spec, cwd=repo.root)
    assert_one_line_error(r, 2, message)
    assert not (repo.root / "gittrain.lock").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["data", "add", "s3://bkt/p/", "--hash"],
        ["data", "status"],
        ["hook", "pre-commit"],
    ],
)
def test_without_executor_dask_nothing_imports_dask(
    repo: Repo, cli: Cli, s3: S3, args: list[str]
) -> None:
    s3.bucket()
    s3.put("bkt", "p/a.jsonl", jsonl(3, "a"))
    s3.put("bkt", "one.jsonl", jsonl(2, "one"))
    assert cli("data", "add", "s3://bkt/one.jsonl", cwd=repo.root).code == 0
    repo.git("add", "-A")
    probe = (
        "import sys\n"
        f"sys.argv = ['git-train', *{args!r}]\n"
        "from gittrain.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "sys.stderr.write(f'EXIT {code} LOADED ' + ' '.join(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('dask', 'distributed'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.root, capture_output=True, text=True, check=False
    )
    assert out.stderr.splitlines()[-1] == "EXIT 0 LOADED ", out.stderr
