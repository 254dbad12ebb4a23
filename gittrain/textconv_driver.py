"""`git-train-textconv [--rules=FINGERPRINT] FILE`: the textconv driver git runs, without click.

`git train textconv` does the same through the full CLI; this entry point
exists because importing click (and the CLI package) costs more than the
conversion itself, and git may run the driver hundreds of times in one
`git log -p`.  It never fails: anything unexpected prints the file unchanged.

``--rules`` is the fingerprint `git train install --diff` put into the command
(see gittrain/core/textconvkey.py).  When the rules have changed since, the
driver points git's config at the new fingerprint, so the next git command
starts a fresh textconv cache.
"""

from __future__ import annotations

import gc
import os
import sys

USAGE = "usage: git-train-textconv [--rules=FINGERPRINT] FILE\n"


def script() -> None:
    """The console script: convert, flush, and leave without the interpreter's teardown.

    git runs the driver once per file it shows; tearing down the modules, the
    vocabulary and the document costs ~6 ms a run and frees nothing the process
    would keep.  Everything written is flushed first; callers in-process use main().
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # git closed the pipe: nothing left to say
        code = code or 0
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    # One short run whose objects (modules, the vocabulary, one bounded document) live
    # until it ends: the cyclic collector frees next to nothing here, but its ~20 passes
    # over the growing heap cost 2-3 ms a file. It is switched back on before returning.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _convert(argv)
    finally:
        if was_enabled:
            gc.enable()


def _convert(argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    rules = None
    if args and args[0].startswith("--rules="):
        rules, args = args[0].partition("=")[2], args[1:]
    if len(args) != 1:
        sys.stderr.write(USAGE)
        return 2
    path = args[0]
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        sys.stderr.write(f"error: {path}: cannot read: {exc.strerror}\n")
        return 2
    out = sys.stdout.buffer
    try:
        from gittrain.commands.textconv import settings_rules, textconv

        policy, settings_data = settings_rules(".")
        result = textconv(path, policy, raw=raw)
    except Exception:  # never make `git diff` fail: show the file as it is
        out.write(raw)
        return 0
    out.write(result.raw if result.text is None else result.text.encode("utf-8"))
    if rules is not None:
        out.flush()
        _resync(rules, settings_data)
    return 0


def _resync(rules: str, settings_data: object) -> None:
    """Point git at the current fingerprint when ``rules`` is an old one (never fails)."""
    try:
        from gittrain.core.textconvkey import fingerprint

        current = fingerprint(settings_data)
        if current == rules:
            return
        from pathlib import Path

        from gittrain.commands.install import sync_command

        if sync_command(Path("."), current):
            sys.stderr.write(
                "gittrain: the diff rules changed; textconv conversions cached under the old "
                "rules are dropped from the next git command on\n"
            )
    except Exception:  # a stale cache entry for one command is better than a failed diff
        return
