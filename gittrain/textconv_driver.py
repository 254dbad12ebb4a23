"""`git-train-textconv FILE`: the textconv driver git runs once per file, without click.

`git train textconv` does the same through the full CLI; this entry point
exists because importing click (and the CLI package) costs more than the
conversion itself, and git may run the driver hundreds of times in one
`git log -p`.  It never fails: anything unexpected prints the file unchanged.
"""

from __future__ import annotations

import gc
import sys


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
    if len(args) != 1:
        sys.stderr.write("usage: git-train-textconv FILE\n")
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
        from gittrain.commands.textconv import settings_policy, textconv

        result = textconv(path, settings_policy("."), raw=raw)
    except Exception:  # never make `git diff` fail: show the file as it is
        out.write(raw)
        return 0
    out.write(result.raw if result.text is None else result.text.encode("utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a console script
    sys.exit(main())
