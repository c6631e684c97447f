"""The BN internals view (key 5) in the app: what it shows at odd moments and per norm."""

from __future__ import annotations

import pytest

from bntui.training.config import Config
from bntui.tui.app import BntuiApp

SMALL = Config(samples=300, depth=3, width=16, seed=0, batch_size=8)


def shown(app: BntuiApp) -> str:
    return str(app.query_one("#internals").render())


async def test_before_a_step_then_after_and_following_the_layer() -> None:
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await pilot.pause()
        assert app.view == "internals"
        assert "no training step yet" in shown(app)
        await pilot.press("n")
        await pilot.pause()
        text = shown(app)
        assert "μ_B" in text and "run σ" in text and "gap" in text
        assert "L3" in app.query_one("#internals").border_title
        await pilot.press("up")
        await pilot.pause()
        assert "L2" in app.query_one("#internals").border_title


@pytest.mark.parametrize(("keys", "words"), [
    (("N",), "LN normalizes each sample"),  # bn -> ln
    (("b",), "no normalization"),  # bn off
])  # fmt: skip
async def test_norms_without_batch_statistics_explain(keys, words) -> None:
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(5)
        await pilot.press(*keys, "5")
        await pilot.pause()
        text = shown(app)
        assert words in text and "does not apply" in text
        assert "norm bn" in text  # what to do to see it


async def test_ascii_depth_zero_and_a_diverged_net() -> None:
    app = BntuiApp(SMALL, threaded=False, ascii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(3)
        await pilot.press("5")
        await pilot.pause()
        assert shown(app).isascii() and str(app.query_one("#internals").border_title).isascii()
        await pilot.press("colon", *"lr 1e9", "enter")
        app.runner.step(5)
        app.pull()
        await pilot.pause()
        assert shown(app).isascii()
        await pilot.press("colon", *"depth 0", "enter")
        await pilot.pause()
        assert "depth 0" in shown(app)


async def test_norm_none_reads_as_bn_off_everywhere() -> None:
    """`--norm none` leaves the bn key on: the screen must still say there is no BN."""
    app = BntuiApp(SMALL.replace(norm="none"), threaded=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.runner.step(40)
        app.pull()
        await pilot.pause()
        status = str(app.query_one("#status").render())
        assert "BN:off" in status and "BN:on" not in status
        drift = app.query_one("#drift")
        assert str(drift.border_title).endswith("BN off") and drift.has_class("bn-off")
        assert str(app.query_one("#bands").border_subtitle).startswith("no BN")


@pytest.mark.parametrize(("norm", "token", "sub"), [
    ("ln", "norm:LN", "pre-LN"),
    ("gn:2", "norm:GN:2", "pre-GN:2"),
    ("noisy-bn", "norm:noisy-BN", "pre-noisy-BN"),
])  # fmt: skip
async def test_status_drift_and_bands_name_the_norm(norm, token, sub) -> None:
    app = BntuiApp(SMALL.replace(norm=norm), threaded=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.runner.step(40)
        app.pull()
        await pilot.pause()
        assert token in str(app.query_one("#status").render())
        assert "BN:" not in str(app.query_one("#status").render())
        label = token.removeprefix("norm:").replace("-", " ")
        assert str(app.query_one("#drift").border_title).endswith(label)
        assert str(app.query_one("#bands").border_subtitle).startswith(sub)
