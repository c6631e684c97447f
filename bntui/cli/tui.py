"""``bntui [tui]``: the live view. The Runner is made here and handed to the app."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bntui.cli.parser import UsageError, check_fps, config_from_args
from bntui.i18n import _
from bntui.live.runner import Runner

PREVIOUS_NAME = "previous-session.toml"
LIVE_RAN = False  # set once the app has run (``bntui.cli.entry`` then skips teardown)
HEADLESS_HINT = "use `bntui run` for headless runs"


def require_terminal(hint: str = HEADLESS_HINT) -> None:
    """Refuse to start the live view without a usable terminal (piped, TERM=dumb);
    textual-serve's web driver on pipes is fine (``bntui.cli.terminal``)."""
    from bntui.cli import terminal

    try:
        terminal.require_terminal()
    except terminal.TerminalError as exc:
        raise UsageError(str(exc).replace(HEADLESS_HINT, hint)) from None


def run_live(
    make_runner: Callable[[], Runner],
    args: argparse.Namespace,
    hint: str,
    captions: Mapping[str, str] | None = None,
    quiz: Any = None,
    shows: Mapping[str, tuple[int | None, int | None]] | None = None,
) -> int:
    """Check the display flags, the --record target and the terminal, then run the app
    over a fresh Runner (``captions``: a lesson's Korean captions by their English text;
    ``shows``: the view and layer its captions show)."""
    check_fps(args.fps)
    if args.record:
        from bntui.export import check_target

        check_target(args.record, force=getattr(args, "force", False))  # at start
    require_terminal(hint)
    from bntui.tui import lifecycle
    from bntui.tui.app import BntuiApp

    runner = make_runner()
    autosave = None if lifecycle.served() else lifecycle.autosave_path()
    if autosave is not None:  # a browser tab of bntui serve: the operator's state is theirs
        keep_previous(autosave)
    app = BntuiApp(
        runner,
        fps=args.fps,
        ascii=args.ascii,
        record=args.record,
        captions=captions,
        shows=shows,
        autosave=autosave,
        quiz=quiz,
    )
    result = app.run()
    global LIVE_RAN
    LIVE_RAN = True
    if runner.error and args.debug and runner.trace:
        print(runner.trace, file=sys.stderr)
    # Textual's return code when the app crashed (1, not 0)
    return int(result) if result is not None else int(app.return_code or 0)


def keep_previous(autosave: Path) -> None:
    """A new session's autosave replaces the last one: keep that as ``previous-session.toml``."""
    if autosave.is_file() and not autosave.is_symlink():
        with contextlib.suppress(OSError):
            os.replace(autosave, autosave.with_name(PREVIOUS_NAME))


def cmd_tui(args: argparse.Namespace) -> int:
    if getattr(args, "resume_last", False):
        script = resume_script()  # before the terminal check: "nothing to resume" first
        return run_live(lambda: resume_runner(script, args), args, HEADLESS_HINT)
    config = config_from_args(args)
    paused, pace = args.paused, args.speed

    def make() -> Runner:
        return Runner(config, paused=paused, steps_per_second=pace)

    return run_live(make, args, HEADLESS_HINT)


def resume_script():  # -> Script
    """The autosaved script of the last live session (UsageError: nothing to resume)."""
    from bntui.replay.script import load_script
    from bntui.tui.lifecycle import autosave_path

    path = autosave_path()
    if not path.is_file():
        raise UsageError(_("nothing to resume: no autosaved session at {path}").format(path=path))
    return load_script(path)


def resume_runner(script, args: argparse.Namespace) -> Runner:
    """Replay the autosaved session to the step it reached; the app goes on live from there."""
    from bntui.training.memory import check_memory, check_schedule
    from bntui.training.player import play_commands
    from bntui.training.session import Session

    check_memory(script.config)
    check_schedule(script.config, ((f"{script.source}: at {at}", c) for at, c in script.schedule()))
    session = Session(script.config)
    steps = script.config.steps
    note = _("bntui: resuming {source}: replaying {steps} steps …")
    print(note.format(source=script.source, steps=f"{steps:,}"), file=sys.stderr)
    play_commands(session, script.schedule(steps), until=steps)
    return Runner(session, paused=args.paused, steps_per_second=args.speed)
