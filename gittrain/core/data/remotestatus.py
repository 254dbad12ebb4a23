"""`data status` for remote datasets: metadata requests only, concurrently, no download.

A prefix is listed again (one request per 1,000 objects for S3) and its files, size and
``identity_digest`` compared.  A single object gets one HEAD (or its provider's like) —
except that many single objects in one folder are checked with one listing of that
folder, when the listing carries every identity field their lock entries hold (a
versioned S3 object's ``version_id`` is only in a HEAD, so those still get one).
Per-entry work is a module-level function with picklable arguments (``Executor``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gittrain.adapters.remote.store import DEFAULT_TIMEOUT, ObjectInfo, Store, store_for
from gittrain.adapters.remote.urls import RemoteURL
from gittrain.core.data.executor import Executor, ThreadExecutor
from gittrain.core.data.lockfile import DatasetEntry
from gittrain.core.data.remote import (
    METADATA_THREADS,
    VERSION_KEYS,
    changed_fields,
    identity_digest,
    identity_line,
)
from gittrain.errors import GittrainError

# Single objects in one folder checked with a listing of the folder instead of a HEAD
# each, from this many on; the listing gives up (HEADs after all) past this many
# objects per entry, so a folder with much else in it costs no more than HEADs would.
LIST_FROM = 8
LIST_AT_MOST_PER_ENTRY = 4


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    locked: object
    current: object


@dataclass(frozen=True, slots=True)
class RemoteStatus:
    name: str
    missing: bool
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusTask:
    """One locked remote dataset to verify (picklable, like ``ObjectTask``)."""

    name: str
    url: RemoteURL
    size: int
    files: int | None
    sha256: str | None
    provider: Mapping[str, str | int]
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True, slots=True)
class FolderTask:
    """Single objects under one folder, to check with one listing of it."""

    folder: RemoteURL
    tasks: tuple[StatusTask, ...]


def status_remote(
    entries: Sequence[DatasetEntry],
    executor: Executor | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[RemoteStatus]:
    """Each remote entry against its provider, in ``entries`` order."""
    from gittrain.adapters.remote import urls

    tasks = []
    for entry in entries:
        url = urls.parse(entry.path)
        if url is None:
            raise GittrainError(f"{entry.path}: not a remote URL")
        tasks.append(
            StatusTask(
                entry.name, url, entry.size, entry.files, entry.sha256, entry.provider, timeout
            )
        )
    if not tasks:
        return []
    folders = _folders(tasks)
    own = executor is None
    pool = executor if executor is not None else ThreadExecutor(METADATA_THREADS)
    found: dict[str, RemoteStatus] = {}
    try:
        for folder, results in zip(folders, pool.map(check_folder, folders), strict=True):
            for task, result in zip(folder.tasks, results, strict=True):
                if result is not None:
                    found[task.name] = result
        rest = [t for t in tasks if t.name not in found]
        for task, result in zip(rest, pool.map(check_remote, rest), strict=True):
            found[task.name] = result
    finally:
        if own:
            pool.close()
    return [found[t.name] for t in tasks]


def _folders(tasks: list[StatusTask]) -> list[FolderTask]:
    """Single objects grouped by the folder they are in, where the group is big enough."""
    groups: dict[RemoteURL, list[StatusTask]] = {}
    for task in tasks:
        url = task.url
        if not url.is_prefix:
            folder = url.key[: url.key.rfind("/") + 1]
            groups.setdefault(RemoteURL(url.scheme, url.bucket, folder, url.revision), []).append(
                task
            )
    return [FolderTask(f, tuple(g)) for f, g in groups.items() if len(g) >= LIST_FROM]


def check_folder(group: FolderTask) -> list[RemoteStatus | None]:
    """``group``'s objects from one listing of their folder; None for an entry the
    listing cannot vouch for (an identity field only a HEAD gives, or a folder too big)."""
    store = store_for(group.folder, group.tasks[0].timeout)
    wanted = {t.url.key[len(group.folder.key) :]: t for t in group.tasks}  # in group order
    listed: dict[str, ObjectInfo] = {}
    limit = LIST_AT_MOST_PER_ENTRY * len(group.tasks) + 1000
    try:
        for page in store.pages(group.folder, checksums=False):
            listed.update((o.key, o) for o in page if o.key in wanted)
            limit -= len(page)
            if limit < 0:
                return [None] * len(group.tasks)
    except GittrainError as exc:
        if exc.code != 1:
            raise
        return [RemoteStatus(t.name, True) for t in group.tasks]  # no folder, no objects
    out: list[RemoteStatus | None] = []
    for rel, task in wanted.items():
        now = listed.get(rel)
        if now is None:
            out.append(RemoteStatus(task.name, True))
        elif any(k in task.provider and k not in now.identity for k in VERSION_KEYS):
            out.append(None)  # e.g. version_id: a HEAD tells
        else:
            out.append(_compare(task, now, store))
    return out


def check_remote(task: StatusTask) -> RemoteStatus:
    """``task``'s dataset as its provider describes it now; a missing object, prefix or
    bucket (exit-1 errors from the store) is ``missing``, other errors propagate."""
    store = store_for(task.url, task.timeout)
    if not task.url.is_prefix:
        now = store.stat(task.url)
        if now is None:
            return RemoteStatus(task.name, True)
        return _compare(task, now, store)
    files = size = 0
    lines: list[str] = []
    try:
        for page in store.pages(task.url, checksums=False):
            files += len(page)
            size += sum(o.size for o in page)
            lines.extend(identity_line(o) for o in page)
    except GittrainError as exc:
        if exc.code != 1:
            raise
        return RemoteStatus(task.name, True)
    changes = [
        Change(key, old, new)
        for key, old, new in (
            ("files", task.files, files),
            ("size", task.size, size),
            ("identity_digest", task.provider.get("identity_digest"), identity_digest(lines)),
        )
        if old != new
    ]
    return RemoteStatus(task.name, False, _with_commit(store, task, changes))


def _compare(task: StatusTask, now: ObjectInfo, store: Store) -> RemoteStatus:
    locked = ObjectInfo(task.url, "", task.size, task.sha256, None, task.provider)
    changes = [
        Change(key, task.size, now.size)
        if key == "size"
        else Change(key, locked.identity[key], now.identity[key])
        for key in changed_fields(locked, now)
    ]
    if task.sha256 and now.sha256 and task.sha256 != now.sha256 and not changes:
        changes.append(Change("sha256", task.sha256, now.sha256))
    return RemoteStatus(task.name, False, _with_commit(store, task, changes))


def _with_commit(store: Store, task: StatusTask, changes: list[Change]) -> tuple[Change, ...]:
    """Changed data of a Hub entry also says which commit its revision names now (the
    store has resolved it already, from the listing or the HEAD: no extra request).  A
    moved branch whose files under the URL are the same is no change to the data."""
    locked = task.provider.get("commit")
    if not changes or locked is None:
        return tuple(changes)
    now = store.resolve(task.url).get("commit", locked)
    return tuple(changes) if now == locked else (Change("commit", locked, now), *changes)
