"""https:// and http:// files through fsspec's HTTP filesystem; the only importer of aiohttp.

A URL names one file: HTTP has no listing.  ``stat`` is one HEAD (size from
Content-Length; identity from ETag and Last-Modified, never a sha256: an ETag is
whatever the server chose).  ``open`` is one streamed GET; ``open_random`` reads byte
ranges when the server serves them, and otherwise streams the file once and keeps its
tail (a Parquet footer) with a note saying so.  Request options (headers such as
``Authorization``) come from fsspec's config (``FSSPEC_HTTPS='{"headers": {...}}'``),
and so may the timeout (``FSSPEC_HTTPS_CLIENT_KWARGS='{"timeout": 5}'``, in seconds).
"""

from __future__ import annotations

import asyncio
import atexit
import email.utils
import io
import os
from collections.abc import Iterator, Mapping
from datetime import timezone
from typing import Any, BinaryIO

import aiohttp
from fsspec.asyn import sync
from fsspec.exceptions import FSTimeoutError
from fsspec.implementations.http import HTTPFileSystem

from gittrain.adapters.remote import ranged, sessions
from gittrain.adapters.remote.store import Identity, ObjectInfo, Stores
from gittrain.adapters.remote.urls import RemoteURL
from gittrain.errors import GittrainError, usage_error

_AUTH_HINT = (
    "give the server's credentials in fsspec's config, "
    'e.g. FSSPEC_HTTPS=\'{"headers": {"Authorization": "Bearer TOKEN"}}\''
)
_MISSING = (404, 410)
_NO_HEAD = (405, 501)  # servers (and signed URLs) that answer GET only


_stores: Stores[HTTPStore] = Stores()


def open_store(url: RemoteURL, timeout: float) -> HTTPStore:
    """The HTTP store for the current settings, shared by this process's threads (one
    session and its connection pool); a change of settings closes the old one."""
    options = sessions.fsspec_options("http", "https")
    return _stores.get([timeout, options], lambda: HTTPStore(timeout, options))


close_all = _stores.close_all
atexit.register(close_all)


class HTTPStore:
    """Files on web servers, through one fsspec HTTP filesystem (its loop and session)."""

    def __init__(self, timeout: float, options: Mapping[str, Any]) -> None:
        options = {k: v for k, v in options.items() if k != "skip_instance_cache"}
        client_kwargs = dict(options.pop("client_kwargs", None) or {})
        # Seconds in the config (FSSPEC_HTTP_CLIENT_KWARGS='{"timeout": 5}') override the
        # default; aiohttp itself would refuse a number there.
        configured = client_kwargs.get("timeout")
        if isinstance(configured, int | float) and not isinstance(configured, bool):
            timeout = float(configured)
        self.timeout = timeout
        # No total limit: a large file takes as long as it takes; a silent server does not.
        client_kwargs["timeout"] = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout, sock_read=timeout
        )
        self._fs = HTTPFileSystem(**options, client_kwargs=client_kwargs, skip_instance_cache=True)

    def close(self) -> None:
        sessions.close_session(self._fs, HTTPFileSystem.close_session)

    def resolve(self, url: RemoteURL) -> Identity:
        return {}

    def pages(self, url: RemoteURL, *, checksums: bool = True) -> Iterator[list[ObjectInfo]]:
        if url.is_prefix:
            raise usage_error(
                f"{url.text}: HTTP has no directory listing, so a URL ending in '/' names "
                "no files; add each file by its URL (s3://, gs:// and hf:// list prefixes)"
            )
        status, info = self._stat(url)
        if info is None:
            raise _status_error(url, status)
        yield [info]

    def stat(self, url: RemoteURL) -> ObjectInfo | None:
        return self._stat(url)[1]

    def _stat(self, url: RemoteURL) -> tuple[int, ObjectInfo | None]:
        status, headers = self._call(url, self._head, url.text)
        if status in _NO_HEAD:  # asked again with a GET of one byte (its headers only)
            status, headers = self._call(url, self._first_byte, url.text)
        if status in _MISSING:
            return status, None
        if status >= 400:
            raise _status_error(url, status)
        size = _size(headers)
        if size is None:
            raise GittrainError(
                f"{url.text}: the server does not state the file's size "
                "(no Content-Length), so it cannot be tracked"
            )
        return status, ObjectInfo(url=url, key="", size=size, identity=_identity(headers))

    def open(self, url: RemoteURL) -> BinaryIO:
        return self.stream(url)

    def open_random(self, url: RemoteURL, size: int) -> BinaryIO:
        return ranged.buffered(_Random(self, url, size), ranged.RANDOM_BLOCK)

    # -- requests ---------------------------------------------------------------------

    def _call(self, url: RemoteURL, func: Any, *args: object) -> Any:
        """``func(*args)`` on fsspec's event loop; a library error becomes a GittrainError."""
        try:
            return sync(self._fs.loop, func, *args)
        except Exception as exc:
            raise _translate(exc, url, self.timeout) from None

    def _options(self, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """fsspec's request options (from its config) with ``headers`` added."""
        options = dict(self._fs.kwargs)
        options["headers"] = {**(options.get("headers") or {}), **(headers or {})}
        return options

    async def _head(self, target: str) -> tuple[int, dict[str, str]]:
        session = await self._fs.set_session()
        options = self._options({"Accept-Encoding": "identity"})
        async with session.head(target, allow_redirects=True, **options) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}

    async def _first_byte(self, target: str) -> tuple[int, dict[str, str]]:
        """The headers of ``GET`` with ``Range: bytes=0-0``, for servers that refuse HEAD;
        a 206's Content-Range gives the size (a 200's body is left unread)."""
        session = await self._fs.set_session()
        options = self._options({"Range": "bytes=0-0", "Accept-Encoding": "identity"})
        async with session.get(target, **options) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            total = headers.get("content-range", "").rpartition("/")[2]
            if response.status == 206 and total.isdigit():
                headers["content-length"] = total
            return (200 if response.status == 206 else response.status), headers

    async def _range(self, target: str, start: int, end: int) -> tuple[int, bytes]:
        """(206, the bytes) for a Range request, or (status, b"") when the server did not
        answer with the range (a 200 with the whole file is left unread)."""
        session = await self._fs.set_session()
        options = self._options({"Range": f"bytes={start}-{end - 1}"})
        async with session.get(target, **options) as response:
            if response.status == 206:
                return 206, await response.read()
            return response.status, b""

    def fetch(self, url: RemoteURL, start: int, end: int) -> bytes | None:
        """Bytes ``[start, end)``, or None when the server answers with the whole file."""
        status, data = self._call(url, self._range, url.text, start, end)
        if status == 206:
            return bytes(data)
        if status == 416:  # the range is past the end: the file shrank
            raise GittrainError(
                f"{url.text}: changed while it was being read (now shorter than {end} bytes)"
            )
        if status >= 400:
            raise _status_error(url, status)
        return None

    def stream(self, url: RemoteURL) -> BinaryIO:
        """A streamed GET of the whole file, opened on its first read."""
        return io.BufferedReader(_Stream(self, url), buffer_size=ranged.SEQUENTIAL_BLOCK)

    async def _get(self, target: str) -> aiohttp.ClientResponse:
        """A GET whose body is still to be read; an error status is released and raised."""
        session = await self._fs.set_session()
        response: aiohttp.ClientResponse = await session.get(target, **self._options())
        if response.status >= 400:
            response.release()
            raise aiohttp.ClientResponseError(
                response.request_info, response.history, status=response.status
            )
        return response

    async def _read(self, response: aiohttp.ClientResponse, size: int) -> bytes:
        """Up to ``size`` bytes of ``response``'s body; fewer only at its end."""
        parts: list[bytes] = []
        while size > 0:
            chunk = await response.content.read(size)
            if not chunk:
                break
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)


class _Stream(io.RawIOBase):
    """One GET of the whole file, sent on the first read; library errors translated."""

    def __init__(self, store: HTTPStore, url: RemoteURL) -> None:
        super().__init__()
        self._store = store
        self._url = url
        self._response: aiohttp.ClientResponse | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        store = self._store
        if self._response is None:
            self._response = store._call(self._url, store._get, self._url.text)
        data = store._call(self._url, store._read, self._response, len(buffer))
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        # io.RawIOBase reads 8 KiB at a time, each a hop to fsspec's event loop.
        return b"".join(iter(lambda: self.read(ranged.SEQUENTIAL_BLOCK), b""))

    def close(self) -> None:
        if self._response is not None:
            self._response.close()  # not read to the end: the connection is dropped
            self._response = None
        super().close()


class _Random(ranged.RawReader):
    """Byte ranges while the server answers a Range request with 206 (whether or not it
    advertises ``Accept-Ranges``); after a 200, streamed passes keeping the tail."""

    def __init__(self, store: HTTPStore, url: RemoteURL, size: int) -> None:
        super().__init__(url.text, size, on_close=None)
        self._store = store
        self._url = url
        self._tail: ranged.TailReader | None = None
        self.note: str | None = None

    def read_at(self, start: int, length: int) -> bytes:
        if self._tail is None:
            data = self._store.fetch(self._url, start, start + length)
            if data is not None:
                return data
            self._stream_instead("ignored a byte-range request")
        assert self._tail is not None
        return self._tail.read_at(start, length)

    def _stream_instead(self, why: str) -> None:
        self._tail = ranged.TailReader(
            self._url.text, self.size, lambda: self._store.stream(self._url)
        )
        self.note = (
            f"{self._url.text}: the server {why}, so the whole file was streamed "
            "to read what was needed"
        )


def _size(headers: Mapping[str, str]) -> int | None:
    if headers.get("content-encoding", "identity") not in ("identity", ""):
        return None  # the length of a compressed body, not of the file
    length = headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def _identity(headers: Mapping[str, str]) -> dict[str, str | int]:
    identity: dict[str, str | int] = {}
    etag = headers.get("etag", "").strip()
    if etag:
        weak = etag.startswith("W/")
        value = etag[2:] if weak else etag
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        identity["etag"] = f"W/{value}" if weak else value
    modified = headers.get("last-modified", "").strip()
    if modified:
        identity["last_modified"] = _iso_date(modified)
    return identity


def _iso_date(text: str) -> str:
    """An HTTP date as ISO 8601 UTC (``2026-11-29T19:36:44Z``); unparseable text as is."""
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status_error(url: RemoteURL, status: int) -> GittrainError:
    if status in _MISSING:
        return GittrainError(f"{url.text}: not found on the server (HTTP {status})")
    if status in (401, 403, 407):
        return usage_error(f"{url.text}: the server refused access (HTTP {status}); {_AUTH_HINT}")
    if status >= 500:
        return usage_error(f"{url.text}: the server failed (HTTP {status}); try again later")
    return GittrainError(f"{url.text}: the server refused the request (HTTP {status})")


def _translate(exc: BaseException, url: RemoteURL, timeout: float) -> GittrainError:
    """One line for a library error, naming the URL."""
    if isinstance(exc, GittrainError):
        return exc
    if isinstance(exc, aiohttp.ClientResponseError):
        return _status_error(url, exc.status)
    if isinstance(exc, FileNotFoundError):  # fsspec's word for a 404
        return _status_error(url, 404)
    if isinstance(exc, asyncio.TimeoutError | FSTimeoutError):  # incl. aiohttp's timeouts
        return usage_error(f"{url.text}: no answer from the server within {timeout:g} s")
    if isinstance(exc, aiohttp.ClientConnectorError):
        err = exc.os_error
        reason = os.strerror(err.errno) if err.errno else str(err) or type(err).__name__
        return usage_error(f"{url.text}: cannot connect to {url.bucket}: {reason}")
    if isinstance(exc, aiohttp.ClientError | OSError):
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return usage_error(f"{url.text}: the connection failed: {detail}")
    raise exc
