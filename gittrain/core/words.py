"""Numbers in words: counted nouns ("1 run", "2 runs") and byte sizes ("270 bytes", "1.5 MB")."""

from __future__ import annotations


def counted(n: int, word: str, plural: str | None = None, *, grouped: bool = False) -> str:
    """``n`` and the noun in the number it takes; ``grouped`` writes 12,000."""
    number = f"{n:,}" if grouped else str(n)
    return f"{number} {word if abs(n) == 1 else plural or word + 's'}"


def size_text(size: int) -> str:
    """Decimal units with three significant digits; bytes below 1 kB (never "0 MB")."""
    if abs(size) < 1000:
        return counted(size, "byte")
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if abs(value) < 999.5 or unit == "TB":
            return f"{value:.3g} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover
