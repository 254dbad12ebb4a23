"""Mining run records from first-parent history: one `git log`, one `cat-file`, a cache.

Parsed job and lockfile versions are cached by blob id.  The walk's state at
the last mined HEAD is cached too, so a later HEAD that has it on its
first-parent chain only walks the new commits; anything else walks it all.
Deleted jobs keep their records; renames are followed; a merge counts as
the change it made to its first parent, so the answer does not depend on how
branches were merged.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from gittrain.adapters import gitrepo
from gittrain.core.jobrefs import is_job_path, job_name
from gittrain.core.jobs import TERMINAL
from gittrain.core.runs.history import (
    JOB,
    JOB_KEYS,
    LOCK_KEYS,
    DatasetVersion,
    History,
    IdeaReader,
    RunRecord,
    Skipped,
    parse_job,
    parse_lock,
    usable,
    version_from,
)
from gittrain.core.runs.historycache import AnswerCache, BlobCache
from gittrain.core.settings import Settings
from gittrain.errors import GittrainError, usage_error

_NO_LOCK: Mapping[str, Any] = {"names": {}, "paths": {}}
_BATCH = 256  # blobs read from cat-file at a time, while git log walks on


class _Entries:
    """Cached entries by blob: parsed on first sight, read through one ``cat-file --batch``."""

    def __init__(self, cache: BlobCache, cat: gitrepo.CatFile, reader: IdeaReader) -> None:
        self.cache = cache
        self.cat = cat
        self.reader = reader

        self.pending: dict[str, tuple[frozenset[str], str | None]] = {}
        self.older: set[str] = set()  # blobs so far seen only in the older half of the walk

    def see(
        self, blob: str, keys: frozenset[str], commit: str | None = None, part: int = 0
    ) -> None:
        """Parse ``blob`` unless it is cached: now, or with others on the next ``flush``.

        A job's ``config_file`` is read as the newest commit showing the blob holds it,
        as one newest-first walk would: a blob first seen in the older half (``part``
        1) and then in the newer is read again from the newer commit if it names one.
        """
        if blob in self.older:
            if part == 0:
                self.older.discard(blob)
                entry = self.cache.get(blob) if blob not in self.pending else None
                if blob in self.pending or (type(entry) is dict and entry.get("cf") is not None):
                    self.pending[blob] = (keys, commit)
            return
        if blob not in self.pending and not self.has(blob, keys):
            self.pending[blob] = (keys, commit)
            if part:
                self.older.add(blob)
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Read the blobs waiting to be parsed, in one batch of ``cat-file``, and parse them."""
        pending, self.pending = self.pending, {}
        raws = self.cat.read_many(list(pending))
        for (blob, (keys, commit)), raw in zip(pending.items(), raws, strict=True):
            if keys is JOB_KEYS:
                entry = parse_job(raw, self.reader, self._at(commit))
            else:
                entry = parse_lock(raw)
            self.cache.put(blob, entry)

    def _at(self, commit: str | None) -> Callable[[str], bytes] | None:
        """A job's ``config_file`` as ``commit`` (where the version was first seen) holds it."""
        if commit is None:
            return None

        def load(rel: str) -> bytes:
            raw = self.cat.read(f"{commit}:{rel}")
            if raw is None:
                raise GittrainError(f"{rel}: not in {commit[:12]}")
            return raw

        return load

    def get(self, blob: str) -> Mapping[str, Any]:
        entry: Mapping[str, Any] = self.cache.get(blob)
        return entry

    def has(self, blob: str | None, keys: frozenset[str]) -> bool:
        if blob is None:
            return True
        entry = self.cache.get(blob)
        return usable(entry, keys) and (keys is not JOB_KEYS or self.reader.fresh(entry))


def tip(root: Path, rev: str = "HEAD") -> tuple[str | None, tuple[str, ...]]:
    """The commit ``rev`` names (None: an unborn HEAD) and the shallow clone's cut, if any:
    with the settings, all that the history mined from ``rev`` depends on."""
    head, shallow = gitrepo.commit_and_shallow(root, rev)
    if head is None and rev != "HEAD":
        raise usage_error(f"unknown revision {rev!r}")
    return head, shallow


def answers(root: Path) -> AnswerCache:
    """The cache of finished answers about this repository's history."""
    return AnswerCache(gitrepo.git_dir(root))


def mine(
    root: Path,
    conf: Settings,
    rev: str = "HEAD",
    at: tuple[str | None, tuple[str, ...]] | None = None,
) -> History:
    """Every run record on ``rev``'s first-parent history (``at``: its ``tip``, when known)."""
    head, shallow = at if at is not None else tip(root, rev)
    if head is None:  # inside a repository, an unborn HEAD: no commits yet
        return History(None, (), (), (), 0)
    # Mining keeps every parsed version alive: the collector's passes over a heap
    # that only grows cost ~1 CPU-s at 50,000 versions and free little.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _mine(root, conf, head, shallow)
    finally:
        if collecting:
            gc.enable()


def _mine(root: Path, conf: Settings, head: str, shallow: tuple[str, ...]) -> History:
    jobs_dir = conf.jobs_dir.rstrip("/")
    cache = BlobCache.load(gitrepo.git_dir(root))
    with gitrepo.CatFile(root) as cat:  # started on the first blob that is not cached
        entries = _Entries(cache, cat, IdeaReader(conf))
        key = {"jobs_dir": jobs_dir, "lockfile": conf.lockfile, "shallow": list(shallow)}
        walker = _Walker.restore(cache.checkpoint, key, entries)
        if walker is not None and walker.head == head:
            return walker.history(head, shallow)
        revs = [head]
        if walker is not None and gitrepo.first_parent_reaches(root, head, walker.head):
            revs.append(f"^{walker.head}")  # only the commits since the last mined HEAD
        else:
            walker = _Walker(entries, conf.lockfile, jobs_dir, frozenset(shallow))
        commits = _log(root, revs, entries, conf.lockfile, jobs_dir)
    walker.walk(commits)
    walker.head = head
    pinned = [r.blob for r in walker.runs]
    cache.set_checkpoint(
        {"key": key, **walker.dump()},
        pinned if walker.lock_blob is None else [*pinned, walker.lock_blob],
    )
    cache.save()
    return walker.history(head, shallow)


def _log(
    root: Path, revs: list[str], entries: _Entries, lockfile: str, jobs_dir: str
) -> list[gitrepo.LogCommit]:
    """The commits, oldest first; new blobs are parsed while `git log` is still walking.

    The entries are those of ``git log --first-parent --raw -M -- JOBS LOCKFILE``.  That
    pathspec makes git match every entry of a wide jobs directory against it on every
    commit (measured 22-35 s at 5,000 jobs and 50,000 commits, against 11-12 s without
    it), so git walks without pathspec or rename detection and the entries are filtered
    here; the few commits that delete one of these paths and add another are diffed
    again with the pathspec and ``-M``, so renames are found exactly as before.
    """
    paths = [jobs_dir, lockfile]
    plain = all(_plain(path) for path in paths)
    log: Iterable[tuple[int, gitrepo.LogCommit]]
    if plain:  # two processes when the walk is long: git's tree diffs are most of the cost
        log = gitrepo.iter_log_halves(root, revs, raw=True, extra=["--first-parent"])
    else:
        one = gitrepo.iter_log(root, revs, paths, raw=True, renames=True, extra=["--first-parent"])
        log = ((0, commit) for commit in one)
    halves: tuple[list[gitrepo.LogCommit], list[gitrepo.LogCommit]] = ([], [])
    renamed: list[tuple[str, str]] = []
    for part, logged in log:
        commit, changes = logged, logged.changes
        if plain:
            changes = tuple(c for c in changes if _within(c.old_path or c.new_path, paths))
            if not changes:
                continue
            kinds = {c.status for c in changes}
            if "D" in kinds and "A" in kinds and commit.parents:
                renamed.append((commit.sha, commit.parents[0]))
            if len(changes) != len(logged.changes):
                commit = commit._replace(changes=changes)
        halves[part].append(commit)
        for change in changes:
            new = change.new_path
            if new is None or change.status == "D":
                continue
            if new == lockfile:
                entries.see(change.new_sha, LOCK_KEYS)
            elif is_job_path(new, jobs_dir):
                entries.see(change.new_sha, JOB_KEYS, commit.sha, part)
    entries.flush()
    commits = halves[0] + halves[1]
    if renamed:
        found = gitrepo.diff_tree_first_parent(root, renamed, paths)
        commits = [
            c._replace(changes=tuple(found.get(c.sha, ()))) if c.sha in found else c
            for c in commits
        ]
    commits.reverse()
    return commits


def _plain(path: str) -> bool:
    """A path git's pathspec matches literally: itself and what is under it, nothing else."""
    return (
        bool(path)
        and not path.startswith(("/", ".", ":"))
        and not any(c in path for c in "*?[]\\")
        and all(part not in ("", ".", "..") for part in path.split("/"))
    )


def _within(path: str | None, paths: list[str]) -> bool:
    return path is not None and any(path == p or path.startswith(p + "/") for p in paths)


class _Walker:
    """The walk's state: each job path's last (status, finished_at), the lockfile, the records."""

    def __init__(
        self, entries: _Entries, lockfile: str, jobs_dir: str, shallow: frozenset[str]
    ) -> None:
        self.entries = entries
        self.lockfile = lockfile
        self.jobs_dir = jobs_dir
        self.shallow = shallow
        self.head = ""
        self.state: dict[str, tuple[str, str | None] | None] = {}
        self.lock_blob: str | None = None
        self.runs: list[RunRecord] = []
        self.skipped: list[Skipped] = []
        self.versions = 0

    def history(self, head: str, shallow: tuple[str, ...]) -> History:
        return History(head, tuple(self.runs), tuple(self.skipped), shallow, self.versions)

    def walk(self, commits: list[gitrepo.LogCommit]) -> None:
        for commit in commits:
            for change in commit.changes:
                if self.lockfile in (change.new_path, change.old_path):
                    kept = change.status != "D" and change.new_path == self.lockfile
                    self.lock_blob = change.new_sha if kept else None
            for change in commit.changes:
                if self.lockfile not in (change.old_path, change.new_path):
                    self._change(commit, change)

    def _change(self, commit: gitrepo.LogCommit, change: gitrepo.RawEntry) -> None:
        old, new = change.old_path, change.new_path
        if change.status == "D" or new is None:
            self.state.pop(old or "", None)
            return
        # A rename carries the job's state to its new path.
        before = (
            self.state.pop(old, None) if old is not None and old != new else self.state.get(new)
        )
        if not is_job_path(new, self.jobs_dir):
            return
        self.versions += 1
        entry = self.entries.get(change.new_sha)
        if entry["k"] != JOB:
            self.skipped.append(Skipped(new, commit.sha, entry["message"]))
            self.state[new] = None
            return
        now = (entry["status"], entry["fin"]) if entry["status"] else None
        self.state[new] = now
        if now is None or now[0] not in TERMINAL or now == before:
            return
        version = version_from(entry)  # finished: a run, so its entry is whole
        lock = self.entries.get(self.lock_blob) if self.lock_blob else _NO_LOCK
        self.runs.append(
            RunRecord(
                job=job_name(new),
                path=new,
                commit=commit.sha,
                author=commit.author,
                timestamp=commit.timestamp,
                version=version,
                datasets=_resolve(version.datasets, lock),
                at_boundary=commit.sha in self.shallow,
                blob=change.new_sha,
            )
        )

    def dump(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "state": {path: list(now) if now else None for path, now in self.state.items()},
            "lock": self.lock_blob,
            "versions": self.versions,
            "runs": [
                [
                    r.job,
                    r.path,
                    r.commit,
                    r.author,
                    r.timestamp,
                    r.blob,
                    r.at_boundary,
                    [[d.role, d.ref, d.name, d.sha256] for d in r.datasets],
                ]
                for r in self.runs
            ],
            "skipped": [[s.path, s.commit, s.message] for s in self.skipped],
        }

    @classmethod
    def restore(cls, saved: object, key: Mapping[str, object], entries: _Entries) -> _Walker | None:
        """The walker as it was saved, or None when it does not fit this repository now."""
        if not isinstance(saved, dict) or saved.get("key") != key:
            return None
        shallow = key["shallow"]
        assert isinstance(shallow, list)
        try:
            walker = cls(entries, str(key["lockfile"]), str(key["jobs_dir"]), frozenset(shallow))
            walker.head = str(saved["head"])
            walker.state = {
                str(p): (str(v[0]), _opt_str(v[1])) if v else None
                for p, v in saved["state"].items()
            }
            walker.lock_blob = _opt_str(saved["lock"])
            walker.versions = int(saved["versions"])
            walker.skipped = [Skipped(str(p), str(c), str(m)) for p, c, m in saved["skipped"]]
            lock_ok = entries.has(walker.lock_blob, LOCK_KEYS)
            rows = saved["runs"]
            if not lock_ok or not all(entries.has(row[5], JOB_KEYS) for row in rows):
                return None
            walker.runs = [walker._record(row) for row in rows]
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            return None
        return walker

    def _record(self, row: list[Any]) -> RunRecord:
        job, path, commit, author, stamp, blob, boundary, datasets = row
        return RunRecord(
            job=str(job),
            path=str(path),
            commit=str(commit),
            author=str(author),
            timestamp=int(stamp),
            version=version_from(self.entries.get(blob)),
            datasets=tuple(
                DatasetVersion(str(r), str(f), _opt_str(n), _opt_str(h)) for r, f, n, h in datasets
            ),
            at_boundary=bool(boundary),
            blob=str(blob),
        )


def _opt_str(value: object) -> str | None:
    """A cached optional string; anything else makes the checkpoint unusable (rebuilt)."""
    if value is not None and type(value) is not str:
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


def _resolve(datasets: Mapping[str, str], lock: Mapping[str, Any]) -> tuple[DatasetVersion, ...]:
    out = []
    names: Mapping[str, str] = lock["names"]
    paths: Mapping[str, str] = lock["paths"]
    for role, ref in datasets.items():
        name = ref if ref in names else paths.get(ref.strip("/").removeprefix("./"))
        out.append(DatasetVersion(role, ref, name, names.get(name) if name else None))
    return tuple(out)
