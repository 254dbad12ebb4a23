"""Where per-shard work runs: a local thread pool (the default) or a dask.distributed cluster.

A task is a module-level function and picklable arguments, so the same call runs on a
thread here or on a cluster worker that reads its shard straight from object storage.
Results come back in input order; a failed task fails the whole map (nothing is
recorded from a partial result).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from gittrain.errors import usage_error

T = TypeVar("T")
R = TypeVar("R")

# Remote reads wait on the network, not the CPU: more threads than cores pays.
REMOTE_THREADS = min(32, 4 * (os.cpu_count() or 1))


class Executor(Protocol):
    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        done: Callable[[T, R], None] | None = None,
    ) -> list[R]:
        """``fn`` over ``items``, results in input order; ``done`` is called (on the
        caller's thread) as each item finishes, for progress."""
        ...

    def close(self) -> None: ...


class ThreadExecutor:
    """The default: a thread pool in this process."""

    def __init__(self, workers: int = REMOTE_THREADS) -> None:
        self.workers = workers

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        done: Callable[[T, R], None] | None = None,
    ) -> list[R]:
        if len(items) <= 1 or self.workers == 1:
            out = []
            for item in items:
                out.append(fn(item))
                if done is not None:
                    done(item, out[-1])
            return out
        from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

        results: dict[int, R] = {}
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    if future.exception() is not None:
                        for other in pending:
                            other.cancel()
                        raise future.exception()  # type: ignore[misc]
                    i = futures[future]
                    results[i] = future.result()
                    if done is not None:
                        done(items[i], results[i])
        return [results[i] for i in range(len(items))]

    def close(self) -> None:
        return None


def executor_for(spec: str) -> Executor:
    """``local`` (the default thread pool), ``dask`` (a local cluster started now) or
    ``dask=ADDRESS`` (a running scheduler, e.g. ``tcp://10.0.0.5:8786``).

    The dask adapter is imported only here: a missing install is one line (exit 2)
    naming ``pip install 'gittrain[dask]'``.  Close what this returns.
    """
    kind, eq, address = spec.partition("=")
    if kind == "local" and not eq:
        return ThreadExecutor()
    if kind == "dask" and not (eq and not address.strip()):
        from gittrain.adapters import daskcluster

        return daskcluster.dask_executor(address.strip() or None)
    raise usage_error(f"--executor {spec}: expected local, dask or dask=ADDRESS")
