"""One frame, one moment: while training, the main-view panels are redrawn together from
one Frame (every panel on the same step), at most every ``Painter.period()`` seconds so the
bytes sent stay within 8 KiB/s at 80x24 and 24 KiB/s at 200x60; a key redraws all at once.
"""

from __future__ import annotations

from bntui.tui.painter import Painter

PANELS = ("#loss", "#drift", "#grads", "#bands")


def _record_shows(app) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    for sel in PANELS:
        widget = app.main_screen.query_one(sel)
        orig = widget.show

        def show(frame, *args, _orig=orig, _sel=sel, **kwargs):
            calls.append((_sel, frame.step))
            return _orig(frame, *args, **kwargs)

        widget.show = show
    return calls


def _period_over(app) -> None:
    app.painter._drawn_at -= 3600.0  # as if the redraw period had passed


async def test_training_frames_redraw_every_panel_on_one_step(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        app.pull()
        await pilot.pause()
        calls = _record_shows(app)
        app.threaded = True  # the period is for an app whose worker trains
        app.runner.step(5)
        app.pull()  # within the period: nothing redrawn
        assert calls == []
        _period_over(app)
        app.pull()
        assert sorted(c[0] for c in calls) == sorted(PANELS)
        assert {c[1] for c in calls} == {35}  # every panel of the frame on the same step
        assert "step:35" in str(app.query_one("#status").render())  # and the status line
        calls.clear()
        _period_over(app)
        app.pull()  # nothing new: no panel
        assert calls == []
        app.runner.step(5)
        _period_over(app)
        app.pull()
        assert sorted(c[0] for c in calls) == sorted(PANELS) and {c[1] for c in calls} == {40}


async def test_a_key_redraws_every_panel_at_once(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        app.pull()
        await pilot.pause()
        calls = _record_shows(app)
        app.threaded = True
        await pilot.press("up")  # another layer selected: the user must see it now
        assert sorted(c[0] for c in calls) == sorted(PANELS)


class _Size:
    def __init__(self, w: int, h: int, fps: float = 2.0) -> None:
        self.size = (w, h)
        self.fps = fps


def test_redraw_period_follows_the_byte_budget() -> None:
    small = Painter(_Size(80, 24)).period()  # type: ignore[arg-type]
    large = Painter(_Size(200, 60)).period()  # type: ignore[arg-type]
    # bytes per second = cells * BYTES_PER_CELL / period, within 8 and 24 KiB/s
    from bntui.tui.painter import BYTES_PER_CELL

    assert 80 * 24 * BYTES_PER_CELL / small <= 8 * 1024
    assert 200 * 60 * BYTES_PER_CELL / large <= 24 * 1024
    assert small >= 0.5 and large > small  # never faster than a frame at 2 fps
    assert Painter(_Size(80, 24, fps=1)).period() >= 1.0  # type: ignore[arg-type]
