"""What the test HTTP servers share: a threaded server on 127.0.0.1, a log of the requests
it answered, and a release event that stalled handlers wait on; use as a context manager."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any, Generic, TypeVar

R = TypeVar("R")  # the server's request record
S = TypeVar("S", bound="LocalServer[Any]")


class LocalServer(Generic[R]):
    def __init__(self, httpd: ThreadingHTTPServer) -> None:
        self._lock = threading.Lock()
        self._log: list[R] = []
        self._release = threading.Event()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def requests(self) -> list[R]:
        with self._lock:
            return list(self._log)

    def clear(self) -> None:
        with self._lock:
            self._log.clear()

    def record(self, request: R) -> None:
        with self._lock:
            self._log.append(request)

    def wait_released(self) -> None:
        self._release.wait()

    def __enter__(self: S) -> S:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
