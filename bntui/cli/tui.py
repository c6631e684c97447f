"""``bntui [tui]``: the live view. The Runner is made here and handed to the app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping

from bntui.cli.parser import UsageError, check_fps, config_from_args
from bntui.runner import Runner

HEADLESS_HINT = "use `bntui run` for headless runs"


def require_terminal(hint: str = HEADLESS_HINT) -> None:
    """Refuse to start the live view without a usable terminal (piped, TERM=dumb);
    textual-serve's web driver on pipes is fine (``bntui.terminal``)."""
    from bntui import terminal

    try:
        terminal.require_terminal()
    except terminal.TerminalError as exc:
        raise UsageError(str(exc).replace(HEADLESS_HINT, hint)) from None


def run_live(
    make_runner: Callable[[], Runner],
    args: argparse.Namespace,
    hint: str,
    captions: Mapping[str, str] | None = None,
) -> int:
    """Check the display flags, the --record target and the terminal, then run the app
    over a fresh Runner (``captions``: a lesson's Korean captions by their English text)."""
    check_fps(args.fps)
    if args.record:
        from bntui.export import check_target

        check_target(args.record, force=getattr(args, "force", False))  # at start
    require_terminal(hint)
    from bntui.tui.app import BntuiApp

    runner = make_runner()
    app = BntuiApp(
        runner,
        fps=args.fps,
        ascii=args.ascii,
        record=args.record,
        captions=captions,
    )
    result = app.run()
    if runner.error and args.debug and runner.trace:
        print(runner.trace, file=sys.stderr)
    # Textual's return code when the app crashed (1, not 0)
    return int(result) if result is not None else int(app.return_code or 0)


def cmd_tui(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    paused, pace = args.paused, args.speed

    def make() -> Runner:
        return Runner(config, paused=paused, steps_per_second=pace)

    return run_live(make, args, HEADLESS_HINT)
