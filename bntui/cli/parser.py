"""The command line's grammar: every subcommand and flag of ``bntui``.

Every Config field is a flag here, generated from the dataclass: one place says what an
experiment is. Bad input ends in one line ``bntui: error: …`` and exit status 2.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import NoReturn

from bntui.about import version_text
from bntui.config import Config, field_type, load_config
from bntui.errors import BntuiError

EXAMPLES = """\
examples:
  bntui                                   live session: spiral, 4×32 ReLU, BN on
  bntui --activation sigmoid --depth 6 --no-bn
  bntui run --steps 2000                  headless run with a summary table
  bntui run --no-bn --metrics out.jsonl --do 500:"bn on"
  bntui run --data titanic.csv --target Survived --features Pclass,Sex,Age,Fare
  bntui data download mnist               then: bntui --dataset mnist
  bntui --resume-last                     go on with the last live session (autosaved)
"""


class UsageError(BntuiError):
    """Bad command-line input: reported as one line with exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (``bntui: error: …``) with exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(one_line(message))


def one_line(text: str) -> str:
    """Escape newlines and other control characters so a message stays on one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per Config field (``--bn/--no-bn`` for booleans), plus ``--config FILE``."""
    g = p.add_argument_group("experiment (any field also fits a --config TOML file)")
    g.add_argument("--config", metavar="FILE.toml", help="read settings from a TOML file")
    for f in fields(Config):
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        help_text = f"{meta['help']} (default: {f.default})".replace("%", "%%")
        if field_type(f.name) is bool:
            g.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        else:
            g.add_argument(
                flag,
                default=argparse.SUPPRESS,
                help=help_text,
                metavar=meta.get("metavar") or f.name.upper(),
            )


def given_flags(args: argparse.Namespace) -> dict[str, object]:
    """The Config fields given as flags (``--data FILE`` alone means ``dataset = "file"``)."""
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)}
    if "data" in given and "dataset" not in given:
        given["dataset"] = "file"
    return given


def config_from_args(args: argparse.Namespace) -> Config:
    """--config FILE first, then every flag given on the command line."""
    base = load_config(args.config) if args.config else Config()
    values = base.to_dict() | given_flags(args)
    from bntui.config import check_memory

    return check_memory(Config.from_dict(values, where="command line"))


def parse_do(items: list[str] | None) -> list[tuple[int, str]]:
    """``--do 500:"bn on"`` → [(500, "bn on")], checked and sorted by step."""
    from bntui.commands import parse

    out = []
    for item in items or []:
        at, sep, text = item.partition(":")
        if not sep or not at.strip().isdigit():
            raise UsageError(f"--do expects STEP:COMMAND, e.g. 500:'bn on', got {item!r}")
        out.append((int(at), str(parse(text))))
    return sorted(out, key=lambda t: t[0])


def build_parser() -> Parser:
    p = Parser(
        prog="bntui",
        description="A terminal laboratory for Batch Normalization: train a small NumPy "
        "network and watch, live, what BN changes.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=version_text())
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="cmd", metavar="{tui,run,replay,demos,data,sweep,verify,serve}")

    tui = sub.add_parser(
        "tui",
        help="live session (the default)",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_tui_flags(tui)
    tui.add_argument("--force", action="store_true", help="let --record replace a file")
    tui.add_argument(
        "--resume-last",
        action="store_true",
        help="replay the autosaved last live session (in the user state dir, or "
        "$BNTUI_STATE_DIR) to where it was and go on live",
    )
    add_config_flags(tui)

    run = sub.add_parser(
        "run",
        help="train headless and print a summary",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--metrics", metavar="FILE", help="write step records (.jsonl or .csv)")
    run.add_argument("--save-model", metavar="FILE.npz", help="write the trained weights")
    run.add_argument(
        "--do",
        action="append",
        metavar="STEP:COMMAND",
        help="apply a command at a step, e.g. --do 500:'bn off' (repeatable)",
    )
    run.add_argument("--force", action="store_true", help="overwrite existing output files")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar, summary only")
    add_config_flags(run)

    data = sub.add_parser("data", help="datasets: download MNIST-family files")
    dsub = data.add_subparsers(dest="data_cmd", metavar="{download,path}")
    dl = dsub.add_parser("download", help="fetch mnist or fashion-mnist into the user cache")
    dl.add_argument("name", choices=("mnist", "fashion-mnist"))
    dsub.add_parser("path", help="print the dataset cache directory")

    add_replay_parsers(sub)
    from bntui import serve
    from bntui.experiments import cli as experiments_cli

    experiments_cli.add_parsers(sub, add_config_flags=add_config_flags)
    serve.add_parser(sub)
    return p


def add_tui_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("display")
    g.add_argument("--fps", type=float, default=2.0, help="redraws per second, 1..30 (default 2)")
    g.add_argument("--ascii", action="store_true", help="ASCII borders and chart markers")
    g.add_argument("--paused", action="store_true", help="start paused")
    g.add_argument("--record", metavar="FILE.toml", help="save the session as a replay script")


def check_fps(fps: float) -> None:
    """The one check of ``--fps``."""
    if not 1 <= fps <= 30:
        raise UsageError(f"--fps must be in 1..30, got {fps:g}")


LIVE_MINUTES = 3.0  # the default --speed plays a lesson in about this long

REPLAY_EXAMPLES = """\
examples:
  bntui demos                                        list the bundled lessons
  bntui replay sigmoid-vanishing --headless --out out/
  bntui replay lesson.toml --headless --steps 500 --metrics m.csv
  bntui replay covariate-shift                       live in the TUI
"""


def add_replay_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``replay`` and ``demos`` on the main parser's subparsers."""
    replay = sub.add_parser(
        "replay",
        help="play a lesson script (TOML) live or headless",
        description="Play a lesson script: live in the TUI, or headless with a report.",
        epilog=REPLAY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument("script", help="a .toml script or the name of a bundled lesson")
    g = replay.add_argument_group("replay")
    g.add_argument("--headless", action="store_true", help="no screen: run fast, check, report")
    g.add_argument("--out", metavar="DIR", help="headless: write metrics, events and report.md")
    g.add_argument("--metrics", metavar="FILE", help="also write step records (.jsonl or .csv)")
    g.add_argument("--save-model", metavar="FILE.npz", help="write the trained weights")
    g.add_argument("--force", action="store_true", help="overwrite existing output files")
    g.add_argument(
        "--speed",
        type=float,
        metavar="STEPS/S",
        help=f"live: training steps per second (default: the lesson takes ~{LIVE_MINUTES:g} min)",
    )
    g.add_argument("--quiet", action="store_true", help="headless: print only the verdict")
    add_tui_flags(replay)
    add_config_flags(replay)  # --steps N (a Config field) caps the lesson
    sub.add_parser(
        "demos", help="list the bundled lessons", description="List the bundled lessons."
    )
