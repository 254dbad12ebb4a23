"""A minimal Google Cloud Storage JSON API contract server for the gs:// tests.

There is no GCS emulator among the test dependencies and no network, so this serves
the few endpoints gcsfs calls for reading, as documented for the JSON API
(https://cloud.google.com/storage/docs/json_api/v1/objects), on 127.0.0.1; gcsfs is
pointed at it with the standard ``STORAGE_EMULATOR_HOST``:

- ``GET /storage/v1/b/{bucket}/o/{object}``: an object's metadata (``size`` and
  ``generation`` are strings, ``md5Hash`` and ``crc32c`` are base64);
- ``GET /storage/v1/b/{bucket}/o?prefix=&maxResults=&pageToken=``: a listing page,
  ``nextPageToken`` while more remain;
- ``GET /download/storage/v1/b/{bucket}/o/{object}?alt=media[&generation=]``: the bytes,
  a single ``Range`` answered with 206.

Errors carry GCS's JSON body ``{"error": {"code": ..., "message": ...}}``.  Listing
parameters it does not implement (``delimiter``, ``versions``, offsets) are refused
with 400 so that a change in what gcsfs sends fails loudly.  ``token`` makes every
request need ``Authorization: Bearer <token>`` (401 otherwise, as GCS answers an
anonymous caller); ``stall`` holds every response until the server stops.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import google_crc32c

from tests.localserver import LocalServer

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_SUPPORTED_LIST_PARAMS = {"prefix", "maxResults", "pageToken", "projection", "fields"}


@dataclass(frozen=True)
class StoredObject:
    name: str
    data: bytes
    generation: int
    composite: bool  # composed objects have a crc32c but no md5Hash

    def resource(self, bucket: str) -> dict[str, Any]:
        crc = google_crc32c.value(self.data).to_bytes(4, "big")
        when = datetime.fromtimestamp(1_700_000_000 + self.generation, tz=timezone.utc)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out: dict[str, Any] = {
            "kind": "storage#object",
            "id": f"{bucket}/{self.name}/{self.generation}",
            "name": self.name,
            "bucket": bucket,
            "generation": str(self.generation),
            "metageneration": "1",
            "contentType": "application/octet-stream",
            "storageClass": "STANDARD",
            "size": str(len(self.data)),
            "crc32c": base64.b64encode(crc).decode(),
            "etag": base64.b64encode(f"{self.generation}".encode()).decode(),
            "timeCreated": stamp,
            "updated": stamp,
        }
        if self.composite:
            out["componentCount"] = 2
        else:
            out["md5Hash"] = base64.b64encode(hashlib.md5(self.data).digest()).decode()
        return out


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    range: str | None


class GCSServer(LocalServer[Request]):
    """The contract server; use as a context manager.  ``endpoint`` is the value for
    ``STORAGE_EMULATOR_HOST``."""

    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, StoredObject]] = {}
        self.token: str | None = None
        self.stall = False
        self._generation = 1_000_000
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.gcs = self
        super().__init__(httpd)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bucket(self, name: str) -> None:
        self.buckets.setdefault(name, {})

    def put(self, bucket: str, name: str, data: bytes, composite: bool = False) -> int:
        """Store an object (a new generation each time); returns its generation."""
        with self._lock:
            self._generation += 1
            self.buckets.setdefault(bucket, {})[name] = StoredObject(
                name, data, self._generation, composite
            )
            return self._generation

    def delete(self, bucket: str, name: str) -> None:
        with self._lock:
            del self.buckets[bucket][name]


class _Server(ThreadingHTTPServer):
    gcs: GCSServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out hung up; nothing to report


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        gcs = self.server.gcs
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        gcs.record(Request("GET", parts.path, parts.query, self.headers.get("Range")))
        if gcs.stall:
            gcs.wait_released()
        if gcs.token is not None and self.headers.get("Authorization") != f"Bearer {gcs.token}":
            self._error(
                401,
                "Anonymous caller does not have storage.objects.get access to the "
                "Google Cloud Storage object.",
            )
            return
        segments = parts.path.split("/")  # still percent-encoded: an object name has "/"
        if segments[1:4] == ["storage", "v1", "b"] and len(segments) == 6 and segments[5] == "o":
            self._list(gcs, unquote(segments[4]), query)
        elif segments[1:4] == ["storage", "v1", "b"] and len(segments) == 7 and segments[5] == "o":
            self._object(gcs, unquote(segments[4]), unquote(segments[6]), query)
        elif segments[1:5] == ["download", "storage", "v1", "b"] and len(segments) == 8:
            self._object(gcs, unquote(segments[5]), unquote(segments[7]), query)
        else:
            self._error(404, f"Not Found: {parts.path}")

    def _object(self, gcs: GCSServer, bucket: str, name: str, query: dict[str, str]) -> None:
        if bucket not in gcs.buckets:
            self._error(404, "The specified bucket does not exist.")
            return
        obj = gcs.buckets[bucket].get(name)
        if obj is None or ("generation" in query and query["generation"] != str(obj.generation)):
            self._error(404, f"No such object: {bucket}/{name}")
            return
        if query.get("alt") == "media":
            self._media(obj)
        else:
            self._json(200, obj.resource(bucket))

    def _list(self, gcs: GCSServer, bucket: str, query: dict[str, str]) -> None:
        unsupported = set(query) - _SUPPORTED_LIST_PARAMS
        if unsupported:
            self._error(400, f"the contract server does not implement {sorted(unsupported)}")
            return
        if bucket not in gcs.buckets:
            self._error(404, "The specified bucket does not exist.")
            return
        prefix = query.get("prefix", "")
        limit = min(int(query.get("maxResults", "1000")), 1000)
        after = query.get("pageToken", "")
        names = sorted(n for n in gcs.buckets[bucket] if n.startswith(prefix) and n > after)
        page = names[:limit]
        body: dict[str, Any] = {"kind": "storage#objects"}
        if page:
            body["items"] = [gcs.buckets[bucket][n].resource(bucket) for n in page]
        if len(names) > limit:
            body["nextPageToken"] = page[-1]  # opaque to clients; here the last name sent
        self._json(200, body)

    def _media(self, obj: StoredObject) -> None:
        data = obj.data
        start, end, status = 0, len(data), HTTPStatus.OK
        header = self.headers.get("Range")
        if header:
            match = _RANGE.match(header)
            if match is None or not match[1] or int(match[1]) >= len(data):
                self._error(416, "The requested range cannot be satisfied.")
                return
            start = int(match[1])
            end = min(int(match[2]) + 1, len(data)) if match[2] else len(data)
            status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("x-goog-generation", str(obj.generation))
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        self.wfile.write(data[start:end])

    def _json(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, code: int, message: str) -> None:
        self._json(code, {"error": {"code": code, "message": message, "errors": []}})
