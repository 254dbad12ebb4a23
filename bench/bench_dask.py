"""`data add PREFIX --hash` on a dask LocalCluster: 2 workers against 1 (issue 13: >= 1.6x).

64 JSONL shards live on a local S3 (moto's server, in its own process on 127.0.0.1);
each is streamed, hashed and counted by gittrain's own per-object task
(``core.data.remote.read_object``) on a worker, exactly as `data add s3://... --hash
--executor dask=ADDRESS` runs it.  The clusters (one thread per worker) are started
before timing and run alternately, so a noisy neighbour hits both alike; cluster
start-up is not timed.  For reference: the local thread pool (`--executor local`) and
the server's own ceiling (plain GETs on 8 threads, nothing computed).

The same clusters then time local files through the same kind of task (hash + count,
no server), which shows what the workers scale to when the server is not the limit.
GITTRAIN_BENCH_DASK_LOCAL=1 times only that.  Shard size: GITTRAIN_BENCH_DASK_MB (4).
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
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ensure_bytecode, machine

from gittrain.adapters import daskcluster
from gittrain.core.data.executor import Executor, ThreadExecutor, executor_for

SHARDS = 64
SHARD_MB = float(os.environ.get("GITTRAIN_BENCH_DASK_MB", "4"))
RUNS = 5
WORK = Path(os.environ.get("GITTRAIN_BENCH_DIR", "/tmp/gittrain-bench-data")) / "dask-shards"
BUCKET = "bench"
KEYS = [f"shards/{i:03d}.jsonl" for i in range(SHARDS)]


def shard(i: int) -> bytes:
    """About SHARD_MB of chat-style JSONL, different in every shard."""
    line = json.dumps({"prompt": f"question {i} " + "x" * 180, "answer": "y" * 120}) + "\n"
    return line.encode() * int(SHARD_MB * 1e6 / len(line))


def hash_local_shard(path: str) -> tuple[str, int]:
    """A local file through the same work as ``read_object``: hash, then count."""
    from gittrain.core.data import counting, hashing

    sha, _ = hashing.hash_file(Path(path), path)
    return sha, counting.count(Path(path), "jsonl", path).num_samples or 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server in its own process (so its threads do not share our GIL), and
    the standard AWS settings pointing at it: worker processes inherit them."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        os.environ.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=endpoint,
            AWS_EC2_METADATA_DISABLED="true",
        )
        upload()
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def upload() -> None:
    import boto3

    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    for i, key in enumerate(KEYS):
        client.put_object(Bucket=BUCKET, Key=key, Body=shard(i))
    client.close()


def get_only() -> None:
    """The server's ceiling: every shard downloaded on 8 threads, nothing computed."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    client = boto3.client("s3")

    def fetch(key: str) -> None:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
        while body.read(1 << 20):
            pass

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(fetch, KEYS))
    finally:
        client.close()


def local_files() -> list[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(SHARDS):
        path = WORK / f"{i:03d}.jsonl"
        if not path.exists() or path.stat().st_size != len(shard(i)):
            path.write_bytes(shard(i))
        paths.append(str(path))
    return paths


def cluster(workers: int) -> Any:
    import distributed

    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs=daskcluster.NO_DASHBOARD,
        silence_logs=50,
    )


def main() -> None:
    ensure_bytecode()
    print(machine())
    with ExitStack() as stack:
        s3 = os.environ.get("GITTRAIN_BENCH_DASK_LOCAL") != "1"
        if s3:
            stack.enter_context(s3_server())  # before the clusters: workers inherit it
        one = stack.enter_context(cluster(1))
        two = stack.enter_context(cluster(2))
        executors: dict[str, Executor] = {
            "1 worker": executor_for(f"dask={one.scheduler_address}"),
            "2 workers": executor_for(f"dask={two.scheduler_address}"),
            "local threads": ThreadExecutor(),
        }
        for executor in executors.values():
            stack.callback(executor.close)
        if s3:
            from gittrain.adapters.remote import urls
            from gittrain.core.data import remote

            url = urls.parse(f"s3://{BUCKET}/shards/")
            assert url is not None

            def from_s3(executor: Executor | None) -> None:
                if executor is None:
                    get_only()
                    return
                snap = remote.snapshot_remote(url, hash=True, executor=executor)
                assert snap.files == SHARDS and snap.sha256 is not None, snap

            runs: dict[str, Executor | None] = {**executors, "GET only, 8 threads": None}
            report(measure(from_s3, runs), "moto S3 on 127.0.0.1, remote.read_object per task")
        paths = local_files()

        def from_files(executor: Executor | None) -> None:
            assert executor is not None
            executor.map(hash_local_shard, paths)

        report(measure(from_files, dict(executors)), "local files, hash_file + count per task")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(
    run_on: Callable[[Executor | None], None], executors: dict[str, Executor | None]
) -> dict[str, list[float]]:
    print(f"\nload average before: {loadavg()}")
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
