"""While training, one main-view panel is redrawn per frame, in turn; a key redraws all.

Each repainted panel is resent whole to the terminal, so this is what keeps an 80x24
session near 5 KiB/s at 2 fps (bench part 5).
"""

from __future__ import annotations

PANELS = ("#loss", "#drift", "#grads", "#bands")


def _record_shows(app) -> list[str]:
    calls: list[str] = []
    for sel in PANELS:
        widget = app.main_screen.query_one(sel)
        orig = widget.show

        def show(*args, _orig=orig, _sel=sel, **kwargs):
            calls.append(_sel)
            return _orig(*args, **kwargs)

        widget.show = show
    return calls


async def test_training_frames_redraw_one_panel_each_in_turn(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        app.pull()
        await pilot.pause()
        calls = _record_shows(app)
        app.threaded = True  # the rotation is for an app whose worker trains
        for _ in range(4):
            app.runner.step(5)
            app.pull()
        assert sorted(calls) == sorted(PANELS)  # four frames: every panel exactly once
        newest = calls[-1]  # the only panel drawn on the newest data
        calls.clear()
        for _ in range(3):  # no new steps: the three panels drawn on older data catch up
            app.pull()
        assert sorted(calls) == sorted(set(PANELS) - {newest})
        calls.clear()
        app.pull()  # nothing new and nothing stale: no panel
        assert calls == []
        app.runner.step(5)
        app.pull()
        assert len(calls) == 1


async def test_paused_panels_catch_up_then_stop(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        app.pull()
        await pilot.pause()
        calls = _record_shows(app)
        app.threaded = True
        app.runner.step(5)
        for _ in range(6):  # no new steps after the first: the stale panels catch up
            app.pull()
        assert sorted(calls) == sorted(PANELS)


async def test_a_key_redraws_every_panel_at_once(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        app.pull()
        await pilot.pause()
        calls = _record_shows(app)
        app.threaded = True
        await pilot.press("up")  # another layer selected: the user must see it now
        assert sorted(calls) == sorted(PANELS)
