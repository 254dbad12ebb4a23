"""The `git train` command line: the entry point, which sends the commit hooks past Click.

git runs `git-train hook pre-commit` and `hook prepare-commit-msg` on every commit, and
importing Click and building the group was about a third of each hook's time, so those two
command lines run in :mod:`gittrain.cli.hookrun`; everything else (and any other shape of
them, `-h` included) goes to the Click group in :mod:`gittrain.cli.app`.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, NoReturn


def script() -> None:
    """Console-script entry point (`git-train`, `gittrain`, `python -m gittrain`): :func:`main`,
    except that a hook run ends without the interpreter's teardown (:func:`_leave`)."""
    from gittrain.cli import hookrun

    args = sys.argv[1:]
    if hookrun.handles(args):
        _leave(_run_hook(args))
    main()


def main(argv: list[str] | None = None) -> None:
    """The command line (``sys.argv`` when ``argv`` is None); ends with SystemExit."""
    from gittrain.cli import hookrun

    args = sys.argv[1:] if argv is None else list(argv)
    if hookrun.handles(args):
        sys.exit(_run_hook(args) if argv is None else hookrun.run(args))
    from gittrain.cli.app import main as click_main

    if argv is not None:  # called in-process (tests): leave the interpreter as it is
        click_main(argv)
        return
    try:
        click_main(None)
    finally:
        # The process ends here.  The interpreter's teardown runs the cyclic collector
        # over every module and record class it loaded, to free memory the exit frees
        # anyway: ~17 M instructions (4-5 ms) of a `git train -h` or `data status`.
        # Frozen objects are left out of it; what is written is still flushed.
        gc.freeze()


def _run_hook(args: list[str]) -> int:
    """The console script's hook run, without the cyclic garbage collector.

    A hook is a short-lived process whose data are trees that reference counting frees:
    the collector's passes during the imports and its full pass over every module at exit
    cost ~15 ms of a ~140 ms hook here.  What exists at the end is frozen (left to reference
    counting) and the collector is back on for whatever the process does next.
    """
    from gittrain.cli import hookrun

    enabled = gc.isenabled()
    gc.disable()
    try:
        return hookrun.run(args)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _leave(code: int) -> NoReturn:
    """Flush and end the hook process without the interpreter's teardown.

    git runs the hooks on every commit; tearing down the modules and the checked
    documents frees nothing the process would keep (the textconv driver does the same:
    textconv_driver.script).  Everything the hook writes is written and closed by now;
    in-process callers use :func:`main`, which ends with SystemExit.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away: nothing left to say
        pass
    os._exit(code)


def __getattr__(name: str) -> Any:
    """`from gittrain.cli import cli` still finds the Click group (imported on first use)."""
    if name in ("cli", "LazyGroup", "RootGroup"):
        from gittrain.cli import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
