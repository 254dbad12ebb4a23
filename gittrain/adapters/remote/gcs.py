"""gs:// objects and prefixes through gcsfs's JSON API client: the only importer of gcsfs.

``stat`` is one object GET; a prefix is listed a page (1,000 objects) at a time, so a
prefix of any size holds one page in memory; bytes come from ranged media GETs
pinned to the generation seen, so an object replaced mid-read fails instead of mixing
two versions.  Identity is GCS's own: crc32c and md5 (hex here; GCS sends base64),
generation and size.  GCS never vouches for a SHA-256, so ``sha256`` stays None.

The endpoint is the standard ``STORAGE_EMULATOR_HOST`` (gcsfs reads it) or GCS itself,
the timeout gcsfs's ``requests_timeout`` (``FSSPEC_GCS_REQUESTS_TIMEOUT=5``, seconds);
credentials come the gcsfs way: ``token`` in fsspec's config (``FSSPEC_GCS_TOKEN``: a
key file, or an access token), else Application Default Credentials
(``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth application-default login``), else
anonymous access (public buckets), which is also the default against an emulator.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import logging
import os
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import aiohttp
import google.auth.exceptions
import requests.exceptions
from fsspec.asyn import sync
from fsspec.exceptions import FSTimeoutError
from gcsfs.core import GCSFileSystem
from gcsfs.retry import HttpError, retry_request

from gittrain.adapters.remote import ranged, sessions
from gittrain.adapters.remote.store import Identity, ObjectInfo, Stores
from gittrain.adapters.remote.urls import RemoteURL
from gittrain.errors import GittrainError, usage_error

PAGE = 1000  # objects per listing request (the JSON API's maximum)
CREDENTIALS_HINT = (
    "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run "
    "`gcloud auth application-default login`, or set FSSPEC_GCS_TOKEN"
)
# gcsfs logs a request that failed for good with logger.exception; with no handler
# configured Python would print that traceback to stderr, next to gittrain's one line.
logging.getLogger("gcsfs").addHandler(logging.NullHandler())


_stores: Stores[GCSStore] = Stores()
# The environment gcsfs and google-auth read (endpoint, credentials, project).
_ENV_PREFIXES = ("STORAGE_EMULATOR_HOST", "GOOGLE_", "GCE_", "GCSFS_", "CLOUDSDK_")
_ENV_NAMES = ("FETCH_RAW_TOKEN_EXPIRY", "NO_GCE_CHECK")


def open_store(url: RemoteURL, timeout: float) -> GCSStore:
    """The GCS store for the current settings, shared by this process's threads: one
    client, so credentials are loaded (and an access token fetched) once, not per
    object.  A change of settings closes the old one."""
    options = sessions.fsspec_options("gcs", "gs")
    env = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES
    )
    return _stores.get([timeout, options, env], lambda: GCSStore(url, timeout, options))


close_all = _stores.close_all


# gcsfs closes a session at exit from a weakref finalizer that calls loop.create_task
# from the main thread, which is not thread-safe (with ``-X dev``: a RuntimeError and a
# never-awaited coroutine).  close_all closes on the loop first and then that finalizer
# finds nothing to do: atexit runs the last registered first, and weakref registers its
# own exit hook when the first finalizer is made, so one is made before registering.
weakref.finalize(close_all, lambda: None).atexit = False
atexit.register(close_all)


class _Unreachable(Exception):
    """No connection or no answer in time: not retried (see ``_FileSystem``)."""

    def __init__(self, cause: aiohttp.ClientError) -> None:
        super().__init__(str(cause))
        self.cause = cause


_request_once = GCSFileSystem._request.__wrapped__  # gcsfs's request without its retries


class _FileSystem(GCSFileSystem):  # type: ignore[misc]
    """gcsfs's JSON API client (not its gRPC ``ExtendedGcsFileSystem``), failing fast when
    the endpoint cannot be reached: gcsfs retries every aiohttp error six times with
    backoff (over 30 s), which is right for a 503 and wrong for a refused connection
    or a server that does not answer within the timeout."""

    @retry_request(retries=GCSFileSystem.retries)  # type: ignore[untyped-decorator]
    async def _request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await _request_once(self, *args, **kwargs)
        except (aiohttp.ClientConnectorError, aiohttp.ServerTimeoutError) as exc:
            raise _Unreachable(exc) from exc


class GCSStore:
    """Objects in GCS buckets through one gcsfs client (its loop, session, credentials)."""

    def __init__(self, url: RemoteURL, timeout: float, settings: Mapping[str, Any]) -> None:
        options = {k: v for k, v in settings.items() if k != "skip_instance_cache"}
        # gcsfs's own knob, in seconds (FSSPEC_GCS_REQUESTS_TIMEOUT=5), over the default.
        configured = options.get("requests_timeout")
        if isinstance(configured, int | float) and not isinstance(configured, bool):
            timeout = float(configured)
        self.timeout = timeout
        # Per request, not in total: a large object takes as long as it takes.
        options["requests_timeout"] = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout, sock_read=timeout
        )
        if "token" not in options and os.environ.get("STORAGE_EMULATOR_HOST"):
            options["token"] = "anon"  # an emulator checks no credentials
        try:
            self._fs = _FileSystem(**options, skip_instance_cache=True)
        except (google.auth.exceptions.GoogleAuthError, ValueError, OSError) as exc:
            raise usage_error(
                f"{url.text}: GCS credentials could not be loaded ({_first_line(exc)}); "
                f"{CREDENTIALS_HINT}"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise usage_error(
                f"{url.text}: GCS credentials could not be checked ({_first_line(exc)})"
            ) from None
        self.endpoint = self._fs._location

    def close(self) -> None:
        sessions.close_session(self._fs, GCSFileSystem.close_session)

    def resolve(self, url: RemoteURL) -> Identity:
        return {}

    def pages(self, url: RemoteURL, *, checksums: bool = True) -> Iterator[list[ObjectInfo]]:
        if not url.is_prefix:
            yield [self._require(url)]
            return
        token: str | None = None
        found = False
        while True:
            page = self._call(
                url,
                "bucket",
                "GET",
                "b/{}/o",
                url.bucket,
                json_out=True,
                prefix=url.key or None,
                maxResults=PAGE,
                pageToken=token,
            )
            infos = [
                self._info(url.child(item["name"][len(url.key) :]), item, url)
                for item in page.get("items", [])
                if not item["name"].endswith("/")  # a "folder" placeholder, not data
            ]
            if infos:
                found = True
                yield infos
            token = page.get("nextPageToken")
            if not token:
                break
        if not found:
            raise GittrainError(f"{url.text}: no objects under this prefix")

    def stat(self, url: RemoteURL) -> ObjectInfo | None:
        try:
            meta = self._call(url, "object", "GET", "b/{}/o/{}", url.bucket, url.key, json_out=True)
        except _Missing:
            return None
        return self._info(url, meta, url)

    def open(self, url: RemoteURL) -> BinaryIO:
        info = self._require(url)
        return ranged.buffered(self._reader(url, info), ranged.SEQUENTIAL_BLOCK)

    def open_random(self, url: RemoteURL, size: int) -> BinaryIO:
        info = self._require(url)
        if info.size != size:
            raise GittrainError(
                f"{url.text}: the object changed (now {info.size} bytes, listed as {size})"
            )
        return ranged.buffered(self._reader(url, info), ranged.RANDOM_BLOCK)

    # -- requests ---------------------------------------------------------------------

    def _require(self, url: RemoteURL) -> ObjectInfo:
        info = self.stat(url)
        if info is None:
            raise self._missing(url)
        return info

    def _missing(self, url: RemoteURL) -> GittrainError:
        """The error for an object that is not there: the bucket may be missing (a 404
        for the listing), or the name may be a "folder" that wants its trailing '/'."""
        folder = url.key + "/"
        page = self._call(
            url, "bucket", "GET", "b/{}/o", url.bucket, json_out=True, prefix=folder, maxResults=1
        )
        if page.get("items"):
            return GittrainError(
                f"{url.text}: no such object; for the objects under it, "
                f"add gs://{url.bucket}/{folder} (with the trailing '/')"
            )
        return GittrainError(f"{url.text}: no such object in bucket {url.bucket}")

    def _reader(self, url: RemoteURL, info: ObjectInfo) -> ranged.RangeReader:
        generation = str(info.identity["generation"])
        media = self._fs.url(f"{url.bucket}/{url.key}", generation=generation)

        def fetch(start: int, end: int) -> bytes:
            try:
                _, data = self._call(
                    url, "generation", "GET", media, headers={"Range": f"bytes={start}-{end - 1}"}
                )
            except _Missing:
                raise GittrainError(
                    f"{url.text}: changed while it was being read "
                    f"(generation {generation} was replaced); try again"
                ) from None
            return bytes(data)

        return ranged.RangeReader(url.text, info.size, fetch)

    def _call(self, url: RemoteURL, what: str, *args: Any, **kwargs: Any) -> Any:
        """One JSON API call on fsspec's loop; errors become GittrainErrors.  ``what`` is
        the thing a 404 means is missing: "object" (raised as ``_Missing``), else the bucket."""
        try:
            return sync(self._fs.loop, self._fs._call, *args, **kwargs)
        except FileNotFoundError:
            if what in ("object", "generation"):
                raise _Missing from None
            raise GittrainError(f"{url.text}: no such bucket {url.bucket!r}") from None
        except Exception as exc:
            raise self._translate(exc, url) from None

    def _translate(self, exc: Exception, url: RemoteURL) -> GittrainError:
        if isinstance(exc, _Unreachable):
            cause = exc.cause
            if isinstance(cause, aiohttp.ServerTimeoutError):
                return usage_error(
                    f"{url.text}: no answer from GCS at {self.endpoint} within {self.timeout:g} s"
                )
            assert isinstance(cause, aiohttp.ClientConnectorError)
            err = cause.os_error
            reason = os.strerror(err.errno) if err.errno else str(err) or type(err).__name__
            return usage_error(f"{url.text}: cannot connect to GCS at {self.endpoint}: {reason}")
        if isinstance(exc, HttpError) and exc.code == 401:
            return usage_error(f"{url.text}: GCS wants credentials (HTTP 401); {CREDENTIALS_HINT}")
        if isinstance(exc, google.auth.exceptions.GoogleAuthError):
            return usage_error(
                f"{url.text}: GCS credentials failed ({_first_line(exc)}); {CREDENTIALS_HINT}"
            )
        if isinstance(exc, OSError) and str(exc).startswith("Forbidden"):
            return usage_error(
                f"{url.text}: GCS refused access (HTTP 403): the credentials in use lack "
                "permission to read it"
            )
        if isinstance(exc, HttpError) and exc.code is not None and int(exc.code) < 500:
            return GittrainError(f"{url.text}: GCS refused the request: {_first_line(exc)}")
        if isinstance(exc, HttpError | requests.exceptions.RequestException):
            return usage_error(f"{url.text}: GCS failed: {_first_line(exc)}; try again later")
        if isinstance(exc, asyncio.TimeoutError | FSTimeoutError):
            return usage_error(f"{url.text}: no answer from GCS within {self.timeout:g} s")
        if isinstance(exc, aiohttp.ClientError | OSError):
            return usage_error(f"{url.text}: the connection to GCS failed: {_first_line(exc)}")
        if isinstance(exc, ValueError):  # gcsfs's "Bad Request" for a 400
            return GittrainError(f"{url.text}: GCS refused the request: {_first_line(exc)}")
        raise exc

    def _info(self, url: RemoteURL, meta: Mapping[str, Any], base: RemoteURL) -> ObjectInfo:
        key = url.key[len(base.key) :] if base.is_prefix else ""
        return ObjectInfo(url=url, key=key, size=int(meta["size"]), identity=_identity(meta))


class _Missing(Exception):
    """A 404 for an object (its absence is an answer, not an error)."""


def _identity(meta: Mapping[str, Any]) -> dict[str, str | int]:
    identity: dict[str, str | int] = {}
    if meta.get("crc32c"):
        identity["crc32c"] = base64.b64decode(meta["crc32c"]).hex()
    if meta.get("md5Hash"):  # composite objects have none
        identity["md5"] = base64.b64decode(meta["md5Hash"]).hex()
    identity["generation"] = str(meta["generation"])
    identity["size"] = int(meta["size"])
    return identity


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
