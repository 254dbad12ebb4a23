"""Real servers on 127.0.0.1 for the remote-dataset tests: moto's S3 API (ThreadedMotoServer).

tests/conftest.py imports the fixtures, so every test module can ask for ``s3``.
The server starts once per session on a free port; each test gets an empty S3 (moto's
reset API), fake credentials, and ``AWS_ENDPOINT_URL`` pointing at the server, so the
code under test finds it through the standard setting, as it would a private S3.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Request:
    method: str
    path: str
    status: int
    sent: int  # response body bytes
    range: str | None


@dataclass
class RequestLog:
    """What the server answered, for "no full download" and "one request per object"."""

    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def gets(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "GET" and r.path == path]

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.method == method)


class _Counting:
    """WSGI middleware: records each request and the body bytes sent back."""

    def __init__(self, app: Any, log: RequestLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        request = Request(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), 0, 0, environ.get("HTTP_RANGE")
        )

        def start(code: str, headers: Any, *args: Any) -> Any:
            request.status = int(code.split(maxsplit=1)[0])
            with self.log.lock:  # logged before the client can have the answer
                self.log.requests.append(request)
            return start_response(code, headers, *args)

        for chunk in self.app(environ, start):
            request.sent += len(chunk)  # counted before the client can have these bytes
            yield chunk


def _server_class() -> Any:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class LoggedMotoServer(ThreadedMotoServer):  # type: ignore[misc]
        """moto's threaded server with a request log around its WSGI app."""

        def __init__(self, port: int, log: RequestLog) -> None:
            super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
            self.log = log

        def _server_entry(self) -> None:
            app = _Counting(DomainDispatcherApplication(create_backend_app), self.log)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return LoggedMotoServer


@dataclass
class S3:
    """The running server, a boto3 client on it, and its request log."""

    endpoint: str
    client: Any
    log: RequestLog

    def bucket(self, name: str = "bkt", *, versioned: bool = False) -> str:
        self.client.create_bucket(Bucket=name)
        if versioned:
            self.client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            )
        return name

    def put(self, bucket: str, key: str, body: bytes, *, sha256: bool = False) -> dict[str, Any]:
        extra = {"ChecksumAlgorithm": "SHA256"} if sha256 else {}
        reply: dict[str, Any] = self.client.put_object(Bucket=bucket, Key=key, Body=body, **extra)
        return reply

    def put_file(self, bucket: str, key: str, path: Path, *, sha256: bool = False) -> None:
        self.put(bucket, key, path.read_bytes(), sha256=sha256)

    def put_multipart(self, bucket: str, key: str, parts: list[bytes]) -> None:
        """A multipart upload with SHA256 checksums: its checksum is composite."""
        upload = self.client.create_multipart_upload(
            Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256"
        )
        done = []
        for number, body in enumerate(parts, 1):
            reply = self.client.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload["UploadId"],
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm="SHA256",
            )
            done.append(
                {
                    "PartNumber": number,
                    "ETag": reply["ETag"],
                    "ChecksumSHA256": reply["ChecksumSHA256"],
                }
            )
        self.client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": done}
        )

    def delete(self, bucket: str, key: str) -> None:
        self.client.delete_object(Bucket=bucket, Key=key)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="session")
def _s3_server() -> Iterator[tuple[str, RequestLog]]:
    pytest.importorskip("moto.server", reason="moto[server] is in the test extra")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    log = RequestLog()
    port = free_port()
    server = _server_class()(port, log)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.stop()


def s3_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, home: Path) -> None:
    """Fake credentials and the endpoint through the standard AWS settings only; no
    instance-metadata lookups (they would leave this machine)."""
    for var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_S3",
        "AWS_CA_BUNDLE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(var, raising=False)
    for var in list(__import__("os").environ):
        if var.startswith("FSSPEC_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config-absent"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials-absent"))


@pytest.fixture
def s3(
    _s3_server: tuple[str, RequestLog], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[S3]:
    """An empty S3 on the session's server, and the environment pointing at it."""
    import boto3

    endpoint, log = _s3_server
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
    s3_env(monkeypatch, endpoint, tmp_path)
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    log.clear()
    yield S3(endpoint, client, log)
    client.close()
