"""< and > halve/double the live pace; the status line shows it; e opens the legend."""

from __future__ import annotations

from bntui.tui.screens.legend import LegendScreen


async def test_slower_faster_and_the_status_line(make_app) -> None:
    app = make_app(steps_per_second=50)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "pace:50/s" in str(app.query_one("#status").render())
        await pilot.press("less_than_sign")
        assert app.runner.steps_per_second == 25
        assert "pace:25/s" in str(app.query_one("#status").render())
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert app.runner.steps_per_second == 100
        for _ in range(11):  # 100 · 2^10 = 102400 > MAX_PACE: max
            await pilot.press("greater_than_sign")
        assert app.runner.steps_per_second is None
        assert "pace:max" in str(app.query_one("#status").render())
        await pilot.press("greater_than_sign")
        assert "already at full speed" in app.query_one("#message").text


async def test_slowest_pace_is_one_step_per_second(make_app) -> None:
    app = make_app(steps_per_second=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("less_than_sign")
        assert app.runner.steps_per_second == 1
        assert "slowest pace" in app.query_one("#message").text


async def test_e_opens_and_closes_the_legend(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, LegendScreen)
        await pilot.press("e")
        assert not isinstance(app.screen, LegendScreen)


async def test_footer_at_80_columns_shows_q_help_and_explain(make_app) -> None:
    from textual.widgets import Footer

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = [k for k in footer.query("FooterKey")]
        shown = [k.key_display for k in keys]
        right = max(k.region.right for k in keys)
        assert {"q", "?", "e", "b", "<", ">"} <= set(shown), shown
        assert right <= 80  # nothing cut off
