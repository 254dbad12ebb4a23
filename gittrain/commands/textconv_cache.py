"""Pre-filling git's textconv cache for the configs in history, in one process.

git keeps converted text in ``refs/notes/textconv/gittrain``, keyed by blob and
valid for as long as the driver command (which carries the rules' fingerprint)
stays the same.  It fills the cache one driver process per blob, on the first
`git log -p` that shows each.  `git train install --diff` converts every config
version in the history here instead, so even that first run finds them cached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gittrain.adapters import gitrepo
from gittrain.commands.install import CACHE_REF, DRIVER, TEXTCONV_COMMAND, TEXTCONV_KEY
from gittrain.core import settings

# Config versions converted at most (the newest first): a bound on install's time.
LIMIT = 5000
_ZERO = "0" * 40


@dataclass(frozen=True, slots=True)
class Prefilled:
    converted: int  # versions converted now
    cached: int  # already in the cache
    skipped: int = 0  # past LIMIT


def prefill(root: Path, *, limit: int = LIMIT) -> Prefilled:
    """Convert the config versions in history the cache lacks (none when the driver is not ours)."""
    validity = gitrepo.get_config(root, TEXTCONV_KEY)
    if validity is None or validity.split(" ", 1)[0] != TEXTCONV_COMMAND:
        return Prefilled(0, 0)
    if gitrepo.rev_parse(root, "HEAD") is None:
        return Prefilled(0, 0)
    subject, notes = gitrepo.notes_cache(root, CACHE_REF)
    if subject != validity:
        notes = {}  # git ignores a cache written for another command: so do we
    wanted = _versions(root)
    missing = [(sha, path) for sha, path in wanted if sha not in notes]
    skipped = max(0, len(missing) - limit)
    missing = missing[:limit]
    if not missing:
        return Prefilled(0, len(wanted) - len(missing))
    from gittrain.commands.textconv import settings_rules, textconv

    policy, _data = settings_rules(root)
    blobs = gitrepo.read_blobs(root, [sha for sha, _ in missing])
    contents: dict[str, bytes] = {}
    for sha, path in missing:
        raw = blobs.get(sha)
        if raw is None:
            continue
        # git hands the driver a temporary file named after the path's last part.
        result = textconv(f"gittrain-prefill_{os.path.basename(path)}", policy, raw=raw)
        contents[sha] = result.raw if result.text is None else result.text.encode("utf-8")
    gitrepo.write_notes_cache(root, CACHE_REF, validity, notes, contents)
    return Prefilled(len(contents), len(wanted) - len(missing) - skipped, skipped)


def _versions(root: Path) -> list[tuple[str, str]]:
    """Every blob a config path held in HEAD's history (newest first), with a path it had."""
    conf = settings.load(root)
    scope = [*conf.watched_dirs, conf.lockfile]
    seen: dict[str, str] = {}
    for _commit, entries in gitrepo.log_raw(root, "HEAD", scope):
        for entry in entries:
            for sha, path in ((entry.new_sha, entry.new_path), (entry.old_sha, entry.old_path)):
                if path is not None and sha != _ZERO and sha not in seen:
                    seen[sha] = path
    paths = sorted(set(seen.values()))
    ours = {p for p, v in gitrepo.attributes(root, "diff", paths).items() if v == DRIVER}
    return [(sha, path) for sha, path in seen.items() if path in ours]
