"""``bntui --version``: this package and the libraries whose versions change what you see."""

from __future__ import annotations

import platform
from importlib import metadata

from bntui import __version__

LIBRARIES = ("numpy", "textual", "textual-serve")  # the engine, the UI, the browser server


def version_text() -> str:
    """One line, e.g. ``bntui 0.1.0 (Python 3.11.7, numpy 2.4.6, textual 8.2.8)``.

    Read from the installed distributions' metadata, so nothing heavy is imported; an
    optional library that is not installed (textual-serve) is left out.
    """
    parts = [f"Python {platform.python_version()}"]
    for name in LIBRARIES:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            if name != "textual-serve":
                parts.append(f"{name} not installed")
    return f"bntui {__version__} ({', '.join(parts)})"
