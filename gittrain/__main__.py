"""`python -m gittrain` runs the same CLI as `git train`."""

from __future__ import annotations

from gittrain.cli import script

if __name__ == "__main__":
    script()
