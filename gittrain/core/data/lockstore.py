"""Reading `gittrain.lock` from the work tree and rewriting it under an exclusive lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gittrain.adapters import gitdir
from gittrain.core.atomic import atomic_write, command_lock, remove_stale_temps
from gittrain.core.data import lockfile
from gittrain.core.data.lockfile import Lockfile
from gittrain.document import Document
from gittrain.errors import GittrainError, usage_error

if TYPE_CHECKING:
    from gittrain.core.parsecache import ParseCache


def read(root: Path, rel: str) -> Lockfile:
    """The work tree's lockfile; an absent file is an empty lockfile."""
    raw = _read_raw(root, rel)
    return Lockfile() if raw is None else parse_bytes(raw, rel)


def _read_raw(root: Path, rel: str) -> bytes | None:
    """The lockfile's bytes, or None when there is none."""
    try:
        return (root / rel).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise usage_error(f"{rel}: cannot read: {exc.strerror}") from None


def read_cached(root: Path, rel: str, cache: ParseCache) -> Lockfile:
    """:func:`read`, taking the parsed document from ``cache`` when the bytes are unchanged
    and leaving it there otherwise; what it returns and raises is exactly :func:`read`'s."""
    raw = _read_raw(root, rel)
    if raw is None:
        return Lockfile()
    name = f"lock:{rel}"
    data = cache.get(name, raw)
    if data is not None:
        try:
            return lockfile.from_doc(Document(rel, data))
        except Exception:  # a hostile entry that narrows badly: parse the file itself
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GittrainError(f"{rel}: not valid UTF-8; the lockfile is damaged") from None
    lock, doc = lockfile.parse_doc(text, rel)
    if doc is not None:
        cache.put(name, raw, doc.data)
    return lock


def loader(read: Callable[[], bytes | None], rel: str) -> Callable[[], Lockfile]:
    """A function that reads (``read``: None when absent) and parses ``rel`` once, on first
    call; it raises ``GittrainError`` for a broken lockfile every time it is called."""
    from functools import cache

    @cache
    def load() -> Lockfile | GittrainError:
        try:
            raw = read()
            return parse_bytes(raw, rel) if raw is not None else Lockfile()
        except GittrainError as exc:
            return exc

    def get() -> Lockfile:
        found = load()
        if isinstance(found, GittrainError):
            raise found
        return found

    return get


def parse_bytes(raw: bytes, source: str) -> Lockfile:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GittrainError(f"{source}: not valid UTF-8; the lockfile is damaged") from None
    return lockfile.parse(text, source)


def lock_path(root: Path) -> Path:
    return gitdir.git_dir(root) / "gittrain" / "lockfile.lock"


def modify(root: Path, rel: str, change: Callable[[Lockfile], Lockfile]) -> Lockfile:
    """Read, ``change`` and write the lockfile while holding the exclusive lock.

    ``change`` may raise ``GittrainError``; then nothing is written.  The file is
    rewritten only when its text would differ.
    """
    path = root / rel
    with command_lock(lock_path(root)):
        remove_stale_temps(path)
        try:
            old_text: str | None = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            old_text = None
        except UnicodeDecodeError:
            raise GittrainError(f"{rel}: not valid UTF-8; the lockfile is damaged") from None
        current = lockfile.parse(old_text, rel) if old_text is not None else Lockfile()
        new = change(current)
        text = lockfile.render(new)
        if text != old_text:
            _check_rendered(text, rel)
            try:
                atomic_write(path, text.encode("utf-8"))
            except OSError as exc:
                raise usage_error(
                    f"{rel}: cannot write: {exc.strerror}; the old lockfile is unchanged"
                ) from None
    return new


def _check_rendered(text: str, rel: str) -> None:
    """Refuse to write a lockfile that its schema, or gittrain itself, would not read back.

    Whatever the new entry came from (a cache, an API caller), no command after this
    one may find ``rel`` unreadable.
    """
    from gittrain.adapters import schemas, yamlio

    try:
        doc = yamlio.load_text(text, rel)
        lockfile.from_doc(doc)
    except GittrainError as exc:
        problem = exc.detail
    else:
        errors = schemas.check("lockfile", doc.data)
        if not errors:
            return
        problem = f"{'.'.join(map(str, errors[0].path))}: {errors[0].message}"
    raise GittrainError(
        f"{rel}: the new lockfile would be invalid ({problem}); nothing was written"
    )
