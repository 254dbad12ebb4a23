"""Entry point for `python -m gittrain.demo [DIR]`."""

from __future__ import annotations

import sys

from gittrain.demo.tour import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
