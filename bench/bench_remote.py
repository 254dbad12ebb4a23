"""Remote datasets on a local S3 server (moto, in its own process), issue 13's goals:

- `data status` over 1,000 objects: at most 2 s (a 1,000-object prefix; 1,000
  single-object entries in one folder, checked with one listing; the same in a
  versioned bucket, one HEAD each since only a HEAD reports the version);
- `data add URL --hash` of a 1 GiB object: at least 0.5x the throughput of local
  `hashing.hash_file` on the same bytes (page cache);
- `data add` of a 10,000-object prefix without `--hash`: at most 10 s.

Whole-process runs of `git train`, medians of RUNS.  The server keeps its objects in
memory (moto), so the network part is loopback: what is measured is gittrain's side.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_data import GIB, jsonl_block, row
from common import ensure_bytecode, machine, tool

RUNS = 3
BUCKET = "bench"
VERSIONED = "bench-versioned"  # its objects have a version_id, which only a HEAD reports


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return server, endpoint
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("moto_server did not start")


def environment(endpoint: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FSSPEC_"))}
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "absent"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "absent"),
    )
    return env


def populate(client: object, prefix: str, count: int, bucket: str = BUCKET) -> None:
    body = b'{"prompt": "what is 2 + 2?", "answer": "4"}\n' * 4

    def put(i: int) -> None:
        client.put_object(Bucket=bucket, Key=f"{prefix}/part-{i:06d}.jsonl", Body=body)  # type: ignore[attr-defined]

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


CPU: list[float] = []  # CPU seconds (user + system) of each run, for the shared machine


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()}")
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def median_run(argv: list[str], cwd: Path, env: dict[str, str], runs: int = RUNS) -> float:
    CPU.clear()
    return statistics.median(run(argv, cwd, env) for _ in range(runs))


def timing(wall: float) -> str:
    """``1.23 s (CPU 0.98 s)``: the machine is shared, so the CPU time is the steadier figure."""
    return f"{wall:.2f} s (CPU {statistics.median(CPU):.2f} s)"


def peak_rss_mb(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Peak resident memory of one run, from GNU time."""
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv], cwd=cwd, env=env, capture_output=True, check=True
    )
    return int(proc.stderr.decode().strip().splitlines()[-1]) / 1000


def repo_at(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def lock_single_objects(root: Path, env: dict[str, str], bucket: str, count: int) -> None:
    """A lockfile with ``count`` single-object entries, written in one go."""
    code = f"""
import os
from pathlib import Path
from gittrain.adapters.remote import urls
from gittrain.core.data import lockstore, remote
from gittrain.core.data.executor import ThreadExecutor

def one(i):
    url = urls.parse(f"s3://{bucket}/p1k/part-{{i:06d}}.jsonl")
    return remote.to_entry(f"obj{{i}}", remote.snapshot_remote(url), None)

entries = ThreadExecutor().map(one, list(range({count})))

def change(lock):
    for entry in entries:
        lock = lock.with_entry(entry)
    return lock

lockstore.modify(Path({str(root)!r}), "gittrain.lock", change)
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def goal(value: float, limit: float, *, at_most: bool = True) -> str:
    return "met" if (value <= limit if at_most else value >= limit) else "missed"


def bench_status(work: Path, env: dict[str, str]) -> None:
    git_train = tool("git-train")
    repo = repo_at(work / "status-prefix")
    run([git_train, "data", "add", f"s3://{BUCKET}/p1k/"], repo, env)
    status = median_run([git_train, "data", "status"], repo, env)
    row("`data status`, one prefix of 1,000 objects", timing(status), "≤ 2 s", goal(status, 2))
    for bucket, how in ((BUCKET, "one listing of their folder"), (VERSIONED, "one HEAD each")):
        repo = repo_at(work / f"status-objects-{bucket}")
        lock_single_objects(repo, env, bucket, 1_000)
        status = median_run([git_train, "data", "status"], repo, env)
        row(
            f"`data status`, 1,000 single-object entries in `{bucket}` ({how})",
            timing(status),
            "≤ 2 s",
            goal(status, 2),
        )


def bench_add_prefix(work: Path, env: dict[str, str]) -> None:
    argv = [tool("git-train"), "data", "add", f"s3://{BUCKET}/p10k/"]
    repo = repo_at(work / "add-prefix")
    add = median_run(argv, repo, env)
    row("`data add` of a 10,000-object prefix, no --hash", timing(add), "≤ 10 s", goal(add, 10))
    row("peak RSS of that `data add`", f"{peak_rss_mb(argv, repo, env):.0f} MB", "-", "-")


def bench_hash(work: Path, env: dict[str, str], big: Path, presigned: str) -> None:
    from gittrain.core.data.hashing import hash_file

    size = big.stat().st_size
    hash_file(big, "big")  # into the page cache
    local_times, remote_times, curl_times, remote_cpu = [], [], [], []
    repo = repo_at(work / "add-hash")
    argv = [tool("git-train"), "data", "add", f"s3://{BUCKET}/big.jsonl", "--hash"]
    for _ in range(RUNS):
        start = time.perf_counter()
        hash_file(big, "big")
        local_times.append(time.perf_counter() - start)
        remote_times.append(run(argv, repo, env))
        remote_cpu.append(CPU[-1])
        curl_times.append(run(["curl", "-sf", "-o", "/dev/null", presigned], repo, env))
    local, remote = statistics.median(local_times), statistics.median(remote_times)
    curl = statistics.median(curl_times)
    ratio = local / remote
    row(
        "`data add --hash` of a 1 GiB JSONL (hash + count) vs local `hash_file`",
        f"{size / remote / 1e6:.0f} MB/s vs {size / local / 1e6:.0f} MB/s ({ratio:.2f}x); "
        f"CPU {statistics.median(remote_cpu):.2f} s vs {local:.2f} s",
        "≥ 0.5x",
        goal(ratio, 0.5, at_most=False),
    )
    row(
        "the server's own ceiling: `curl` of the same object to /dev/null",
        f"{size / curl / 1e6:.0f} MB/s (gittrain at {curl / remote:.2f}x of it)",
        "-",
        "-",
    )


def main() -> None:
    import boto3

    ensure_bytecode()
    print(f"{machine()}, load average {os.getloadavg()[0]:.1f} at the start")
    work = Path(tempfile.mkdtemp(prefix="gittrain-bench-remote-"))
    server, endpoint = start_server()
    try:
        env = environment(endpoint, work)
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=BUCKET)
        populate(client, "p1k", 1_000)
        client.create_bucket(Bucket=VERSIONED)
        client.put_bucket_versioning(
            Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"}
        )
        populate(client, "p1k", 1_000, VERSIONED)
        populate(client, "p10k", 10_000)
        block = jsonl_block()
        big = work / "big.jsonl"
        with open(big, "wb") as out:
            while out.tell() < GIB:
                out.write(block)
        client.upload_file(str(big), BUCKET, "big.jsonl")
        presigned = client.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": "big.jsonl"}
        )
        print("| measure | value | goal | result |\n|---|---|---|---|")
        bench_status(work, env)
        bench_add_prefix(work, env)
        bench_hash(work, env, big, presigned)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
