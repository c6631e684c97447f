"""The ``bntui replay`` and ``bntui demos`` subcommands.

``bntui replay SCRIPT --headless --out DIR`` plays a lesson as fast as possible and writes
metrics.jsonl, events.jsonl and report.md (exit status 1 when an ``expect`` fails);
without ``--headless`` it plays the lesson live in the TUI. SCRIPT is a .toml file or the
name of a bundled lesson (``bntui demos`` lists them). Flags for Config fields override
the script's ``[config]``; ``--steps N`` caps the lesson (later events are skipped).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from bntui.config import Config

LIVE_MINUTES = 3.0  # the default --speed plays a lesson in about this long

EXAMPLES = """\
examples:
  bntui demos                                        list the bundled lessons
  bntui replay sigmoid-vanishing --headless --out out/
  bntui replay lesson.toml --headless --steps 500 --metrics m.csv
  bntui replay covariate-shift                       live in the TUI
"""


def add_parsers(sub, *, add_config_flags: Callable, add_tui_flags: Callable) -> None:
    """Register ``replay`` and ``demos`` on the main parser's subparsers."""
    replay = sub.add_parser(
        "replay",
        help="play a lesson script (TOML) live or headless",
        description="Play a lesson script: live in the TUI, or headless with a report.",
        epilog=EXAMPLES,
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


def dispatch(args: argparse.Namespace) -> int:
    """Run ``replay`` or ``demos``; returns the exit status."""
    if args.cmd == "demos":
        return cmd_demos()
    return cmd_replay(args)


def cmd_demos() -> int:
    from rich.console import Console
    from rich.table import Table

    from bntui.replay.script import lesson_names, load_script

    table = Table(title="bundled lessons (bntui replay NAME)", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("title")
    table.add_column("steps", justify="right")
    table.add_column("what it shows")
    for name in lesson_names():
        script = load_script(name)
        first = script.description.split(". ")[0].split("\n")[0].rstrip(".")
        table.add_row(name, script.title, f"{script.config.steps:,}", first)
    Console().print(table)
    return 0


def script_with_overrides(args: argparse.Namespace):
    """Load SCRIPT and apply ``--config FILE`` and config flags; returns (script, step cap)."""
    import dataclasses

    from bntui.config import load_toml
    from bntui.replay.script import load_script

    script = load_script(args.script)
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)}
    cap = given.pop("steps", None)
    values = script.config.to_dict()
    if getattr(args, "config", None):
        doc = load_toml(args.config)
        table = doc.get("config", doc)
        values |= {k: v for k, v in table.items() if k != "steps"}
    if "data" in given and "dataset" not in given:
        given["dataset"] = "file"
    values |= given
    if values != script.config.to_dict():
        config = Config.from_dict(values, where="command line")
        script = dataclasses.replace(script, config=config)
    from bntui.config import check_memory

    check_memory(script.config)
    steps = None
    if cap is not None:
        from bntui.config import coerce

        steps = coerce("steps", cap)
        if steps < 0:
            from bntui.cli import UsageError

            raise UsageError(f"--steps must be >= 0, got {steps}")
    return script, steps


def cmd_replay(args: argparse.Namespace) -> int:
    from bntui.cli import UsageError

    if not args.headless:
        for flag in ("out", "metrics", "save_model"):
            if getattr(args, flag):
                name = "--" + flag.replace("_", "-")
                raise UsageError(f"{name} needs --headless (live replays write no files yet)")
    script, steps = script_with_overrides(args)
    if args.headless:
        from bntui.signals import interrupts

        with interrupts():  # SIGTERM/SIGHUP: the ctrl+c path
            return replay_headless(args, script, steps)
    return replay_live(args, script, steps)


def replay_headless(args: argparse.Namespace, script, steps: int | None) -> int:
    from bntui.cli import model_arrays
    from bntui.export import ExportError, check_target, open_metrics, save_model
    from bntui.replay.headless import run_script, write_outputs

    # refuse to overwrite before training, not after
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: exists and is not a directory")
        for name in ("metrics.jsonl", "events.jsonl", "report.md"):
            if (out / name).exists():
                check_target(out / name, force=args.force)
    if args.save_model:
        check_target(args.save_model, force=args.force)
    if out is not None:
        from bntui.replay.script import check_screenshots

        check_screenshots(script, out)  # a lesson never replaces a file
        try:
            out.mkdir(parents=True, exist_ok=True)  # screenshots are written while playing
        except OSError as exc:
            raise ExportError(f"{out}: cannot create ({exc.strerror or exc})") from None
    from bntui.replay.window import tee

    started = time.perf_counter()
    lesson_metrics = out / "metrics.jsonl" if out is not None else None
    with (
        open_metrics(args.metrics, force=args.force) as writer,
        open_metrics(lesson_metrics, force=args.force) as streamed,  # rows as they come
    ):
        result = run_script(
            script,
            steps=steps,
            on_record=tee(writer, streamed),
            screenshot_dir=out,
            keep_records=False,  # flat memory: only what the checks need is kept
        )
    elapsed = time.perf_counter() - started
    if out is not None:
        write_outputs(result, out, force=args.force, metrics_written=True)
    if args.save_model:
        save_model(args.save_model, model_arrays(result.session), force=args.force)
    print_result(result, elapsed, out=out, quiet=args.quiet)
    return 0 if result.passed else 1


def print_result(result, elapsed: float, *, out: Path | None, quiet: bool) -> None:
    """The verdict (and, unless quiet, captions and checks) on stdout."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bntui.replay.headless import _fmt

    console = Console()
    n = result.session.step_count
    if not quiet:
        console.print(f"[bold]{escape(result.script.title)}[/]  ({escape(result.script.source)})")
        for event in result.script.events:
            if event.caption and event not in result.skipped:
                console.print(f"  {event.at:>6,}  {escape(event.caption)}")
        if result.checks:
            t = Table(title="checks", title_justify="left")
            for col in ("event", "step", "check", "measured", "result"):
                t.add_column(col, justify="right" if col in ("step", "measured") else "left")
            for c in result.checks:
                verdict = "[green]pass[/]" if c.passed else "[bold red]FAIL[/]"
                note = f" ({c.note})" if c.note else ""
                t.add_row(
                    str(c.event.index),
                    f"{c.event.at:,}",
                    escape(str(c.check)),
                    _fmt(c.measured),
                    verdict + escape(note),
                )
            console.print(t)
        for note in result.notes:
            console.print(f"note: {escape(note)}")
    passed = sum(c.passed for c in result.checks)
    rate = n / max(elapsed, 1e-9)
    verdict = "ok" if result.passed else "FAILED"
    where = f"; report in {out / 'report.md'}" if out is not None else ""
    console.print(
        f"{verdict}: {passed}/{len(result.checks)} checks passed, {n:,} steps "
        f"({rate:,.0f} steps/s){escape(where)}",
        highlight=False,
    )


def replay_live(args: argparse.Namespace, script, steps: int | None) -> int:
    """Play the lesson in the TUI: the app's Runner gets the schedule and a steady pace."""
    from bntui.cli import UsageError
    from bntui.replay.headless import tui_available

    if not tui_available():
        raise UsageError("live replay needs the TUI, which is not available yet; use --headless")
    total = script.config.steps if steps is None else min(steps, script.config.steps)
    speed = args.speed if args.speed is not None else max(1.0, total / (LIVE_MINUTES * 60))
    if not 0 < speed <= 1_000_000:
        raise UsageError(f"--speed must be a positive number of steps per second, got {speed:g}")
    if not 1 <= args.fps <= 30:
        raise UsageError(f"--fps must be in 1..30, got {args.fps:g}")
    if getattr(args, "record", None):
        from bntui.export import check_target

        check_target(args.record, force=args.force)  # at start, not when saving
    from bntui.terminal import TerminalError, require_terminal

    try:
        require_terminal()  # piped output or TERM=dumb: no live view (textual-serve is fine)
    except TerminalError as exc:
        hint = "use `bntui run` for headless runs"
        message = str(exc).replace(hint, "add --headless to play it without a screen")
        raise UsageError(message) from None
    from bntui.tui.app import exit_status

    app = live_app(script, total, speed, args)
    return exit_status(app, app.run())


def live_app(script, total: int, speed: float, args: argparse.Namespace):
    """A BntuiApp playing the script: schedule, pace, step limit and `pause` holds set.

    In the app → skips to the next event, ← restarts the lesson, space pauses, and any
    experiment key takes over (the rest of the schedule is dropped; see BntuiApp).
    """
    from bntui.tui.app import BntuiApp

    return BntuiApp(
        script.config,
        fps=args.fps,
        ascii=bool(getattr(args, "ascii", False)),
        threaded=True,
        paused=bool(getattr(args, "paused", False)),
        record=getattr(args, "record", None),
        schedule=script.schedule(total),  # applied at step boundaries, in order
        steps_per_second=speed,
        max_steps=total,
        holds=live_holds(script, total),
    )


def live_holds(script, total: int) -> dict[tuple[int, str], float]:
    """(step, last command of the event) -> seconds to hold still after it (``pause = N``)."""
    return {
        (e.at, e.commands()[-1]): e.pause
        for e in script.events
        if e.pause and e.commands() and e.at <= total
    }


if __name__ == "__main__":  # pragma: no cover
    from bntui.cli import main

    sys.exit(main(["replay", *sys.argv[1:]]))
