"""The ``bntui replay`` and ``bntui demos`` subcommands (placeholder for now)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_parsers(sub, *, add_config_flags: Callable, add_tui_flags: Callable) -> None:
    """Register ``replay`` and ``demos`` on the main parser's subparsers."""
    replay = sub.add_parser("replay", help="play a lesson script (TOML) live or headless")
    replay.add_argument("script", help="a .toml script or the name of a bundled lesson")
    sub.add_parser("demos", help="list the bundled lessons")


def dispatch(args: argparse.Namespace) -> int:
    from bntui.cli import UsageError

    raise UsageError(f"{args.cmd}: not available yet")
