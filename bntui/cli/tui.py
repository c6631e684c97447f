"""``bntui [tui]``: the live view. The Runner is made here and handed to the app."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from bntui.cli.parser import UsageError, check_fps, config_from_args
from bntui.runner import Runner

HEADLESS_HINT = "use `bntui run` for headless runs"


def require_terminal(hint: str = HEADLESS_HINT) -> None:
    """Refuse to start the live view without a usable terminal (piped, TERM=dumb)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(f"the live view needs a terminal; {hint}")
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        raise UsageError(
            f"TERM={os.environ['TERM']} cannot show the live view; set TERM (e.g. "
            f"xterm-256color) or {hint}"
        )


def run_live(make_runner: Callable[[], Runner], args: argparse.Namespace, hint: str) -> int:
    """Check the display flags and the terminal, then run the app over a fresh Runner."""
    check_fps(args.fps)
    require_terminal(hint)
    from bntui.tui.app import BntuiApp

    runner = make_runner()
    app = BntuiApp(
        runner,
        fps=args.fps,
        ascii=args.ascii,
        record=args.record,
    )
    result = app.run()
    if runner.error and args.debug and runner.trace:
        print(runner.trace, file=sys.stderr)
    return int(result or 0)


def cmd_tui(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    paused = args.paused
    return run_live(lambda: Runner(config, paused=paused), args, HEADLESS_HINT)
