"""At a past step every history panel draws the whole recorded run with a cursor.

Synthetic Frames (tests/tui/synthetic.py): the session stands at step 300 of a recorded
run of 2,000 steps whose BN was turned off at 1,500; ``past`` is that whole run. The loss
and percentile charts draw a line at 300, the text histories (drift sparklines, small
band charts, |∇W| areas, view 6's ICS bars and smoothness sparklines) the cursor's cell in
reverse video; the numbers beside them are step 300's.
"""

from __future__ import annotations

from synthetic import StillRunner, Story, commands

from bntui.live.frame import Needs
from bntui.training.config import Config
from bntui.training.timeline import Travel
from bntui.tui.app import BntuiApp
from bntui.tui.panels.layer_rows import DriftPanel, GradPanel
from bntui.tui.travel import CURSOR_STYLE

CONFIG = Config(ics_every=10, smooth_every=20)  # spiral, 4×32 ReLU, BN on; view 6 measured
AT, NEWEST, CHANGE = 300, 2000, 1500


def past_app() -> BntuiApp:
    final, events = commands(CONFIG, [(CHANGE, "bn toggle")])
    whole = Story(CONFIG, NEWEST, events, final=final, ics=True)
    now = Story(CONFIG, AT, [], ics=True)  # the session as it stands at 300
    travel = Travel(AT, NEWEST, True, (CHANGE,))
    return BntuiApp(StillRunner(now, travel=travel, past=whole))


def before(*keys: str):
    async def run(pilot) -> None:
        await pilot.press(*keys)
        await pilot.pause()
        pilot.app.painter.forget()
        pilot.app.pull()
        await pilot.pause()

    return run


def test_past_step_main_80x24(snap_compare) -> None:
    assert snap_compare(past_app(), terminal_size=(80, 24), run_before=before())


def test_past_step_main_160x48(snap_compare) -> None:
    """Tall: the drift panel's small band charts and the |∇W| history rows."""
    assert snap_compare(past_app(), terminal_size=(160, 48), run_before=before())


def test_past_step_diag_view_80x24(snap_compare) -> None:
    assert snap_compare(past_app(), terminal_size=(80, 24), run_before=before("6"))


def _reversed(text) -> int:
    """Cells of a panel's Text drawn in the cursor's style."""
    return sum(
        span.end - span.start
        for span in text.spans
        if span.style == CURSOR_STYLE or getattr(span.style, CURSOR_STYLE, False)
    )


async def test_the_histories_hold_the_whole_run_and_one_cursor_cell_each() -> None:
    app = past_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        frame = app.runner.frame(Needs(loss_points=80, spark_points=20, grad_points=40))
        # the drawn series run to the recorded end; the numbers are step 300's
        assert frame.loss["loss"].step[-1] == NEWEST
        last_stats = NEWEST - NEWEST % CONFIG.stats_every  # 1,980
        assert frame.layers[0].spark["mean"].step[-1] == last_stats
        assert frame.layers[0].grad.step[-1] == last_stats
        assert frame.stats_step == AT  # (statistics every 30 steps: 300 is one)
        drift = app.main_screen.query_one(DriftPanel)
        grad = app.main_screen.query_one(GradPanel)
        drift_text, grad_text = drift.render(), grad.render()
        depth = CONFIG.depth
        assert _reversed(drift_text) >= 2 * depth  # μ and σ of every layer at least
        assert _reversed(grad_text) >= depth  # one |∇W| history column per layer
