"""`data add PREFIX --hash` on a dask LocalCluster: 2 workers against 1 (issue 13: >= 1.6x).

64 JSONL shards live on a local S3 (moto's server, in its own process on 127.0.0.1);
each is streamed, hashed and counted by gittrain's own per-object task
(``core.data.remote.read_object``) on a worker, exactly as `data add s3://... --hash
--executor dask=ADDRESS` runs it.  Both clusters are started before timing (one thread
per worker) and run alternately, so a noisy neighbour hits both alike; cluster start-up
is not timed.  The local thread pool (`--executor local`) is timed for reference.

Before the remote core existed this timed local files through the same kind of task:
GITTRAIN_BENCH_DASK_LOCAL=1 still does.  Shard size: GITTRAIN_BENCH_DASK_MB (4).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ensure_bytecode, machine

from gittrain.adapters import daskcluster
from gittrain.core.data.executor import Executor, ThreadExecutor, executor_for

SHARDS = 64
SHARD_MB = float(os.environ.get("GITTRAIN_BENCH_DASK_MB", "4"))
RUNS = 5
WORK = Path(os.environ.get("GITTRAIN_BENCH_DIR", "/tmp/gittrain-bench-data")) / "dask-shards"
BUCKET = "bench"


def shard(i: int) -> bytes:
    """About SHARD_MB of chat-style JSONL, different in every shard."""
    line = json.dumps({"prompt": f"question {i} " + "x" * 180, "answer": "y" * 120}) + "\n"
    return line.encode() * int(SHARD_MB * 1e6 / len(line))


def hash_local_shard(path: str) -> tuple[str, int]:
    """The local stand-in for ``read_object``: one pass that hashes and counts a file."""
    from gittrain.core.data import counting, hashing

    sha, _ = hashing.hash_file(Path(path), path)
    return sha, counting.count(Path(path), "jsonl", path).num_samples or 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server in its own process (so its threads do not share our GIL)."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def s3_environment(endpoint: str) -> None:
    """Fake credentials and the endpoint, through the standard settings: the worker
    processes a LocalCluster starts inherit them."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        AWS_EC2_METADATA_DISABLED="true",
    )


def upload() -> None:
    import boto3

    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    for i in range(SHARDS):
        client.put_object(Bucket=BUCKET, Key=f"shards/{i:03d}.jsonl", Body=shard(i))
    client.close()


def local_files() -> list[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(SHARDS):
        path = WORK / f"{i:03d}.jsonl"
        if not path.exists() or abs(path.stat().st_size - SHARD_MB * 1e6) > 1e3:
            path.write_bytes(shard(i))
        paths.append(str(path))
    return paths


def cluster(workers: int) -> object:
    import distributed

    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs=daskcluster.NO_DASHBOARD,
        silence_logs=50,
    )


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ensure_bytecode()
    local = os.environ.get("GITTRAIN_BENCH_DASK_LOCAL") == "1"
    try:
        from gittrain.core.data import remote
    except ImportError:  # before the remote core: local files through the same kind of task
        local = True
    with s3_server() if not local else _nothing() as endpoint:
        if local:
            paths = local_files()

            def run_on(executor: Executor) -> object:
                return executor.map(hash_local_shard, paths)

            source = "local files (page cache), hash_file + count per task"
        else:
            from gittrain.adapters.remote import urls

            s3_environment(endpoint)
            upload()
            url = urls.parse(f"s3://{BUCKET}/shards/")
            assert url is not None

            def run_on(executor: Executor) -> object:
                snap = remote.snapshot_remote(url, hash=True, executor=executor)
                assert snap.files == SHARDS and snap.sha256 is not None, snap
                return snap

            source = "moto S3 server on 127.0.0.1, remote.read_object per task"
        one, two = cluster(1), cluster(2)
        try:
            executors = {
                "1 worker": executor_for(f"dask={one.scheduler_address}"),  # type: ignore[attr-defined]
                "2 workers": executor_for(f"dask={two.scheduler_address}"),  # type: ignore[attr-defined]
                "local threads": ThreadExecutor(),
            }
            try:
                times = measure(run_on, executors)
            finally:
                for executor in executors.values():
                    executor.close()
        finally:
            two.close()  # type: ignore[attr-defined]
            one.close()  # type: ignore[attr-defined]
    report(times, source)


@contextmanager
def _nothing() -> Iterator[str]:
    yield ""


def measure(
    run_on: Callable[[Executor], object], executors: dict[str, Executor]
) -> dict[str, list[float]]:
    print(machine())
    print(f"load average before: {loadavg()}")
    for executor in executors.values():
        run_on(executor)  # warm-up: imports on the workers, connections, page cache
    times: dict[str, list[float]] = {name: [] for name in executors}
    for _ in range(RUNS):
        for name, executor in executors.items():
            start = time.perf_counter()
            run_on(executor)
            times[name].append(time.perf_counter() - start)
    print(f"load average after:  {loadavg()}")
    return times


def report(times: dict[str, list[float]], source: str) -> None:
    total_mb = SHARDS * SHARD_MB
    print(f"\n{SHARDS} JSONL shards x {SHARD_MB:g} MB ({total_mb:g} MB), {source}")
    print(f"median of {RUNS} alternating runs after a warm-up; cluster start-up not timed\n")
    print("| executor | median s | MB/s | runs (s) |\n|---|---:|---:|---|")
    for name, runs in times.items():
        med = statistics.median(runs)
        spread = ", ".join(f"{t:.2f}" for t in runs)
        print(f"| {name} | {med:.2f} | {total_mb / med:.0f} | {spread} |")
    ratio = statistics.median(times["1 worker"]) / statistics.median(times["2 workers"])
    verdict = "meets" if ratio >= 1.6 else "misses"
    print(f"\n2 workers vs 1 worker: {ratio:.2f}x ({verdict} the >= 1.6x goal)")


if __name__ == "__main__":
    main()
