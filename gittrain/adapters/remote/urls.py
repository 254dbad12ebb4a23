"""Remote dataset URLs: ``s3://``, ``gs://``, ``hf://datasets/ORG/NAME[@REV]/path``,
``https://``, and a bare Hub id ``ORG/NAME`` (standard library only)."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, unquote

SCHEMES = ("s3", "gs", "hf", "https", "http")
_URL_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.S)
# A Hub repo id: an owner and a name (https://huggingface.co/docs/hub/repositories).
HUB_ID_RE = re.compile(r"^(?P<org>[A-Za-z0-9][\w.-]{0,95})/(?P<name>[A-Za-z0-9][\w.-]{0,95})$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")


# A NamedTuple, not a dataclass: `data status` imports it (see gittrain/document.py).
class RemoteURL(NamedTuple):
    """A parsed remote location.

    ``bucket`` is the S3/GCS bucket, the Hub repo id (``ORG/NAME``) or the HTTP host;
    ``key`` is the object key or the path inside the repo: empty or ending in ``/``
    for a prefix (a directory), else one object.  ``revision`` is the Hub revision
    asked for (``None``: the default branch).
    """

    scheme: str  # s3 | gs | hf | https | http
    bucket: str
    key: str
    revision: str | None = None

    @property
    def location(self) -> str:
        return "https" if self.scheme == "http" else self.scheme

    @property
    def file_key(self) -> str:
        """The key without an HTTP query (``?download=1``): what names the format and the
        default name.  An S3 or GCS key keeps a ``?``, which is part of its name there."""
        return self.key.partition("?")[0] if self.location == "https" else self.key

    @property
    def is_prefix(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    @property
    def text(self) -> str:
        """The canonical URL, as the lockfile records it."""
        if self.scheme == "hf":
            rev = f"@{quote(self.revision, safe='')}" if self.revision else ""
            key = f"/{self.key}" if self.key else ""
            return f"hf://datasets/{self.bucket}{rev}{key}"
        return f"{self.scheme}://{self.bucket}/{self.key}"

    def child(self, key: str) -> RemoteURL:
        """The object ``key`` (relative to this prefix)."""
        return RemoteURL(self.scheme, self.bucket, self.key + key, self.revision)

    def name(self) -> str:
        """A default dataset name: the last path segment without its suffix, or the repo."""
        last = self.file_key.rstrip("/").rsplit("/", 1)[-1] or self.bucket.rsplit("/", 1)[-1]
        return last


class URLError(ValueError):
    """``text`` looks like a URL but is not one gittrain can read; the message says why."""


def parse(text: str) -> RemoteURL | None:
    """The remote URL ``text`` names, or None when it is not a URL at all.

    Raises ``URLError`` for a URL of an unknown scheme or a malformed one.
    """
    match = _URL_RE.match(text)
    if match is None:
        return None
    scheme = match["scheme"].lower()
    rest = match["rest"]
    if scheme not in SCHEMES:
        raise URLError(
            f"{text}: unsupported URL scheme {scheme!r} (use s3://, gs://, hf:// or https://)"
        )
    if scheme == "hf":
        return _parse_hub(text, rest)
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise URLError(f"{text}: no {'host' if scheme.startswith('http') else 'bucket'} in the URL")
    if scheme in ("s3", "gs") and not _BUCKET_RE.match(bucket):
        raise URLError(f"{text}: {bucket!r} is not a valid bucket name")
    if scheme.startswith("http"):
        _check_http(text, key)
    return RemoteURL(scheme, bucket, key)


# Query parameters that carry a credential (presigned S3/GCS URLs, Azure SAS, OAuth tokens):
# the lockfile is committed to git, so such a URL must not be recorded.
_CREDENTIAL_PARAMS = frozenset(
    {
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "signature",
        "sig",
        "token",
        "access_token",
        "api_key",
        "apikey",
    }
)


def _check_http(text: str, key: str) -> None:
    """Refuse what an HTTP URL cannot mean in a lockfile: a fragment (never sent to the
    server) or a query holding a credential (it would be committed with the lockfile)."""
    if "#" in key:
        raise URLError(f"{text}: a URL fragment ('#...') is never sent to the server; remove it")
    query = key.partition("?")[2]
    for pair in query.split("&") if query else ():
        name = unquote(pair.partition("=")[0]).lower()
        if name in _CREDENTIAL_PARAMS:
            raise URLError(
                f"{text}: the query holds a credential ({name}), and the lockfile is committed "
                "to git; lock the URL without it and give credentials in fsspec's http settings"
            )


def _parse_hub(text: str, rest: str) -> RemoteURL:
    kind, _, repo_path = rest.partition("/")
    if kind != "datasets":
        raise URLError(
            f"{text}: only Hub datasets are supported (hf://datasets/ORG/NAME[@REV]/path)"
        )
    parts = repo_path.split("/", 2)
    if len(parts) < 2:
        raise URLError(f"{text}: expected hf://datasets/ORG/NAME[@REV]/path")
    org, name_rev = parts[0], parts[1]
    name, _, revision = name_rev.partition("@")
    repo = f"{org}/{name}"
    if not HUB_ID_RE.match(repo):
        raise URLError(f"{text}: {repo!r} is not a Hub repo id")
    key = parts[2] if len(parts) == 3 else ""
    return RemoteURL("hf", repo, key, unquote(revision) if revision else None)


def hub_id(text: str) -> RemoteURL | None:
    """A bare ``ORG/NAME`` as the Hub dataset it names, or None when it is not one."""
    name, _, revision = text.partition("@")
    if not HUB_ID_RE.match(name):
        return None
    return RemoteURL("hf", name, "", revision or None)
