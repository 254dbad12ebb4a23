"""S3 through s3fs and botocore: the only module that imports them.

Endpoint, credentials and client settings come from the standard places only:
``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_S3``, ``AWS_PROFILE`` and the AWS config files
(botocore reads them), and fsspec's ``FSSPEC_S3_<KWARG>`` settings (for example
``FSSPEC_S3_CONFIG_KWARGS='{"read_timeout": 5}'``), read afresh on every command.
Every botocore/aiobotocore exception is translated here into a one-line
``GittrainError`` naming the URL.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import collections
import functools
import io
import os
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, BinaryIO, TypeVar

from gittrain.adapters.remote.store import Identity, ObjectInfo, Stores
from gittrain.adapters.remote.urls import RemoteURL
from gittrain.errors import GittrainError, usage_error

T = TypeVar("T")

PAGE = 1000  # objects per ListObjectsV2 page (the API's maximum)
CONNECT_TIMEOUT = 10.0  # seconds; at most 3 attempts (botocore's standard retry mode)
HEADS = 64  # concurrent HEAD requests (and pooled connections)
# A Parquet footer is read with one ranged GET of pyarrow's 64 KiB tail read plus this much.
RANDOM_BLOCK = 256 << 10
STREAM_CHUNK = 4 << 20  # bytes per hand-over from the event loop for a sequential read
READ_AHEAD = 2  # chunks read ahead of the reader (per stream: 8 MiB of memory)
# A multipart upload's ETag ends in "-<parts>"; its ChecksumSHA256 (when S3 does not say
# FULL_OBJECT) is a sha256 of the parts' checksums, not of the object.
_MULTIPART = re.compile(r"-\d+$")
HOW_TO_CONFIGURE = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE "
    "(and AWS_ENDPOINT_URL for a server other than AWS)"
)

_stores: Stores[S3Store] = Stores()


def open_store(url: RemoteURL, timeout: float) -> S3Store:
    """The S3 store for the current settings, shared by this process's threads.

    One client serves every thread (its connection pool is what makes concurrent
    HEADs cheap); a change of settings (another endpoint) closes the old one.
    """
    settings = _settings(timeout)
    env = sorted((k, v) for k, v in os.environ.items() if k[:4] == "AWS_")
    return _stores.get([settings, env], lambda: S3Store(settings))


close_all = _stores.close_all
atexit.register(close_all)


def _settings(timeout: float) -> dict[str, Any]:
    """s3fs keyword arguments: fsspec's configuration (files and ``FSSPEC_S3_*``, read
    now, not when fsspec was imported) over bounded defaults."""
    from gittrain.adapters.remote.sessions import fsspec_options

    user = fsspec_options("s3")
    config = {
        # A black-holed endpoint fails within a few connect timeouts, a slow one per read.
        "connect_timeout": min(timeout, CONNECT_TIMEOUT),
        "read_timeout": timeout,
        "retries": {"max_attempts": 3, "mode": "standard"},
        "max_pool_connections": HEADS,
        # We compute the sha256 ourselves; botocore need not hash the stream again.
        "response_checksum_validation": "when_required",
        **(user.pop("config_kwargs", None) or {}),
    }
    return {**user, "config_kwargs": config}


class S3Store:
    """``Store`` for ``s3://`` URLs on one s3fs filesystem (its event loop and client)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        import s3fs

        self.fs = s3fs.S3FileSystem(skip_instance_cache=True, **settings)
        # botocore retries (bounded by the config above); s3fs would retry again on top.
        self.fs.retries = 1
        self._closed = False

    # -- the Store protocol ------------------------------------------------------

    def resolve(self, url: RemoteURL) -> Identity:
        return {}

    def stat(self, url: RemoteURL) -> ObjectInfo | None:
        return self._run(url, lambda: self._head(url, ""))

    def pages(self, url: RemoteURL, *, checksums: bool = True) -> Iterator[list[ObjectInfo]]:
        if not url.is_prefix:
            info = self.stat(url)
            if info is None:
                self._run(url, lambda: self._explain_missing(url))
            assert info is not None
            yield [info]
            return
        token: str | None = None
        listed = 0
        while True:
            page, token = self._run(url, functools.partial(self._list_page, url, token, checksums))
            listed += len(page)
            if page:
                yield page
            if token is None:
                break
        if listed == 0:
            self._run(url, lambda: self._explain_missing(url))

    def open(self, url: RemoteURL) -> BinaryIO:
        body = _Body(self, url)
        self._run(url, body.start)
        return body  # type: ignore[return-value]

    def open_random(self, url: RemoteURL, size: int) -> BinaryIO:
        try:
            handle = self.fs.open(
                f"{url.bucket}/{url.key}",
                "rb",
                size=size,
                block_size=RANDOM_BLOCK,
                cache_type="readahead",
            )
        except Exception as exc:
            raise self._translate(exc, url) from None
        return _Random(self, url, handle)  # type: ignore[return-value]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        creator = getattr(self.fs, "_s3creator", None)
        if creator is not None:
            self.fs.close_session(self.fs.loop, creator)
            self.fs._s3creator = None
            self.fs._s3 = None

    # -- requests, on the filesystem's event loop --------------------------------

    def _run(self, url: RemoteURL, make: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on s3fs's loop; every library exception becomes one line."""
        from fsspec.asyn import sync

        async def call() -> T:
            return await make()

        try:
            return sync(self.fs.loop, call)  # type: ignore[no-any-return]
        except GittrainError:
            raise
        except Exception as exc:
            raise self._translate(exc, url) from None

    async def _client(self) -> Any:
        return await self.fs.set_session()

    async def _head(self, url: RemoteURL, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        s3 = await self._client()
        try:
            head = await s3.head_object(Bucket=url.bucket, Key=url.key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        return _info(url, key, head)

    async def _list_page(
        self, url: RemoteURL, token: str | None, checksums: bool
    ) -> tuple[list[ObjectInfo], str | None]:
        s3 = await self._client()
        args: dict[str, Any] = {"Bucket": url.bucket, "Prefix": url.key, "MaxKeys": PAGE}
        if token:
            args["ContinuationToken"] = token
        reply = await s3.list_objects_v2(**args)
        page: list[ObjectInfo] = []
        heads: list[int] = []
        for item in reply.get("Contents", ()):
            rel = item["Key"][len(url.key) :]
            if not rel or rel.endswith("/"):
                continue  # the "folder" markers consoles create
            if checksums and "SHA256" in item.get("ChecksumAlgorithm", ()):
                heads.append(len(page))  # only a HEAD returns the checksum's value
            identity = {"etag": _etag(item.get("ETag", ""))}
            page.append(ObjectInfo(url.child(rel), rel, int(item["Size"]), None, None, identity))
        if heads:
            limit = asyncio.Semaphore(HEADS)

            async def head(i: int) -> ObjectInfo | None:
                async with limit:
                    return await self._head(page[i].url, page[i].key)

            found = await asyncio.gather(*(head(i) for i in heads))
            for i, info in zip(heads, found, strict=True):
                if info is not None:  # deleted since the listing: keep what the listing said
                    page[i] = info
        more = reply.get("IsTruncated") and reply.get("NextContinuationToken")
        return page, more or None

    async def _explain_missing(self, url: RemoteURL) -> None:
        """Raise the right one-line error for a missing object, prefix or bucket."""
        from botocore.exceptions import ClientError

        s3 = await self._client()
        try:
            await s3.head_bucket(Bucket=url.bucket)
        except ClientError as exc:
            if _status(exc) == 404:
                raise GittrainError(f"{url.text}: no such bucket {url.bucket!r}") from None
            raise
        if url.is_prefix:
            raise GittrainError(f"{url.text}: no objects under this prefix")
        folder = url.key + "/"
        reply = await s3.list_objects_v2(Bucket=url.bucket, Prefix=folder, MaxKeys=1)
        if reply.get("KeyCount"):
            raise GittrainError(
                f"{url.text}: no such object; for the objects under it, "
                f"add s3://{url.bucket}/{folder} (with the trailing '/')"
            )
        raise GittrainError(f"{url.text}: no such object")

    # -- errors ---------------------------------------------------------------------

    def _endpoint(self) -> str:
        s3 = getattr(self.fs, "_s3", None)
        endpoint = getattr(getattr(s3, "meta", None), "endpoint_url", None)
        return str(endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or "AWS S3")

    def _translate(self, exc: BaseException, url: RemoteURL) -> GittrainError:
        return translate(exc, url, self._endpoint())


def translate(exc: BaseException, url: RemoteURL, endpoint: str) -> GittrainError:
    """One line for a botocore, aiobotocore or s3fs exception (never a traceback)."""
    from botocore import exceptions as bx

    cause = exc.__cause__ if isinstance(exc, OSError) and exc.__cause__ is not None else exc
    if isinstance(cause, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return usage_error(f"{url.text}: no S3 credentials found; {HOW_TO_CONFIGURE}")
    if isinstance(cause, bx.ProfileNotFound):
        return usage_error(f"{url.text}: {cause}; set AWS_PROFILE to a configured profile")
    if isinstance(cause, bx.ClientError):
        error = cause.response.get("Error", {})
        code, status = str(error.get("Code", "")), _status(cause)
        if code == "NoSuchBucket":
            return GittrainError(f"{url.text}: no such bucket {url.bucket!r}")
        if code in ("NoSuchKey", "NotFound") or status == 404:
            return GittrainError(f"{url.text}: no such object")
        if status in (401, 403) or code in (
            "AccessDenied",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "ExpiredToken",
        ):
            return usage_error(
                f"{url.text}: S3 refused access ({code or status}); check the credentials: "
                f"{HOW_TO_CONFIGURE}"
            )
        message = str(error.get("Message") or code or status)
        return usage_error(f"{url.text}: S3 error at {endpoint}: {message}")
    if isinstance(cause, (bx.ConnectTimeoutError, bx.ReadTimeoutError, asyncio.TimeoutError)):
        return usage_error(f"{url.text}: timed out waiting for {endpoint}")
    if isinstance(cause, (bx.EndpointConnectionError, bx.ConnectionError)):
        return usage_error(f"{url.text}: cannot reach {endpoint}")
    if isinstance(cause, bx.NoRegionError):
        return usage_error(f"{url.text}: no AWS region; set AWS_DEFAULT_REGION or AWS_PROFILE")
    if isinstance(cause, (bx.BotoCoreError, OSError)):
        reason = str(cause).strip().splitlines()
        return usage_error(
            f"{url.text}: cannot read from {endpoint}: {reason[0] if reason else type(cause)}"
        )
    if isinstance(cause, ValueError):  # s3fs/botocore parameter checks (a key too long ...)
        return GittrainError(f"{url.text}: {str(cause).splitlines()[0]}")
    raise exc


def _status(exc: Any) -> int | None:
    meta = exc.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    return int(status) if status is not None else None


def _etag(raw: str) -> str:
    return raw.strip('"')


def _info(url: RemoteURL, key: str, head: dict[str, Any]) -> ObjectInfo:
    """An object from its HEAD response (``ChecksumMode=ENABLED``)."""
    etag = _etag(head.get("ETag", ""))
    identity: dict[str, str | int] = {"etag": etag}
    version = head.get("VersionId")
    if version and version != "null":
        identity["version_id"] = version
    sha256 = None
    value = head.get("ChecksumSHA256")
    if value:
        kind = head.get("ChecksumType")
        composite = (
            "-" in value
            or kind == "COMPOSITE"
            or (kind != "FULL_OBJECT" and _MULTIPART.search(etag) is not None)
        )
        if composite:
            identity["checksum_sha256_composite"] = value
        else:
            sha256 = base64.b64decode(value).hex()
    size = int(head.get("ContentLength", 0))
    return ObjectInfo(url, key, size, sha256, "s3-checksum" if sha256 else None, identity)


class _Body(io.RawIOBase):
    """The body of one GET, read front to back.

    A task on the event loop reads ahead into a few big chunks while the caller's
    thread hashes and counts the ones before: a socket drained only on demand would
    leave the server waiting during every hash update.
    """

    def __init__(self, store: S3Store, url: RemoteURL) -> None:
        super().__init__()
        self._store, self._url = store, url
        self._ready: collections.deque[list[bytes]] = collections.deque()
        self._parts: collections.deque[bytes] = collections.deque()
        self._cond = threading.Condition()
        self._eof = False
        self._error: BaseException | None = None
        self._space: asyncio.Semaphore | None = None
        self._pump: asyncio.Future[None] | None = None
        self._view = memoryview(b"")

    async def start(self) -> None:
        """The GET itself (its errors raise from ``open``), then the read-ahead task."""
        s3 = await self._store._client()
        reply = await s3.get_object(Bucket=self._url.bucket, Key=self._url.key)
        self._space = asyncio.Semaphore(READ_AHEAD)
        self._pump = asyncio.ensure_future(self._fill(reply["Body"]))

    async def _fill(self, body: Any) -> None:
        assert self._space is not None
        try:
            while True:
                await self._space.acquire()
                parts, got = [], 0  # as received: joining them would cost a copy here
                while got < STREAM_CHUNK:
                    part = await body.read(STREAM_CHUNK - got)
                    if not part:
                        break
                    parts.append(part)
                    got += len(part)
                end = got < STREAM_CHUNK
                with self._cond:
                    if parts:
                        self._ready.append(parts)
                    self._eof = end
                    self._cond.notify_all()
                if end:
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            with self._cond:
                self._error = exc
                self._cond.notify_all()
        finally:
            body.close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        filled, want = 0, len(buffer)
        while filled < want:
            if not self._view and not self._parts:
                with self._cond:
                    while not self._ready and not self._eof and self._error is None:
                        if filled:
                            return filled
                        self._cond.wait()
                    if self._error is not None:
                        raise self._store._translate(self._error, self._url) from None
                    if not self._ready:
                        return filled
                    self._parts = collections.deque(self._ready.popleft())
                if self._space is not None:  # room for the read-ahead task's next chunk
                    self._store.fs.loop.call_soon_threadsafe(self._space.release)
            if not self._view:
                self._view = memoryview(self._parts.popleft())
            n = min(want - filled, len(self._view))
            buffer[filled : filled + n] = self._view[:n]
            self._view = self._view[n:]
            filled += n
        return filled

    def close(self) -> None:
        if not self.closed and self._pump is not None and not self._pump.done():
            self._store.fs.loop.call_soon_threadsafe(self._pump.cancel)
        self._view = memoryview(b"")
        self._ready.clear()
        self._parts.clear()
        super().close()


class _Random(io.RawIOBase):
    """A seekable reader of byte ranges (an s3fs file) whose errors are one line."""

    def __init__(self, store: S3Store, url: RemoteURL, handle: Any) -> None:
        super().__init__()
        self._store, self._url, self._handle = store, url, handle

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._handle.seek(offset, whence))

    def tell(self) -> int:
        return int(self._handle.tell())

    def read(self, size: int | None = -1) -> bytes:
        try:
            return bytes(self._handle.read(-1 if size is None else size))
        except Exception as exc:
            raise self._store._translate(exc, self._url) from None

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()
