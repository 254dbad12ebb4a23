"""What the fsspec-based providers share: fsspec's settings for a protocol, and closing an
async filesystem's aiohttp session from any thread (http and gcs)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fsspec.asyn import sync
from fsspec.exceptions import FSTimeoutError

_closing: set[asyncio.Task[None]] = set()  # session closes in flight (tasks need a reference)


def close_session(fs: Any, close_directly: Callable[[Any, Any], None]) -> None:
    """Close ``fs``'s session; its next request opens a new one.  ``close_directly`` is the
    filesystem class's static ``close_session`` (closes the connector without the loop)."""
    session, fs._session = fs._session, None
    if session is None or session.closed:
        return
    try:
        on_loop = asyncio.get_running_loop() is fs.loop
    except RuntimeError:
        on_loop = False
    if on_loop:  # called on fsspec's I/O thread: close without blocking it
        task = fs.loop.create_task(session.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)
        return
    try:
        sync(fs.loop, session.close, timeout=5)
    except FSTimeoutError:
        close_directly(None, session)


def fsspec_options(*protocols: str) -> dict[str, Any]:
    """fsspec's configuration for ``protocols`` (its files and ``FSSPEC_<PROTOCOL>_*``
    variables), read now, not when fsspec was imported; a later protocol wins."""
    import fsspec.config

    conf: dict[str, dict[str, Any]] = {}
    fsspec.config.set_conf_files(fsspec.config.conf_dir, conf)
    fsspec.config.set_conf_env(conf)
    out: dict[str, Any] = {}
    for protocol in protocols:
        out.update(conf.get(protocol, {}))
    return out
