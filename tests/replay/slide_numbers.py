"""Does each caption quote only numbers its slide shows? Helpers for test_caption_numbers.

``lesson_slides(name, seed)`` plays a bundled lesson headless and, at each caption (right
after its event applied, as ``--slides`` does), draws the app's screen as plain text.
``unshown(values, screen)`` lists the quoted values no number on that screen equals at
the precision the screen prints it. Run as a script (``python slide_numbers.py SEED
[LESSON…]``) it prints every miss and exits 1: the test runs it under another OpenBLAS
kernel that way (the variable must be set before NumPy loads).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import re
import sys
from pathlib import Path

NUMBER = re.compile(r"(?<![\d.])([-+]?)(\d[\d,]*(?:\.\d+)?)(?:e([-+]?\d+))?(%?)")
SLIDE_SIZE = (100, 30)  # bntui.cli.replay.draw_svg's


@dataclasses.dataclass(frozen=True)
class Shown:
    value: float
    unit: float  # the value of one step of the last printed digit
    percent: bool
    integer: bool  # printed without a decimal point, exponent or % (axis ticks, steps)


def screen_numbers(text: str) -> list[Shown]:
    """Every number printed on the screen, with its printed precision."""
    out = []
    for m in NUMBER.finditer(text.replace("−", "-")):
        body, exp, pct = m.group(2).replace(",", ""), m.group(3), m.group(4)
        sign = -1.0 if m.group(1) == "-" else 1.0
        decimals = len(body.split(".")[1]) if "." in body else 0
        scale = 10.0 ** int(exp) if exp else 1.0
        if pct:
            scale /= 100
        value = sign * float(body) * scale
        out.append(Shown(value, 10.0**-decimals * scale, bool(pct), not (exp or pct or decimals)))
    return out


def on_screen(value: float, shown: list[Shown]) -> bool:
    """True when some printed number equals ``value`` at its printed precision (a bare
    integer such as an axis tick only matches a whole value: the step, an epoch; a printed
    zero only zero, unless it is a percentage: "0%" of dead units)."""
    for s in shown:
        if s.integer and value != int(value):
            continue
        if s.value == 0 and not s.percent and value != 0:
            continue  # an axis tick "0.0" is not a small value printed
        if abs(value - s.value) <= 0.5 * s.unit * (1 + 1e-9) + 1e-12:
            return True
    return False


def claim_on_screen(name: str, value: float | None, screen: str) -> bool:
    """A caption's ``{claim:ID:run}`` (``name`` = "claim:ID:run", ``value`` its outcome):
    view 6 prints the same word after the claim's words, "…”: this run agrees."."""
    from bntui.experiments.claims import claim, run_word

    if value is None:
        return False
    c = claim(name.split(":")[1])
    said = c.text("en").partition(": ")[2] or c.text("en")
    flat = " ".join(re.sub(r"[│┃╭╮╰╯]", " ", screen).split())  # wrapped lines joined
    return f"“{said}”: this run {run_word(int(value))}." in flat


def unshown(values: tuple[tuple[str, float | None], ...], screen: str) -> list[str]:
    """The names whose quoted value the screen does not show (or that had no value); a
    claim's word (``claim:ID:run``) must be the word view 6 prints for that claim."""
    shown = screen_numbers(screen)
    bad = []
    for name, value in values:
        if name.startswith("claim:"):
            if not claim_on_screen(name, value, screen):
                bad.append(f"{name}={value}")
            continue
        if value is None or not math.isfinite(value) or not on_screen(value, shown):
            bad.append(f"{name}={value}")
    return bad


def lesson_slides(name: str, seed: int, size: tuple[int, int] = SLIDE_SIZE) -> list[tuple]:
    """[(event, filled caption, values, screen text)] for every caption of the lesson."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))
    from screen_helpers import screen_text

    from bntui.live.runner import Runner
    from bntui.replay.headless import run_script
    from bntui.replay.script import load_script
    from bntui.tui.app import BntuiApp

    script = load_script(name)
    script = dataclasses.replace(script, config=script.config.replace(seed=seed))
    out = []

    def draw(session, event, texts) -> None:
        screens: list[str] = []

        async def shoot() -> None:
            app = BntuiApp(
                Runner(session, threaded=False), captions=script.captions_ko, shows=script.shows
            )
            async with app.run_test(size=size) as pilot:
                app.pull()
                await pilot.pause()
                app.painter.forget()  # as draw_svg: every panel at its settled size
                app.pull()
                await pilot.pause()
                screens.append(screen_text(app))

        asyncio.run(shoot())
        caption_event = next(e for e in reversed(_events(session)) if e.kind == "caption")
        out.append((event, texts[0], caption_event.values, screens[0]))

    run_script(script, on_slide=draw, keep_records=False)
    return out


def _events(session) -> list:
    return session.session.events if hasattr(session, "session") else session.events


def misses(name: str, seed: int, size: tuple[int, int] = SLIDE_SIZE) -> list[str]:
    """One line per caption quoting a number its slide (or a ``size`` screen) does not show."""
    lines = []
    for event, caption, values, screen in lesson_slides(name, seed, size):
        bad = unshown(values, screen)
        if "—" in caption:
            bad.append("a field without a value (—)")
        if bad:
            lines.append(f"{name} seed {seed} event {event.index} (at {event.at}): {bad}")
    return lines


if __name__ == "__main__":
    from bntui.replay.script import lesson_names

    seed = int(sys.argv[1])
    size = SLIDE_SIZE
    if len(sys.argv) > 2 and "x" in sys.argv[2]:  # 80x24: the live screen's smallest size
        size = tuple(int(v) for v in sys.argv.pop(2).split("x"))  # type: ignore[assignment]
    names = sys.argv[2:] or lesson_names()
    found = [line for n in names for line in misses(n, seed, size)]
    print("\n".join(found) or "ok")
    sys.exit(1 if found else 0)
