"""The command line's grammar: every subcommand and flag of ``bntui``.

Every Config field is a flag here, generated from the dataclass: one place says what an
experiment is. Bad input ends in one line ``bntui: error: …`` and exit status 2.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import fields
from typing import NoReturn

from bntui.cli.about import version_text
from bntui.errors import BntuiError
from bntui.training.config import Config, field_type, load_config

EXAMPLES = """\
examples:
  bntui                                   live session: spiral, 4×32 ReLU, BN on
  bntui --activation sigmoid --depth 6 --no-bn
  bntui run --steps 2000                  headless run with a summary table
  bntui run --no-bn --metrics out.jsonl --do 500:"bn on"
  bntui run --data titanic.csv --target Survived --features Pclass,Sex,Age,Fare
  bntui data download mnist               then: bntui --dataset mnist
  bntui --resume-last                     go on with the last live session (autosaved)

experiment flags (--activation, --depth, --bn/--no-bn, --lr, --init, …, every setting)
are listed by `bntui tui --help` (live) and `bntui run --help` (headless); the live
pace (--speed STEPS/S or max, default 50) by `bntui tui --help`.
"""

DATA_EXAMPLES = """examples:
  bntui data download mnist        4 files, about 11.6 MB, SHA-256 checked, into the cache
  bntui data download fashion-mnist
  bntui data path                  where the cache is (e.g. ~/.cache/bntui/datasets)
  bntui --dataset mnist            then train on it, offline
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
            # --compare alone means "compare bn" (a twin with BN flipped)
            extra = {"nargs": "?", "const": "bn"} if f.name == "compare" else {}
            g.add_argument(
                flag,
                default=argparse.SUPPRESS,
                help=help_text,
                metavar=meta.get("metavar") or f.name.upper(),
                **extra,
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
    given = given_flags(args)
    if {"steps", "epochs"} <= given.keys():
        raise UsageError("give --steps or --epochs, not both")
    length = {"steps", "epochs"} & given.keys()  # a flag's run length replaces the file's
    values = {k: v for k, v in base.to_dict().items() if not length or k not in ("steps", "epochs")}
    values |= given
    from bntui.training.memory import check_memory

    return check_memory(Config.from_dict(values, where="command line"))


def parse_do(items: list[str] | None) -> list[tuple[int, str]]:
    """``--do 500:"bn on"`` → [(500, "bn on")], checked and sorted by step."""
    from bntui.training.commands import parse

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
        description="A live session in the terminal: train and watch; keys change the "
        "experiment (b BN, a activation, < > pace, e explains the panels, ? help).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_tui_flags(tui)
    tui.add_argument(
        "--speed",
        type=parse_speed,
        default=LIVE_PACE,
        metavar="STEPS/S",
        help=f"training pace in steps per second, or max (default {LIVE_PACE:g}; "
        "keys < > halve/double it)",
    )
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
        description="Train without a screen (unpaced), then print a summary: the final "
        "state, every layer's statistics and, for each --do command, the numbers just "
        "before and after it.",
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
    add_lang_flag(run)
    add_config_flags(run)

    raw = argparse.RawDescriptionHelpFormatter
    data = sub.add_parser(
        "data",
        help="datasets: download MNIST-family files",
        description="Datasets beyond the built-in 2-D sets: download MNIST or "
        "Fashion-MNIST once, then use them offline.",
        epilog=DATA_EXAMPLES,
        formatter_class=raw,
    )
    dsub = data.add_subparsers(dest="data_cmd", metavar="{download,path}")
    dl = dsub.add_parser(
        "download",
        help="fetch mnist or fashion-mnist into the user cache",
        description=textwrap.fill(
            "Fetch the four official .gz files (about 11.6 MB for mnist, 30.9 MB for "
            "fashion-mnist) into the user cache (`bntui data path`); each file's SHA-256 "
            "is checked against the published value before it is kept, so the cache "
            "never holds a partial or wrong file.",
            78,
        ),
        epilog=DATA_EXAMPLES,
        formatter_class=raw,
    )
    dl.add_argument("name", choices=("mnist", "fashion-mnist"))
    dsub.add_parser(
        "path",
        help="print the dataset cache directory",
        description="Print the dataset cache directory (created by `bntui data download`).",
        epilog=DATA_EXAMPLES,
        formatter_class=raw,
    )

    add_replay_parsers(sub)
    from bntui.cli import serve
    from bntui.cli import sweep as experiments_cli

    experiments_cli.add_parsers(sub, add_config_flags=add_config_flags)
    serve.add_parser(sub)
    return p


def add_lang_flag(p: argparse.ArgumentParser) -> None:
    """``--lang en|ko``: the interface language (a display setting, not part of Config:
    metrics, scripts and reports stay byte-identical whatever the language)."""
    from bntui.i18n import LANGUAGES

    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="interface language (default: from LC_ALL / LC_MESSAGES / LANG)",
    )


LIVE_PACE = 50.0  # steps/s of a live session: a stuck net stays visibly stuck for minutes


def parse_speed(text: str) -> float | None:
    """``--speed``: a positive number of steps per second, or ``max`` (None: unpaced)."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expects steps per second (e.g. 50) or max, got {text!r}"
        ) from None
    if not 0 < value <= 1_000_000:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of steps per second up to 1000000, got {text!r}"
        )
    return value


def add_tui_flags(p: argparse.ArgumentParser) -> None:
    add_lang_flag(p)
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
  bntui replay sigmoid-vanishing --headless --branch-at 300 --do "bn on" --out out/
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
        type=parse_speed,
        default=False,  # False: not given (None is max)
        metavar="STEPS/S",
        help=f"live: training steps per second, or max (default: the lesson takes "
        f"~{LIVE_MINUTES:g} min; keys < > halve/double it)",
    )
    g.add_argument("--quiet", action="store_true", help="headless: print only the verdict")
    g.add_argument(
        "--answers",
        metavar="N,N,…",
        help="headless: answer the lesson's questions, one choice number each (e.g. 1,3,2)",
    )
    g.add_argument(
        "--no-questions", action="store_true", help="live: play the lesson without its questions"
    )
    g.add_argument(
        "--slides",
        metavar="DIR",
        help="headless: one SVG per caption and DIR/index.html (a slide show for a projector)",
    )
    g.add_argument(
        "--branch-at",
        type=int,
        metavar="STEP",
        help="headless: at STEP, run two futures in lockstep: the lesson's own (twin "
        '"recorded") and one with --do CMD instead (twin "branch"); both in DIR/metrics.jsonl',
    )
    g.add_argument(
        "--do",
        action="append",
        metavar="CMD",
        help="with --branch-at: the command(s) the branch starts with (repeatable)",
    )
    add_tui_flags(replay)
    add_config_flags(replay)  # --steps N (a Config field) caps the lesson
    demos = sub.add_parser(
        "demos",
        help="list the bundled lessons",
        description="List the bundled lessons: name, title, steps and what each shows.",
        epilog=REPLAY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_lang_flag(demos)
