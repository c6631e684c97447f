"""A lesson caption's ``view`` and ``layer`` (``Script.shows``): the app switches as the keys
1–6 and ↑/↓ would when the caption appears, so a fresh app (a slide, a screenshot) shows
what the live screen shows; view 6 prints the ICS window means a caption quotes."""

from __future__ import annotations

import asyncio

from synthetic import StillRunner, Story, commands

from bntui.live.frame import ICS_WINDOW
from bntui.training.config import Config
from bntui.tui.app import BntuiApp

CONFIG = Config(ics_every=10, smooth_every=20)
SCRIPT = ((40, "caption First, the main view."), (120, "caption Now the ICS view, layer 2."))
SHOWS = {"Now the ICS view, layer 2.": (6, 2), "First, the main view.": (None, None)}


def _app(steps: int, shows=SHOWS, compare: bool = False) -> BntuiApp:
    final, events = commands(CONFIG, [s for s in SCRIPT if s[0] <= steps])
    story = Story(CONFIG, steps, events, final=final, ics=True)
    twin = labels = None
    if compare:
        plain = CONFIG.replace(bn=False)
        twin, labels = Story(plain, steps, [], final=plain, ics=True), ("bn", "plain")
    return BntuiApp(StillRunner(story, twin=twin, labels=labels), shows=shows)


def _run(app: BntuiApp, size=(80, 24)) -> str:
    out: list[str] = []

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            app.pull()
            await pilot.pause()
            app.pull()
            await pilot.pause()
            from screen_helpers import screen_text

            out.append(screen_text(app))

    asyncio.run(go())
    return out[0]


def test_the_caption_opens_its_view_and_selects_its_layer() -> None:
    app = _app(200)
    _run(app)
    assert app.view == "diag" and app.selected == 2 and not app.follow_last


def test_before_that_caption_the_screen_is_the_main_view() -> None:
    app = _app(100)
    _run(app)
    assert app.view == "main" and app.follow_last  # the last layer, as without a lesson


def test_without_shows_a_caption_leaves_the_screen_alone() -> None:
    app = _app(200, shows={})
    _run(app)
    assert app.view == "main" and app.selected == CONFIG.depth


def test_view_6_prints_the_window_means_of_both_twins() -> None:
    """The note's numbers are the means of the synthetic ICS over steps (200 - 500, 200]
    of layers 2…head (Story._diagnostics' formulas, computed here by hand)."""
    steps = 200
    app = _app(steps, compare=True)
    text = " ".join(_run(app, (100, 30)).replace("│", " ").split())
    first = max(steps - ICS_WINDOW, 0)
    ts = [t for t in range(first + 1, steps + 1) if t % CONFIG.ics_every == 0]
    for bn, label in ((True, "bn"), (False, "plain")):
        cos, l2 = [], []
        for t in ts:
            grow = t / (t + 100.0)
            for i in range(2, CONFIG.depth + 2):
                cos.append((0.97 if bn else 0.85) - 0.02 * i * grow)
                l2.append((0.5 + 0.2 * i) * (1.0 - 0.5 * grow) * (0.4 if bn else 1.0))
        c, d = sum(cos) / len(cos), sum(l2) / len(l2)
        assert f"{label} cos {c:.3f} ‖G − G′‖ {d:.3g}" in text, (label, c, d, text)
    assert f"steps {ts[0]}–{steps}" in text
    # BN's synthetic ICS is smaller by both measures: the registry's words say so
    assert "“‖G − G′‖ is smaller with BN”: this run agrees." in text
    assert "“cos∠(G, G′) is closer to 1 with BN”: this run agrees." in text
