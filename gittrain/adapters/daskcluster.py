"""The dask.distributed cluster that hashes shards: the only module that imports dask.

``dask_executor(address)`` returns an object with the core executor's ``map`` and
``close``: one task per item, results in input order, ``done`` called on the caller's
thread as each task finishes.  Without an address it starts a quiet ``LocalCluster``
of worker processes (they inherit this process's environment, so they reach the same
object storage with the same credentials) when the first ``map`` has work; with one
it connects to that scheduler and checks that its workers run this gittrain.  Those
workers must be configured with the storage credentials themselves.

A task that raises ``GittrainError`` is a verdict (a missing object, an object that
changed while it was read): it is not retried and reaches the caller as it was raised.
Any other exception is retried; a task whose worker dies is rescheduled by the
scheduler.  An item without a result fails the whole map with one line.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gittrain.errors import GittrainError, usage_error

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler before exit 2
RETRIES = 2  # re-runs of a task that raised something other than GittrainError
# A worker per core, each streaming shards from object storage on a few threads that
# overlap the network waits: 4 x cores in all, as the local thread pool has.
THREADS_PER_WORKER = 4
EXTRA = "pip install 'gittrain[dask]'"
# The scheduler serves its health routes over HTTP even without a dashboard, on 8787
# unless told otherwise, and warns when another cluster on the machine holds that port.
NO_DASHBOARD = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
_QUIET = logging.CRITICAL + 1  # above every level: distributed's lines never show
_LOGGERS = ("asyncio", "tornado")


@dataclass(frozen=True, slots=True)
class Failed:
    """A task's ``GittrainError``, returned as a value so distributed does not retry it."""

    error: GittrainError


@dataclass(frozen=True, slots=True)
class Task(Generic[T, R]):
    """``fn`` wrapped for a worker; ``fn`` must be a module-level function (picklable)."""

    fn: Callable[[T], R]

    def __call__(self, item: T) -> R | Failed:
        try:
            return self.fn(item)
        except GittrainError as exc:
            return Failed(exc)


@contextlib.contextmanager
def _quiet_logs(distributed: Any) -> Iterator[None]:
    """Silence distributed's logging on this side: what matters is reported as one line.

    distributed configures its own stderr handler on the ``distributed`` logger with
    per-module levels (``distributed.client: warning``), so the handler is what must be
    raised; asyncio and tornado log through the root logger's last-resort handler.
    """
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(_QUIET)
    try:
        with distributed.utils.silence_logging_cmgr(_QUIET):
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _import_distributed() -> Any:
    try:
        import distributed
    except ModuleNotFoundError as exc:
        if exc.name not in ("dask", "distributed") and not (exc.name or "").startswith("dask."):
            raise
        raise usage_error(f"--executor dask needs dask.distributed: {EXTRA}") from None
    return distributed


def local_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity
        return max(1, os.cpu_count() or 1)


class DaskExecutor:
    """Runs tasks on a dask.distributed cluster; ``close`` releases what it opened and
    restores the logging it silenced.  A local cluster starts at the first ``map`` with
    work to do (a dataset with nothing to read never pays for it)."""

    def __init__(
        self, distributed: Any, where: str, quiet: contextlib.ExitStack, client: Any = None
    ) -> None:
        self._distributed = distributed
        self._client = client
        self.cluster: Any = None  # the LocalCluster we started, if any
        self.where = where  # "tcp://host:8786" or "a local cluster", for messages
        self._quiet = quiet
        self._closed = False

    @property
    def client(self) -> Any:
        if self._client is None:
            if self._closed:
                raise RuntimeError("the dask executor is closed")
            self.cluster, self._client = _start_local(self._distributed)
        return self._client

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        done: Callable[[T, R], None] | None = None,
    ) -> list[R]:
        if not items:
            return []
        distributed = self._distributed
        futures = self.client.map(Task(fn), list(items), pure=False, retries=RETRIES)
        index = {future.key: i for i, future in enumerate(futures)}
        results: dict[int, R] = {}
        try:
            # Whatever has finished is fetched in one round trip, not one per task.
            finished = distributed.as_completed(futures, loop=self.client.loop)
            for batch in finished.batches():
                for future in batch:
                    self._check(distributed, future, items[index[future.key]])
                for future, value in zip(batch, self.client.gather(batch), strict=True):
                    i = index[future.key]
                    if isinstance(value, Failed):
                        raise value.error
                    results[i] = value
                    if done is not None:
                        done(items[i], value)
        finally:
            if len(results) < len(items):
                with contextlib.suppress(Exception):
                    self.client.cancel(futures)
        if len(results) < len(items):  # pragma: no cover - as_completed yields every future
            raise usage_error(self._lost(len(items) - len(results)))
        return [results[i] for i in range(len(items))]

    def _check(self, distributed: Any, future: Any, item: object) -> None:
        """Raise what a task that did not finish stands for: the cluster was lost, its
        workers kept dying, or it raised (after its retries) something not ours."""
        if future.status == "cancelled":
            raise usage_error(self._lost())
        if future.status == "error":
            exc = future.exception()
            if isinstance(exc, distributed.KilledWorker):
                raise usage_error(
                    f"dask on {self.where}: workers kept dying while reading {_short(item)};"
                    " nothing recorded"
                ) from None
            future.result()  # raises the task's own exception, with its traceback

    def _lost(self, count: int | None = None) -> str:
        what = "every shard was done" if count is None else f"{count} shard(s) were done"
        return f"dask on {self.where}: lost the cluster before {what}; nothing recorded"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        client, cluster = self._client, self.cluster
        lost = client is not None and client.status != "running"
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        if not lost:
            self._quiet.close()
        # else a client that lost its scheduler goes on trying to reconnect in the
        # background and logs "Failed to reconnect" after our one line: stay quiet.


def _short(item: object, limit: int = 120) -> str:
    text = str(item)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dask_executor(address: str | None) -> DaskExecutor:
    """A client on ``address``'s scheduler, or on a local cluster started when first used."""
    distributed = _import_distributed()
    if address is not None:
        _check_address(distributed, address)
    quiet = contextlib.ExitStack()
    quiet.enter_context(_quiet_logs(distributed))
    if address is None:
        return DaskExecutor(distributed, "a local cluster", quiet)
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # whatever distributed raises, it is one line here
        quiet.close()
        raise usage_error(f"dask scheduler {address}: cannot connect ({_reason(exc)})") from None
    except BaseException:
        quiet.close()
        raise
    try:
        _check_workers(client, address)
    except BaseException:
        client.close()
        quiet.close()
        raise
    return DaskExecutor(distributed, address, quiet, client)


PACKAGE = "gittrain"


def _local_version() -> str:
    import importlib.metadata

    return importlib.metadata.version(PACKAGE)


def _check_workers(client: Any, address: str) -> None:
    """The workers must import the gittrain we pickle tasks for.  A worker that cannot
    unpickle a task drops its connection and the task waits forever (distributed
    2026.8), so ask each worker for its gittrain version first: one round trip."""
    import importlib.metadata

    try:
        versions: dict[str, str] = client.run(importlib.metadata.version, PACKAGE)
    except Exception as exc:
        raise usage_error(
            f"dask on {address}: the workers have no {PACKAGE} ({_reason(exc)});"
            f" install the same {PACKAGE} as here, with the storage extras, on them"
        ) from None
    mine = _local_version()
    other = sorted({v for v in versions.values() if v != mine})
    if other:
        raise usage_error(
            f"dask on {address}: the workers run {PACKAGE} {', '.join(other)}, this is {mine};"
            " install the same version on them"
        )


def _start_local(distributed: Any) -> tuple[Any, Any]:
    """A cluster of worker processes on this machine; they inherit this process's
    environment (object-storage endpoints and credentials)."""
    cluster = distributed.LocalCluster(
        n_workers=local_workers(),
        threads_per_worker=THREADS_PER_WORKER,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs=NO_DASHBOARD,
        silence_logs=_QUIET,
        preload=[__name__],  # dask_setup below, in every worker, restarted ones too
    )
    try:
        client = distributed.Client(cluster, set_as_default=False)
    except BaseException:
        cluster.close()
        raise
    return cluster, client


def dask_setup(worker: object) -> None:
    """Run in each worker process of a local cluster we start (a dask preload).

    Ctrl-C in the terminal reaches the whole process group: the workers leave it to
    us (the client cancels their tasks and closes the cluster) instead of each one
    printing a KeyboardInterrupt traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_address(distributed: Any, address: str) -> None:
    """Refuse an address distributed cannot parse before a ``Client`` exists: one that
    fails in its constructor with anything but OSError is left half open, and its
    ``__del__`` then hangs for 10 s and prints a traceback (distributed 2026.8)."""
    try:
        scheme, _ = distributed.comm.parse_address(address, strict=False)
        distributed.comm.registry.get_backend(scheme)
        if scheme in ("tcp", "tls", "ws", "wss"):
            distributed.comm.get_address_host_port(address)
    except ValueError as exc:
        raise usage_error(
            f"dask scheduler {address}: not an address ({_reason(exc)}); expected tcp://HOST:PORT"
        ) from None
    tls = distributed.Security().get_connection_args("client")["ssl_context"]
    if scheme in ("tls", "wss") and tls is None:
        raise usage_error(
            f"dask scheduler {address}: {scheme}:// needs dask's TLS settings"
            " (distributed.comm.tls.ca-file, .client.cert, .client.key)"
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (OSError, TimeoutError)) and "Timed out" in str(exc):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
