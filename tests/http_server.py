"""A small static HTTP server for the https:// tests: ETag, Last-Modified, HEAD and Range.

It serves the files under one directory from 127.0.0.1 on a free port, the way a plain
web server or a CDN does: a strong ETag from the content (so a changed file gets a new
one), ``Last-Modified`` from the file's mtime, ``Accept-Ranges: bytes``, and a single
range per request (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``) answered with 206 and
``Content-Range``, or 416 when it cannot be satisfied.

Tests steer it through attributes:
- ``ignore_range``: answer every GET with the whole file, as servers without ranges do;
- ``advertise_ranges``: send ``Accept-Ranges: bytes`` (True by default);
- ``statuses``: a fixed status for a path, e.g. 401, 403 or 500;
- ``redirects``: a path answered with 302 and a Location;
- ``head``: answer HEAD (True by default; else 405, as GET-only servers do);
- ``etag``: send an ETag (True by default; some servers send only Last-Modified);
- ``authorization``: the Authorization header every request must carry (401 otherwise);
- ``stall``: hold every response until the server stops, so a client timeout is
  reached without the test depending on how long anything takes.
``requests`` logs every request with the bytes of body sent, so a test can assert that
reading a Parquet footer fetched only a small part of a large file.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.localserver import LocalServer

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 1 << 16


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: str | None  # the Range header as sent
    status: int
    sent: int  # body bytes in the response (sent unless the client hung up early)


class FileServer(LocalServer[Request]):
    """Serves ``root`` over HTTP on 127.0.0.1; use as a context manager."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ignore_range = False
        self.advertise_ranges = True
        self.stall = False
        self.statuses: dict[str, int] = {}
        self.redirects: dict[str, str] = {}
        self.head = True
        self.etag = True
        self.authorization: str | None = None
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.files = self
        super().__init__(httpd)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def sent(self, path: str) -> int:
        """Body bytes sent for ``path`` since the last ``clear``."""
        return sum(r.sent for r in self.requests if r.path == "/" + path)


class _Server(ThreadingHTTPServer):
    files: FileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes its end: not the server's problem.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection's handler thread ends after this

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        if not self.server.files.head:
            self.server.files.record(Request("HEAD", self.path, None, 405, 0))
            self._empty(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        files = self.server.files
        path = unquote(urlsplit(self.path).path)
        range_header = self.headers.get("Range")
        if files.stall:
            files.wait_released()
        self._respond(files, path, range_header, body)

    def _respond(self, files: FileServer, path: str, range_header: str | None, body: bool) -> None:
        """Send the answer; the request is logged before its body is sent, so a client
        that has read a response always finds it in the log."""

        def log(status: int, sent: int = 0) -> None:
            files.record(Request(self.command, path, range_header, status, sent))

        if path in files.statuses:
            log(files.statuses[path])
            self._empty(files.statuses[path])
            return
        if files.authorization and self.headers.get("Authorization") != files.authorization:
            log(HTTPStatus.UNAUTHORIZED)
            self._empty(HTTPStatus.UNAUTHORIZED)
            return
        if path in files.redirects:
            log(HTTPStatus.FOUND)
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", files.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        target = (files.root / path.lstrip("/")).resolve()
        if not target.is_file() or not target.is_relative_to(files.root.resolve()):
            log(HTTPStatus.NOT_FOUND)
            self._empty(HTTPStatus.NOT_FOUND)
            return
        data = target.read_bytes()
        size = len(data)
        start, end = 0, size  # [start, end)
        status = HTTPStatus.OK
        if range_header and not files.ignore_range and self.command == "GET":
            bounds = _parse_range(range_header, size)
            if bounds is None:
                log(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start, end = bounds
            status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        if files.etag:
            self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
        mtime = target.stat().st_mtime
        self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
        if files.advertise_ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        log(status, end - start if body else 0)
        self.end_headers()
        if body:
            for chunk in _chunks(data, start, end):
                self.wfile.write(chunk)

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``[start, end)`` for a single byte range, or None when it cannot be satisfied."""
    match = _RANGE.match(header.strip())
    if match is None or (not match[1] and not match[2]):
        return None
    if not match[1]:  # the last n bytes
        n = int(match[2])
        return (max(size - n, 0), size) if n > 0 and size > 0 else None
    start = int(match[1])
    end = min(int(match[2]) + 1, size) if match[2] else size
    if start >= size or end <= start:
        return None
    return start, end


def _chunks(data: bytes, start: int, end: int) -> Iterator[bytes]:
    view = memoryview(data)
    for offset in range(start, end, CHUNK):
        yield view[offset : min(offset + CHUNK, end)].tobytes()
