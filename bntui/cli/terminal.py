"""Can the live view run here? A real terminal, or a browser page through textual-serve.

textual-serve (and textual-web) start the app with pipes for stdin and stdout and the
environment variable ``TEXTUAL_DRIVER`` naming Textual's web driver, which speaks a packet
protocol over those pipes instead of drawing on a terminal. That driver is the one case
where pipes are right; anywhere else a piped stdin/stdout or ``TERM=dumb`` means nobody
can see the screen, and the live view refuses in one line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from bntui.errors import BntuiError

WEB_DRIVER = "textual.drivers.web_driver:WebDriver"  # what textual-serve puts in TEXTUAL_DRIVER
DUMB_TERMS = ("dumb", "unknown")


class TerminalError(BntuiError):
    """No usable screen for the live view: reported as one line with exit status 2."""


def web_driver(environ: Mapping[str, str] | None = None) -> bool:
    """True when the app is being run by textual-serve / textual-web (the web driver)."""
    env = os.environ if environ is None else environ
    return env.get("TEXTUAL_DRIVER", "").strip() == WEB_DRIVER


def require_terminal(
    *,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Refuse to start the live view without a terminal (or textual-serve's web driver).

    Raises ``TerminalError`` for a piped stdin or stdout and for ``TERM=dumb``/``unknown``;
    accepts pipes only when ``TEXTUAL_DRIVER`` names Textual's web driver, i.e. the app's
    screen goes to a browser page. The arguments exist for tests; they default to the
    process's own environment and streams.
    """
    env = os.environ if environ is None else environ
    if web_driver(env):
        return
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if not (_isatty(stdin) and _isatty(stdout)):
        raise TerminalError(
            "the live view needs a terminal (or `bntui serve` for a browser); "
            "use `bntui run` for headless runs"
        )
    term = env.get("TERM", "")
    if term in DUMB_TERMS:
        raise TerminalError(
            f"TERM={term} cannot show the live view; set TERM (e.g. xterm-256color) "
            "or use `bntui run` for headless runs"
        )


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached
        return False
