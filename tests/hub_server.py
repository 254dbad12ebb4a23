"""A Hugging Face Hub contract server for the hf:// tests (standard library only).

There is no Hub emulator, and the tests run offline, so this answers the few Hub
endpoints ``huggingface_hub`` calls for what gittrain needs, with the Hub's response
shapes and error headers (as huggingface_hub 2.x parses them in ``hf_api.py``,
``utils/_http.py`` and ``file_download.py``):

- ``GET /api/datasets/{repo}`` and ``GET /api/datasets/{repo}/revision/{rev}``: dataset
  info; ``sha`` is the commit the revision (branch, tag or commit id) resolves to, and
  ``expand`` keeps only the properties asked for;
- ``GET /api/datasets/{repo}/tree/{rev}[/{path}]?recursive=&expand=``: the tree listing,
  ``page_size`` entries a page, the next page named by a ``Link: <...>; rel="next"``
  header carrying a ``cursor``;
- ``POST /api/datasets/{repo}/paths-info/{rev}`` (form or JSON ``paths``): the entries
  for the paths that exist, missing ones left out;
- ``HEAD``/``GET /datasets/{repo}/resolve/{rev}/{path}``: file bytes with
  ``X-Repo-Commit``, ``ETag`` (git blob id, or the LFS sha256), ``X-Linked-Etag`` and
  ``X-Linked-Size`` for LFS files, and single ``Range`` requests (206 / 416).

Entries carry ``oid`` (the git blob id of what git stores: the bytes, or the LFS pointer),
``size`` and, for LFS files, ``lfs: {oid: sha256, size, pointerSize}``; every id is
computed from the bytes served.  A missing repo, revision or path is a 404 with the Hub's
``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``); a private
repo asked for without a token is a 401, with a token that cannot read it a 404, and a
gated repo with such a token a 403 ``GatedRepo``.  ``requests`` records what was asked,
so tests can check that no file bytes were fetched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {size}\n"


def git_blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class HubFile:
    """A file in a commit: its bytes, stored in git or (``lfs``) as an LFS pointer."""

    data: bytes
    lfs: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def pointer(self) -> bytes:
        return LFS_POINTER.format(sha=self.sha256, size=len(self.data)).encode()

    @property
    def blob_id(self) -> str:
        """What the Hub calls the file's ``oid``: the blob git stores (the pointer for LFS)."""
        return git_blob_id(self.pointer if self.lfs else self.data)

    def entry(self, path: str) -> dict[str, object]:
        out: dict[str, object] = {
            "type": "file",
            "oid": self.blob_id,
            "size": len(self.data),
            "path": path,
        }
        if self.lfs:
            out["lfs"] = {
                "oid": self.sha256,
                "size": len(self.data),
                "pointerSize": len(self.pointer),
            }
        return out


@dataclass
class HubRepo:
    """A dataset repo: commits (id -> path -> file) and refs (branch or tag -> commit id)."""

    repo_id: str
    private: bool = False
    gated: bool = False
    commits: dict[str, dict[str, HubFile]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)

    def commit(
        self,
        files: Mapping[str, bytes | HubFile],
        *,
        branch: str = "main",
        delete: tuple[str, ...] = (),
    ) -> str:
        """A new commit on ``branch`` (created from nothing when new): the branch's files,
        with ``files`` written (bytes: a git file) and ``delete`` removed.  Returns its id."""
        parent = self.refs.get(branch)
        tree = dict(self.commits[parent]) if parent else {}
        for path, content in files.items():
            tree[path] = content if isinstance(content, HubFile) else HubFile(content)
        for path in delete:
            del tree[path]
        seed = json.dumps(
            [parent, sorted((path, f.blob_id) for path, f in tree.items())], sort_keys=True
        )
        sha = hashlib.sha1(seed.encode()).hexdigest()
        self.commits[sha] = tree
        self.refs[branch] = sha
        return sha

    def tag(self, name: str, commit: str) -> None:
        self.refs[name] = commit

    def resolve(self, revision: str) -> str | None:
        if revision in self.refs:
            return self.refs[revision]
        return revision if revision in self.commits else None


class HubServer:
    """The contract server: ``start()`` it, point ``HF_ENDPOINT`` at ``url``."""

    def __init__(self, page_size: int = 1000) -> None:
        self.page_size = page_size
        self.repos: dict[str, HubRepo] = {}
        self.tokens: dict[str, set[str]] = {}  # a valid token -> the private repos it reads
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def repo(self, repo_id: str, *, private: bool = False, gated: bool = False) -> HubRepo:
        repo = HubRepo(repo_id, private=private, gated=gated)
        self.repos[repo_id] = repo
        return repo

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        server = self

        class Handler(_Handler):
            hub = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def downloads(self) -> list[tuple[str, str, str | None]]:
        """The GET requests for file bytes (``/resolve/``), with their Range headers."""
        return [r for r in self.requests if r[0] == "GET" and "/resolve/" in r[1]]


class _HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"  # keep-alive, as huggingface_hub's httpx client expects

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        self.hub.requests.append((method, self.path, self.headers.get("Range")))
        body = b""
        if method == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self._route(method, body)
        except _HubError as exc:
            headers = {"X-Error-Message": exc.message}
            if exc.code:
                headers["X-Error-Code"] = exc.code
            self._send_json(exc.status, {"error": exc.message}, headers)

    def _route(self, method: str, body: bytes) -> None:
        parts = urlsplit(self.path)
        segs = [unquote(s) for s in parts.path.split("/")[1:]]
        query = parse_qs(parts.query)
        if segs[:2] == ["api", "datasets"] and len(segs) >= 4:
            repo = self._repo("/".join(segs[2:4]))
            rest = segs[4:]
            if not rest and method == "GET":
                return self._info(repo, "main", query)
            if len(rest) >= 2 and rest[0] == "revision" and method == "GET":
                return self._info(repo, "/".join(rest[1:]), query)
            if len(rest) >= 2 and rest[0] == "tree" and method == "GET":
                return self._tree(repo, rest[1], "/".join(rest[2:]), query)
            if len(rest) == 2 and rest[0] == "paths-info" and method == "POST":
                return self._paths_info(repo, rest[1], body)
        if segs[:1] == ["datasets"] and len(segs) >= 6 and segs[3] == "resolve":
            repo = self._repo("/".join(segs[1:3]))
            return self._resolve(method, repo, segs[4], "/".join(segs[5:]))
        raise _HubError(404, None, f"no route for {method} {parts.path}")

    # -- access ----------------------------------------------------------------------
    def _repo(self, repo_id: str) -> HubRepo:
        repo = self.hub.repos.get(repo_id)
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        if token is not None and token not in self.hub.tokens:
            raise _HubError(401, None, "Invalid credentials in Authorization header")
        if repo is None:
            raise _HubError(404, "RepoNotFound", "Repository not found")
        if repo.private or repo.gated:
            if token is None:
                raise _HubError(401, "RepoNotFound", "Invalid username or password.")
            if repo.repo_id not in self.hub.tokens[token]:
                if repo.gated:
                    raise _HubError(
                        403, "GatedRepo", f"Access to dataset {repo.repo_id} is restricted."
                    )
                raise _HubError(404, "RepoNotFound", "Repository not found")
        return repo

    def _commit(self, repo: HubRepo, revision: str) -> str:
        sha = repo.resolve(revision)
        if sha is None:
            raise _HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return sha

    # -- endpoints -------------------------------------------------------------------
    def _info(self, repo: HubRepo, revision: str, query: dict[str, list[str]]) -> None:
        sha = self._commit(repo, revision)
        org = repo.repo_id.split("/")[0]
        info: dict[str, object] = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": org,
            "sha": sha,
            "private": repo.private,
            "gated": "auto" if repo.gated else False,
            "disabled": False,
            "lastModified": "2024-05-01T12:00:00.000Z",
            "createdAt": "2024-01-01T12:00:00.000Z",
            "tags": [],
            "downloads": 0,
            "likes": 0,
            "siblings": [{"rfilename": path} for path in sorted(repo.commits[sha])],
        }
        expand = query.get("expand") or query.get("expand[]")
        if expand:
            info = {k: v for k, v in info.items() if k in ("_id", "id", *expand)}
        self._send_json(200, info)

    def _tree(self, repo: HubRepo, revision: str, path: str, query: dict[str, list[str]]) -> None:
        files = repo.commits[self._commit(repo, revision)]
        path = path.strip("/")
        recursive = query.get("recursive", ["false"])[0].lower() in ("true", "1")
        base = f"{path}/" if path else ""
        if path and (path in files or not any(p.startswith(base) for p in files)):
            raise _HubError(404, "EntryNotFound", f"{path} does not exist on {revision}")
        entries: dict[str, dict[str, object]] = {}
        for name, file in files.items():
            if not name.startswith(base):
                continue
            rel = name[len(base) :].split("/")
            # every folder between ``path`` and the file (just the first when not recursive)
            for depth in range(1, len(rel) if recursive else min(len(rel), 2)):
                folder = base + "/".join(rel[:depth])
                entries[folder] = _folder(folder, files)
            if recursive or len(rel) == 1:
                entries[name] = file.entry(name)
        listing = [entries[key] for key in sorted(entries)]
        start = int(base64.urlsafe_b64decode(query["cursor"][0])) if "cursor" in query else 0
        page = listing[start : start + self.hub.page_size]
        headers = {}
        if start + self.hub.page_size < len(listing):
            cursor = base64.urlsafe_b64encode(str(start + self.hub.page_size).encode()).decode()
            link = (
                f"{self.hub.url}/api/datasets/{repo.repo_id}/tree/{quote(revision, safe='')}"
                f"{'/' + quote(path, safe='') if path else ''}"
                f"?recursive={str(recursive).lower()}&expand=false&cursor={cursor}"
            )
            headers["Link"] = f'<{link}>; rel="next"'
        self._send_json(200, page, headers)

    def _paths_info(self, repo: HubRepo, revision: str, body: bytes) -> None:
        files = repo.commits[self._commit(repo, revision)]
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            paths = list(json.loads(body or b"{}").get("paths", []))
        else:
            paths = parse_qs(body.decode()).get("paths", [])
        out: list[dict[str, object]] = []
        for path in (p.strip("/") for p in paths):
            if path in files:
                out.append(files[path].entry(path))
            elif any(p.startswith(path + "/") for p in files):
                out.append(_folder(path, files))
        self._send_json(200, out)

    def _resolve(self, method: str, repo: HubRepo, revision: str, path: str) -> None:
        sha = self._commit(repo, revision)
        file = repo.commits[sha].get(path)
        if file is None:
            raise _HubError(404, "EntryNotFound", f"{path} does not exist on {revision}")
        data, size = file.data, len(file.data)
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{file.sha256 if file.lfs else file.blob_id}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if file.lfs:
            headers["X-Linked-Etag"] = f'"{file.sha256}"'
            headers["X-Linked-Size"] = str(size)
        status = 200
        wanted = self.headers.get("Range")
        if wanted is not None:
            span = _byte_range(wanted, size)
            if span is None:
                headers["Content-Range"] = f"bytes */{size}"
                return self._send(416, b"", headers)
            first, last = span
            data = data[first : last + 1]
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            status = 206
        self._send(status, data, headers, head=method == "HEAD")

    # -- responses -------------------------------------------------------------------
    def _send_json(
        self, status: int, value: object, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send(
            status,
            json.dumps(value).encode(),
            {"Content-Type": "application/json", **(headers or {})},
            head=self.command == "HEAD",
        )

    def _send(
        self, status: int, data: bytes, headers: Mapping[str, str], head: bool = False
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)


def _folder(path: str, files: Mapping[str, HubFile]) -> dict[str, object]:
    inside = sorted((p, f.blob_id) for p, f in files.items() if p.startswith(path + "/"))
    tree_id = hashlib.sha1(json.dumps(inside).encode()).hexdigest()
    return {"type": "directory", "oid": tree_id, "size": 0, "path": path}


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive span a single ``bytes=`` range names, or None when unsatisfiable."""
    unit, _, spec = header.partition("=")
    first_text, _, last_text = spec.strip().partition("-")
    if unit.strip() != "bytes" or "," in spec:
        return None
    if not first_text:  # a suffix: the last N bytes
        count = int(last_text)
        return (max(size - count, 0), size - 1) if count and size else None
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return (first, last) if first < size and first <= last else None


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers (a stalled server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextmanager
def html_endpoint() -> Iterator[str]:
    """A web server that is not the Hub: every path is a 200 HTML page."""

    class Page(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"<html><body>Welcome</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def closed_endpoint() -> str:
    """An endpoint nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
