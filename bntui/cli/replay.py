"""``bntui replay`` and ``bntui demos``: lessons headless (with their report) or live.

``bntui replay SCRIPT --headless --out DIR`` plays a lesson as fast as possible and writes
metrics.jsonl, events.jsonl and report.md (exit status 1 when an ``expect`` fails);
without ``--headless`` it plays the lesson live in the TUI. SCRIPT is a .toml file or the
name of a bundled lesson (``bntui demos`` lists them). Flags for Config fields override
the script's ``[config]``; ``--steps N`` caps the lesson (later events are skipped).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bntui.cli.parser import LIVE_MINUTES, UsageError, given_flags
from bntui.cli.run import model_arrays
from bntui.cli.tui import run_live
from bntui.config import Config
from bntui.replay.script import Script, ScriptEvent
from bntui.runner import Runner
from bntui.session import Session


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


def script_with_overrides(args: argparse.Namespace) -> tuple[Script, int | None]:
    """Load SCRIPT and apply ``--config FILE`` and config flags; returns (script, step cap)."""
    import dataclasses

    from bntui.config import load_toml
    from bntui.replay.script import load_script

    script = load_script(args.script)
    given = given_flags(args)
    cap = given.pop("steps", None)
    values = script.config.to_dict()
    if args.config:
        doc = load_toml(args.config)
        table = doc.get("config", doc)
        values |= {k: v for k, v in table.items() if k != "steps"}
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
            raise UsageError(f"--steps must be >= 0, got {steps}")
    return script, steps


def cmd_replay(args: argparse.Namespace) -> int:
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


def replay_headless(args: argparse.Namespace, script: Script, steps: int | None) -> int:
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
            render=render_screenshot,
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


def replay_live(args: argparse.Namespace, script: Script, steps: int | None) -> int:
    """Play the lesson in the TUI: the Runner gets the schedule and a steady pace."""
    total = script.config.steps if steps is None else min(steps, script.config.steps)
    speed = live_speed(args.speed, total)
    hint = "add --headless to play it without a screen"
    return run_live(lambda: live_runner(script, total, speed, args), args, hint)


MAX_SPEED = 1_000_000  # steps per second


def live_speed(given: float | None, total: int) -> float:
    """The pace of a live replay: ``--speed`` if given (checked), else about
    LIVE_MINUTES for the whole lesson, at most MAX_SPEED (a 10**9-step lesson too)."""
    if given is None:
        return min(max(1.0, total / (LIVE_MINUTES * 60)), MAX_SPEED)
    if not 0 < given <= MAX_SPEED:
        raise UsageError(f"--speed must be a positive number of steps per second, got {given:g}")
    return float(given)


def live_runner(script: Script, total: int, speed: float, args: argparse.Namespace) -> Runner:
    """A Runner playing the script: schedule, pace, step limit and `pause` holds set.

    In the app → skips to the next event, ← restarts the lesson, space pauses, and any
    experiment key takes over (the rest of the schedule is dropped; see BntuiApp).
    """
    return Runner(
        script.config,
        paused=args.paused,
        schedule=script.schedule(total),  # applied at step boundaries, in order
        steps_per_second=speed,
        max_steps=total,
        holds=live_holds(script, total),
    )


def render_screenshot(session: Session, script: Script, event: ScriptEvent, path: Path) -> str:
    """Draw the TUI over ``session`` as it is at ``event`` (after its commands) into
    ``path`` (SVG, 100×30): a synchronous app with a Pilot. Returns the report's status."""
    import asyncio

    from bntui.export import write_text
    from bntui.tui.app import BntuiApp

    async def shoot() -> None:
        app = BntuiApp(Runner(session, threaded=False))
        async with app.run_test(size=(100, 30)) as pilot:
            app.pull()  # redraw now, not at the next frame tick
            await pilot.pause()
            svg = app.export_screenshot(title=script.title)
            write_text(path, svg, force=False)  # a lesson never replaces a file

    try:
        asyncio.run(shoot())
    except Exception as exc:  # a screenshot must not take the lesson down: report it
        return f"failed: {type(exc).__name__}: {exc}"
    return "written"


def live_holds(script, total: int) -> dict[tuple[int, str], float]:
    """(step, last command of the event) -> seconds to hold still after it (``pause = N``)."""
    return {
        (e.at, e.commands()[-1]): e.pause
        for e in script.events
        if e.pause and e.commands() and e.at <= total
    }
