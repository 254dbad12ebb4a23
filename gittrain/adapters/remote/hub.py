"""Hugging Face Hub datasets (``hf://datasets/ORG/NAME[@REV]/path``) through huggingface_hub:
the only module that imports it (and httpx2, its HTTP client).

Metadata only, unless bytes are asked for: the revision is resolved to a commit once,
and the listing, the file reads and the LFS sha256 all come from that commit, so a
manifest is one consistent version even when the branch moves meanwhile.  Nothing is
downloaded into ``~/.cache/huggingface``: files are streamed (``open``) or read by byte
range (``open_random``), and huggingface_hub's own writes there (the agent-harness
registry fetched for its user agent) are switched off.  The endpoint is ``HF_ENDPOINT``
and the token ``HF_TOKEN``; nothing else configures it.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import httpx2
from huggingface_hub import (
    HfApi,
    constants,
    get_hf_file_metadata,
    get_session,
    hf_hub_url,
    hf_raise_for_status,
    set_client_factory,
)
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile, RepoFolder
from huggingface_hub.utils import logging as hf_logging
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import default_client_factory
from huggingface_hub.utils.tqdm import disable_progress_bars

from gittrain import __version__
from gittrain.adapters.remote import ranged
from gittrain.adapters.remote.store import Identity, ObjectInfo
from gittrain.adapters.remote.urls import RemoteURL
from gittrain.errors import GittrainError, usage_error

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_REVISION = "main"
PAGE = 1000  # objects per page handed on: the Hub's own tree page size
_HEX = frozenset("0123456789abcdef")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")

_setup_lock = threading.Lock()
_client: dict[str, float] = {}  # "timeout": what huggingface_hub's client was made with


def open_store(url: RemoteURL, timeout: float) -> HubStore:
    """The Hub store for ``url``, configured from ``HF_ENDPOINT`` and ``HF_TOKEN``."""
    endpoint = (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        raise usage_error(f"{url.text}: HF_ENDPOINT={endpoint!r} is not an http(s) URL")
    _quiet(timeout)
    return HubStore(endpoint, os.environ.get("HF_TOKEN") or None, timeout)


def _quiet(timeout: float) -> None:
    """No progress bars, log lines or cache writes from huggingface_hub, and a timeout on
    every request (its shared client has none, and ``list_repo_tree``/``get_paths_info``
    take no timeout argument)."""
    with _setup_lock:
        if _client.get("timeout") == timeout:
            return
        with warnings.catch_warnings():  # it warns when HF_HUB_DISABLE_PROGRESS_BARS=0
            warnings.simplefilter("ignore")
            disable_progress_bars()
        hf_logging.set_verbosity(logging.CRITICAL)  # its retries log warnings to stderr
        # With telemetry on, every request's user agent asks {ENDPOINT}/api/agent-harnesses
        # and writes the answer to HF_HOME/.agent_harnesses.json (utils/_detect_agent.py).
        constants.HF_HUB_DISABLE_TELEMETRY = True

        def client() -> httpx2.Client:
            session = default_client_factory()
            session.timeout = httpx2.Timeout(timeout)
            return session

        set_client_factory(client)
        _client["timeout"] = timeout


class HubStore:
    """``Store`` for Hub dataset repos; commits are resolved once per (repo, revision)."""

    def __init__(self, endpoint: str, token: str | None, timeout: float) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        # False, not None: never fall back to a token file or an OIDC exchange
        self._token: str | bool = token or False
        self._api = HfApi(
            endpoint=endpoint,
            token=self._token,
            library_name="gittrain",
            library_version=__version__,
        )
        self._commits: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    # -- Store -------------------------------------------------------------------------
    def resolve(self, url: RemoteURL) -> Identity:
        return {"repo": url.bucket, "revision": _revision(url), "commit": self.commit(url)}

    def commit(self, url: RemoteURL) -> str:
        """The commit ``url``'s revision names now (asked once per store); a commit id
        names itself (commits never change)."""
        if _COMMIT_RE.match(_revision(url)):
            return _revision(url)
        key = (url.bucket, _revision(url))
        with self._lock:
            known = self._commits.get(key)
        if known is not None:
            return known
        with self._errors(url):
            info = self._api.dataset_info(
                url.bucket, revision=_revision(url), expand=["sha"], timeout=self.timeout
            )
        if not info.sha:
            raise usage_error(f"{url.text}: the Hub at {self.endpoint} named no commit for it")
        with self._lock:
            return self._commits.setdefault(key, info.sha)

    def pages(self, url: RemoteURL, *, checksums: bool = True) -> Iterator[list[ObjectInfo]]:
        """The files at the resolved commit.  Each object's URL names that commit, so
        whoever reads it later (a cluster worker too) reads these very bytes.  The
        listing has the LFS sha256 already: ``checksums`` costs nothing here."""
        commit = self.commit(url)
        pinned = RemoteURL(url.scheme, url.bucket, url.key, commit)
        if not url.is_prefix:
            yield [self._one(pinned, url, commit)]
            return
        folder = url.key.rstrip("/")
        page: list[ObjectInfo] = []
        found = False
        entries = iter(  # a generator: each tree page is asked for when it is reached
            self._api.list_repo_tree(
                url.bucket,
                path_in_repo=folder or None,
                recursive=True,
                revision=commit,
                repo_type="dataset",
            )
        )
        while True:
            with self._errors(url):  # only huggingface_hub's code: not ours
                entry = next(entries, None)
            if entry is None:
                break
            if not isinstance(entry, RepoFile):
                continue
            page.append(_object(pinned.child(entry.path[len(url.key) :]), entry, url.key))
            if len(page) == PAGE:
                found = True
                yield page
                page = []
        if page:
            yield page
        elif not found:
            where = f"under {folder!r} " if folder else ""
            at = _at(url, commit)
            raise GittrainError(f"{url.text}: no files {where}in {url.bucket} at {at}")

    def stat(self, url: RemoteURL) -> ObjectInfo | None:
        """One HEAD request at the revision as it is now (not the commit resolved before)."""
        file_url = self._file_url(url, _revision(url))
        try:
            with self._errors(url):
                meta = get_hf_file_metadata(
                    file_url, token=self._token, timeout=self.timeout, endpoint=self.endpoint
                )
        except _Missing:
            return None
        if meta.commit_hash:  # X-Repo-Commit: what resolve() would ask for, for free
            with self._lock:
                self._commits.setdefault((url.bucket, _revision(url)), meta.commit_hash)
        etag = (meta.etag or "").lower()
        size = meta.size if meta.size is not None else 0
        if len(etag) == 64 and set(etag) <= _HEX:  # the LFS sha256 (X-Linked-Etag)
            return ObjectInfo(url, "", size, etag, "hub-lfs", {"lfs_sha256": etag})
        return ObjectInfo(url, "", size, identity={"blob_id": etag} if etag else {})

    def open(self, url: RemoteURL) -> BinaryIO:
        """The file's bytes at the resolved commit, streamed (nothing is cached on disk)."""
        file_url = self._file_url(url, self.commit(url))
        session = get_session()
        request = session.build_request("GET", file_url, headers=self._headers())
        with self._errors(url):
            response = session.send(request, stream=True)
            if response.is_error:
                response.read()
                response.close()
                hf_raise_for_status(response)
        return io.BufferedReader(_Stream(response, lambda: self._errors(url)), 1 << 20)

    def open_random(self, url: RemoteURL, size: int) -> BinaryIO:
        """A seekable reader of the file at the resolved commit: one Range request per read."""
        file_url = self._file_url(url, self.commit(url))
        headers = self._headers()

        def fetch(start: int, end: int) -> bytes:
            with self._errors(url):
                ranged_headers = {**headers, "Range": f"bytes={start}-{end - 1}"}
                response = get_session().get(file_url, headers=ranged_headers)
                hf_raise_for_status(response)
            data: bytes = response.content
            # A server that ignores Range sends it all.
            return data if response.status_code == 206 else data[start:end]

        return ranged.buffered(ranged.RangeReader(file_url, size, fetch), 1 << 16)

    # -- helpers -----------------------------------------------------------------------
    def _one(self, pinned: RemoteURL, url: RemoteURL, commit: str) -> ObjectInfo:
        with self._errors(url):
            infos = self._api.get_paths_info(
                url.bucket, [url.key], revision=commit, repo_type="dataset"
            )
        for info in infos:
            if isinstance(info, RepoFolder):
                raise GittrainError(
                    f"{url.text}: {url.key!r} is a folder in {url.bucket}; "
                    f"add it as {url.text}/ to lock every file in it"
                )
            return _object(pinned, info, url.key)
        raise GittrainError(f"{url.text}: no {url.key!r} in {url.bucket} at {_at(url, commit)}")

    def _file_url(self, url: RemoteURL, revision: str) -> str:
        return hf_hub_url(
            url.bucket, url.key, repo_type="dataset", revision=revision, endpoint=self.endpoint
        )

    def _headers(self) -> dict[str, str]:
        headers = build_hf_headers(
            token=self._token, library_name="gittrain", library_version=__version__
        )
        headers["Accept-Encoding"] = "identity"  # the bytes as stored, for hashing
        return headers

    @contextmanager
    def _errors(self, url: RemoteURL) -> Iterator[None]:
        """huggingface_hub's and httpx2's exceptions as one-line ``GittrainError``s."""
        try:
            yield
        except (HfHubHTTPError, OfflineModeIsEnabled, HFValidationError) as exc:
            raise self._hub_error(url, exc) from None
        except httpx2.TimeoutException:
            raise usage_error(
                f"{url.text}: the Hub at {self.endpoint} did not answer within "
                f"{self.timeout:g}s; check HF_ENDPOINT and the network"
            ) from None
        except (httpx2.RequestError, httpx2.InvalidURL) as exc:
            raise usage_error(
                f"{url.text}: cannot reach the Hub at {self.endpoint} ({_first_line(exc)}); "
                "check HF_ENDPOINT and the network"
            ) from None
        except (ValueError, KeyError, TypeError) as exc:  # not JSON, or not the Hub's JSON
            raise usage_error(
                f"{url.text}: {self.endpoint} does not answer like the Hub "
                f"({type(exc).__name__}: {_first_line(exc)}); check HF_ENDPOINT"
            ) from None

    def _hub_error(self, url: RemoteURL, exc: Exception) -> GittrainError:
        repo, where = url.bucket, url.text
        revision = _revision(url)
        if isinstance(exc, OfflineModeIsEnabled):
            return usage_error(f"{where}: HF_HUB_OFFLINE is set; unset it to read from the Hub")
        if isinstance(exc, HFValidationError):
            return GittrainError(f"{where}: {_first_line(exc)}")
        assert isinstance(exc, HfHubHTTPError)
        status = exc.response.status_code
        token = "HF_TOKEN" if self._token else "no HF_TOKEN"
        if isinstance(exc, GatedRepoError):
            return usage_error(
                f"{where}: {repo} is gated; accept its conditions on the Hub, then set "
                "HF_TOKEN to a token of that account"
            )
        if isinstance(exc, RepositoryNotFoundError) and status == 404:
            also = " (or HF_TOKEN cannot read it)" if self._token else ""
            return _Missing(f"{where}: no dataset {repo} on the Hub at {self.endpoint}{also}")
        if isinstance(exc, RevisionNotFoundError):
            return _Missing(f"{where}: no revision {revision!r} in {repo}")
        if isinstance(exc, RemoteEntryNotFoundError):
            return _Missing(f"{where}: no {url.key.rstrip('/')!r} in {repo} at {revision}")
        if status == 401 and self._token and "Invalid credentials" in (exc.server_message or ""):
            return usage_error(
                f"{where}: the Hub refused HF_TOKEN (401, invalid credentials); "
                "set HF_TOKEN to a valid token"
            )
        if status in (401, 403):
            return usage_error(
                f"{where}: the Hub refused access to {repo} ({status}, {token}); it is private "
                "or gated: set HF_TOKEN to a token that can read it"
            )
        if status == 429:
            return usage_error(f"{where}: the Hub rate-limited the request (429); try again later")
        return usage_error(f"{where}: the Hub at {self.endpoint} answered HTTP {status}")


class _Missing(GittrainError):
    """A missing repo, revision or path (exit 1); ``stat`` turns it into None."""


class _Stream(io.RawIOBase):
    """The body of a streamed GET, read in order; errors become ``GittrainError``s."""

    def __init__(self, response: httpx2.Response, errors: Callable[[], Any]) -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_bytes()  # as received: re-chunking halves throughput
        self._left = memoryview(b"")  # the rest of the chunk last received, not copied
        self._errors = errors

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._left:
            with self._errors():
                self._left = memoryview(next(self._chunks, b""))
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        return count

    def close(self) -> None:
        self._response.close()
        super().close()


def _object(url: RemoteURL, entry: RepoFile, prefix: str) -> ObjectInfo:
    """An entry of the tree listing: LFS files come with the Hub's sha256 of their bytes;
    a file stored in git has only its git blob id (no sha256 is known for it)."""
    key = entry.path[len(prefix) :]
    if entry.lfs is not None:
        sha = entry.lfs.sha256
        return ObjectInfo(url, key, entry.lfs.size, sha, "hub-lfs", {"lfs_sha256": sha})
    return ObjectInfo(url, key, entry.size, identity={"blob_id": entry.blob_id})


def _revision(url: RemoteURL) -> str:
    return url.revision or DEFAULT_REVISION


def _at(url: RemoteURL, commit: str) -> str:
    revision = _revision(url)
    return revision if revision == commit else f"{revision} ({commit[:12]})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
