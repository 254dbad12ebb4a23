"""Progress on stderr for long reads: shown only on a TTY and only after a second."""

from __future__ import annotations

import sys
import threading
import time

DELAY = 1.0
INTERVAL = 0.2


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} TB"


class ByteProgress:
    """A thread-safe ``Progress`` callback: ``hashing 1.2 GB  (1.4 GB/s)``, or with a
    ``unit``, a count: ``listing 12,000 objects  (4,100/s)``."""

    def __init__(self, label: str, *, enabled: bool | None = None, unit: str | None = None) -> None:
        self.label = label
        self.unit = unit
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0
        self.start = time.monotonic()
        self.shown_at = 0.0
        self.visible = False
        self._lock = threading.Lock()

    def __call__(self, n: int) -> None:
        with self._lock:
            self.done += n
            if not self.enabled:
                return
            now = time.monotonic()
            if now - self.start >= DELAY and now - self.shown_at >= INTERVAL:
                self.shown_at = now
                rate = self.done / (now - self.start)
                if self.unit is None:
                    text = f"{_human(self.done)}  ({_human(rate)}/s)"
                else:
                    text = f"{self.done:,} {self.unit}  ({rate:,.0f}/s)"
                sys.stderr.write(f"\r{self.label} {text}  ")
                sys.stderr.flush()
                self.visible = True

    def close(self) -> None:
        if self.visible:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.visible = False
