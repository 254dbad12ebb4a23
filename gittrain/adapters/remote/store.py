"""The provider-neutral store interface, and ``store_for`` that picks the provider module.

Nothing here imports a provider library: ``store_for`` imports ``s3``, ``gcs``, ``hub``
or ``http`` when a URL of that scheme is used, and a missing extra is one line naming
the pip command (exit 2).
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Generic, Protocol, TypeVar

from gittrain.adapters.remote.urls import RemoteURL
from gittrain.errors import usage_error

Identity = Mapping[str, "str | int"]

# scheme -> (module under gittrain.adapters.remote, pip extra, the library it needs)
PROVIDERS = {
    "s3": ("s3", "s3", "s3fs"),
    "gs": ("gcs", "gcs", "gcsfs"),
    "hf": ("hub", "hf", "huggingface_hub"),
    "https": ("http", "remote", "aiohttp"),
    "http": ("http", "remote", "aiohttp"),
}
DEFAULT_TIMEOUT = 30.0  # seconds per request; a network timeout names the URL


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One object as its provider describes it, from one metadata request or a listing.

    ``sha256`` is set only when the provider vouches for the whole object's SHA-256
    (the Hub's LFS sha256, S3's full-object ChecksumSHA256); ``sha256_from`` says
    which ("hub-lfs" or "s3-checksum").  ``identity`` is what tells versions apart:
    S3 ``etag``/``version_id``, GCS ``crc32c``/``md5``/``generation``, the Hub's
    ``lfs_sha256``/``blob_id``, HTTP ``etag``/``last_modified``.
    """

    url: RemoteURL
    key: str  # relative to the dataset URL; "" for a single-object dataset
    size: int
    sha256: str | None = None
    sha256_from: str | None = None
    identity: Identity = field(default_factory=dict)


class Store(Protocol):
    """What gittrain needs of a storage provider.  Every method raises ``GittrainError``
    (never a library exception): missing object/bucket/revision exit 1, missing
    credentials exit 2 naming how to configure them, a timeout names the URL."""

    def resolve(self, url: RemoteURL) -> Identity:
        """Dataset-level identity, e.g. the Hub's resolved ``repo``/``revision``/``commit``;
        empty for storage that has none."""
        ...

    def pages(self, url: RemoteURL, *, checksums: bool = True) -> Iterator[list[ObjectInfo]]:
        """The objects under a prefix, page by page (a single object: one page of one).
        An empty prefix or a missing object is an error (exit 1).

        ``checksums=False`` asks for the listing alone (what `data status` compares:
        key, size, identity): a provider whose listing lacks the sha256 it could get
        with one more request per object (S3) skips those requests.
        """
        ...

    def stat(self, url: RemoteURL) -> ObjectInfo | None:
        """One metadata request for one object; None when it does not exist."""
        ...

    def open(self, url: RemoteURL) -> BinaryIO:
        """A sequential reader of the object's bytes (for hashing and counting)."""
        ...

    def open_random(self, url: RemoteURL, size: int) -> BinaryIO:
        """A seekable reader that fetches byte ranges (for Parquet footers)."""
        ...


def store_for(url: RemoteURL, timeout: float = DEFAULT_TIMEOUT) -> Store:
    """The store for ``url``'s scheme; its provider module is imported only now."""
    module_name, extra, library = PROVIDERS[url.scheme]
    try:
        module = importlib.import_module(f"gittrain.adapters.remote.{module_name}")
    except ImportError as exc:
        missing = exc.name or library
        raise usage_error(
            f"{url.text}: reading {url.location} needs {missing}; "
            f"install it with: pip install 'gittrain[{extra}]'"
        ) from None
    store: Store = module.open_store(url, timeout)
    return store


class Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=Closable)


class Stores(Generic[S]):
    """One provider's store for the current settings, shared by this process's threads (one
    client and connection pool); a change of settings closes the old store first."""

    def __init__(self) -> None:
        self._stores: dict[str, S] = {}
        self._lock = threading.Lock()

    def get(self, settings: object, make: Callable[[], S]) -> S:
        """The store for ``settings`` (JSON-able; the process id is added), made once."""
        key = json.dumps([os.getpid(), settings], sort_keys=True, default=str)
        with self._lock:
            store = self._stores.get(key)
            if store is None:
                self._close_locked()
                store = self._stores[key] = make()
        return store

    def close_all(self) -> None:
        """Close every store (no "Unclosed client session" at exit)."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
