"""What the sweep and verify commands share: executor flags and the console."""

from __future__ import annotations

import os
import sys
from typing import Any


def add_exec_flags(g: Any) -> None:
    g.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: the CPU count)"
    )
    g.add_argument(
        "--executor",
        metavar="dask://HOST:PORT",
        help="run trials on a Dask cluster (needs bntui[dask])",
    )


def console():
    """A Rich console; piped output gets a wide page instead of being squeezed to 80."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
