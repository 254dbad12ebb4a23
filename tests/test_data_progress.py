"""Progress on stderr: only on a terminal, only after a second, with bytes and rate."""

from __future__ import annotations

import pytest

from gittrain.cli import progress as progress_mod
from gittrain.cli.progress import ByteProgress


def test_silent_during_the_first_second(capsys: pytest.CaptureFixture[str]) -> None:
    bar = ByteProgress("hashing", enabled=True)
    bar(5_000_000)
    bar.close()
    assert capsys.readouterr().err == ""


def test_shows_bytes_and_rate_after_a_second(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bar = ByteProgress("hashing", enabled=True)
    clock = iter([bar.start + 2.0, bar.start + 2.0])
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: next(clock))
    bar(3_000_000_000)
    err = capsys.readouterr().err
    assert err == "\rhashing 3.0 GB  (1.5 GB/s)  "
    bar.close()
    assert capsys.readouterr().err == "\r\x1b[K"


def test_never_shown_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    bar = ByteProgress("hashing")  # pytest's captured stderr is not a TTY
    bar.start -= 5
    bar(10)
    assert (bar.enabled, capsys.readouterr().err) == (False, "")
