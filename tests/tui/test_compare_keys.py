"""The c key and view 6 in a synchronous app; --compare on the live app's command line."""

from __future__ import annotations

from bntui.cli.parser import build_parser, config_from_args
from bntui.live.frame import Needs
from bntui.training.config import Config
from bntui.tui.app import BntuiApp

SMALL = Config(samples=300, depth=3, width=16, seed=0, ics_every=2)


async def test_c_toggles_compare_mode_and_6_shows_the_diagnostics() -> None:
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        assert app.runner.pair.labels == ("bn", "plain")
        app.runner.step(6)
        await pilot.press("6")
        await pilot.pause()
        assert app.view == "diag"
        shown = str(app.main_screen.query_one("#diag").render())
        assert "× plain" in shown and "L4 (head)" in shown and "Santurkar" in shown
        frame = app.runner.frame(Needs())
        assert frame.twin is not None and frame.twin.step == frame.step == 6
        await pilot.press("b")  # every command applies to both: BN flips in both twins
        assert [s.config.bn for s in app.runner.pair.sessions] == [False, True]
        assert app.runner.pair.labels == ("plain", "bn")
        await pilot.press("c")
        assert app.runner.pair.twin is None
        assert [c for _, c in app.runner.session.log] == ["compare on", "bn toggle", "compare off"]


async def test_c_then_n_names_what_each_twin_really_is() -> None:
    # issue 20: `norm:GN:4 ⇄ •bn ×bn` — the labels must name each twin's normalization
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "N", "N")
        app.runner.step(2)
        app.pull()
        await pilot.pause()
        status = str(app.main_screen.query_one("#status").render())
        assert "norm:GN:4 ⇄ •gn:4 ×plain" in status
        assert [s.config.normalization for s in app.runner.pair.sessions] == ["gn", "none"]
        drift = app.main_screen.query_one("#drift").border_title
        assert "• gn:4 × plain" in str(drift)


def test_compare_flag_of_the_live_app() -> None:
    parser = build_parser()
    assert config_from_args(parser.parse_args(["tui", "--compare"])).compare == "bn"
    args = parser.parse_args(["tui", "--compare", "lr=0.5", "--ics-every", "10"])
    config = config_from_args(args)
    assert (config.compare, config.ics_every) == ("lr=0.5", 10)
    assert config_from_args(parser.parse_args(["tui"])).compare is None
