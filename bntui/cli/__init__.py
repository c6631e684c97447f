"""Entry point: ``bntui [tui] | run | replay | demos | data | sweep | verify | serve``.

``main`` parses (``parser``), dispatches to one module per subcommand (``tui``, ``run``,
``replay``, ``data``) and turns every known error into one line ``bntui: error: …`` with
exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from bntui.cli.parser import UsageError, build_parser, config_from_args, one_line
from bntui.errors import BntuiError

__all__ = ["UsageError", "build_parser", "config_from_args", "main"]

SUBCOMMANDS = ("tui", "run", "data", "replay", "demos", "sweep", "verify", "serve")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    first = next((a for a in argv if a != "--debug"), None)
    if first not in SUBCOMMANDS and first not in ("-h", "--help", "--version"):
        argv.insert(1 if argv[:1] == ["--debug"] else 0, "tui")
    try:
        args = build_parser().parse_args(argv)
        return dispatch(args)
    except KeyboardInterrupt as exc:
        from bntui.cli.signals import exit_status

        print("bntui: interrupted", file=sys.stderr)
        return exit_status(exc)
    except Exception as exc:
        if debug:
            raise
        return report(exc)


def report(exc: Exception) -> int:
    """Print one line for a known error (exit 2) or an unexpected one (exit 1)."""
    if isinstance(exc, BntuiError):
        print(f"bntui: error: {one_line(exc)}", file=sys.stderr)
        return 2
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename and exc.strerror else ""
        print(f"bntui: error: {one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return 2
    print(
        f"bntui: internal error: {type(exc).__name__}: {one_line(exc)} (--debug shows more)",
        file=sys.stderr,
    )
    return 1


def dispatch(args: argparse.Namespace) -> int:
    """Run the subcommand (imported on use: ``bntui run`` never loads Textual)."""
    from bntui import i18n
    from bntui.cli.signals import interrupts

    # before any app or table is built: every later _() speaks this language
    i18n.set_language(getattr(args, "lang", None) or i18n.default_language())
    if args.cmd == "run":
        from bntui.cli.run import cmd_run

        with interrupts():  # SIGTERM/SIGHUP: the ctrl+c path (rows kept, temp files gone)
            return cmd_run(args)
    if args.cmd == "data":
        from bntui.cli.data import cmd_data

        with interrupts():
            return cmd_data(args)
    if args.cmd in ("sweep", "verify"):
        from bntui.cli import sweep as experiments_cli

        with interrupts():  # SIGTERM/SIGHUP: the ctrl+c path (the pool is stopped)
            return experiments_cli.dispatch(args, config_from_args=config_from_args)
    if args.cmd == "serve":
        from bntui.cli import serve

        return serve.run(args, parse=build_parser().parse_args, config=check_served)
    if args.cmd in ("replay", "demos"):
        from bntui.cli.replay import dispatch as replay

        return replay(args)
    from bntui.cli.tui import cmd_tui

    return cmd_tui(args)


def check_served(ns: argparse.Namespace) -> object:
    """What a browser tab will run, checked as ``bntui`` itself would check it."""
    if ns.cmd == "replay":
        from bntui.cli.replay import script_with_overrides

        return script_with_overrides(ns)
    return config_from_args(ns)


def entry() -> None:
    """The ``bntui`` console script: ``main`` and its exit status.

    After a signal the process ends at once (stdio flushed) instead of going through
    interpreter shutdown, where the default handlers are back and a late second ctrl+c
    would kill it with a traceback-less -2 instead of the status ``main`` chose.
    """
    import os

    from bntui.cli.signals import received

    status = main()
    live = sys.modules.get("bntui.cli.tui")  # the live app ran: its files are saved, and
    ran_live = getattr(live, "LIVE_RAN", False)  # teardown would add ~0.5 s to quitting
    if received() is not None or ran_live:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
