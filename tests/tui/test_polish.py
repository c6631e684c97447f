"""What a person sees: 7-bit --ascii, wide layouts, the too-small state, the status order."""

from __future__ import annotations

import itertools

import pytest
from screen_helpers import screen_text
from synthetic import Shape, StillRunner, Story

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.render import (
    ASCII_TEXT,
    SIGNED_SPARK,
    SIGNED_SPARK_ASCII,
    asciify,
    band_rows,
    braille_lines,
)

SMALL = Config(samples=300, depth=3, width=16, seed=0)


async def test_ascii_screens_are_seven_bit() -> None:
    app = BntuiApp(SMALL, threaded=False, ascii=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.runner.step(40)
        await pilot.press("b", "down")
        app.runner.step(40)
        for size in ((160, 48), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            for key in ("1", "2", "3", "4", "1"):
                await pilot.press(key)
                await pilot.pause()
                text = screen_text(app)
                bad = sorted({c for c in text if not c.isascii()})
                assert not bad, (size, key, bad)


def test_ascii_table_is_seven_bit_and_keeps_user_text() -> None:
    assert all(v.isascii() for v in ASCII_TEXT.values())
    assert asciify("μ σ · ÷ ┆ − →") == "mu sd - / | - ->"
    assert asciify("배치 정규화") == "배치 정규화"  # a caption stays readable


def test_band_rows_by_hand() -> None:
    # 0..4 over 4 rows (1 per row): band 0.5..2.5 covers rows 0-2, median 1.5 in row 1
    rows = band_rows([0.5], [1.5], [2.5], 0.0, 4.0, 4, ascii=True)
    assert rows == [" ", ":", "=", ":"]


def test_braille_lines_by_hand() -> None:
    # one cell (2×4 dots), values 0..3: point 0 at the bottom dot row, point 1 at the top
    rows, owner = braille_lines([[0.0, 3.0]], 0.0, 4.0, 1, 1)
    # x=0 y=3 (bottom) → 0x40; x=1 joined from y=3 up to y=0 → 0x08|0x10|0x20|0x80
    assert rows == [chr(0x2800 + 0x40 + 0x08 + 0x10 + 0x20 + 0x80)]
    assert owner == [[0]]


async def test_too_small_hides_caption_message_and_command_line() -> None:
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"caption hello", "enter")
        await pilot.press("colon", *"depth banana", "enter")  # an error; the line stays open
        app.pull()
        caption, message, cmd = (app.query_one(q) for q in ("#caption", "#message", "#cmd"))
        assert caption.display and message.display and cmd.display
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        assert not (caption.display or message.display or cmd.display)
        assert "hello" not in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert caption.display and message.display and cmd.display


async def test_wide_layout_map_beside_loss_and_charts_in_spare_rows() -> None:
    app = BntuiApp(Config(samples=300, seed=0), threaded=False)
    async with app.run_test(size=(160, 48)) as pilot:
        app.runner.step(120)
        app.pull()
        await pilot.pause()
        side_map, log = app.query_one("#side-map"), app.query_one("#side-log")
        loss, drift = app.query_one("#loss"), app.query_one("#drift")
        assert side_map.display and log.display
        # beside the loss: same row, between the loss and the drift panel
        assert side_map.region.y == loss.region.y
        assert loss.region.right <= side_map.region.x < drift.region.x
        text = screen_text(app)
        assert "Boundary" in text and "|∇W| 1e" in text  # map + gradient history scale
        assert app.query_one("#grads").chart_rows(4) >= 2
        assert app.query_one("#drift").plan(4, True).chart_rows >= 2
        await pilot.resize_terminal(145, 40)  # wide, but not wide enough for the map
        await pilot.pause()
        assert not side_map.display and log.display


async def test_status_puts_the_key_tokens_first_at_80_columns() -> None:
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(3)
        app.pull()
        await pilot.pause()
        first = screen_text(app).splitlines()[0]
        for token in ("paused", "step:3", "ep:", "BN:on", "act:relu", "depth:3"):
            assert token in first, (token, first)
        # tokens end their segments: a space never starts a differently styled run
        status = app.query_one("#status").render()
        for span in status.spans:
            assert not status.plain[span.start : span.end].startswith(" "), span


def _mean_levels(app: BntuiApp, name: str, ramp: str) -> tuple[list[int], str]:
    """The μ sparkline of layer ``name`` in the drift panel, as ramp levels, and its row."""
    rows = str(app.main_screen.query_one("#drift").render()).splitlines()
    row = next(r for r in rows if r.lstrip(" >▸").startswith(name))
    return [ramp.index(ch) for ch in row[5:].split()[0]], row


@pytest.mark.parametrize("ascii", [False, True])
async def test_a_falling_mean_draws_falling_bars(monkeypatch, ascii: bool) -> None:
    # issue 20: the drift sparkline plotted |μ|, so a mean falling to −0.72 drew rising
    # bars. Hand-made run without BN: L2's mean falls to −0.72, L1's rises (L4 sets the
    # scale); with BN every mean stays near 0 and draws as the zero baseline.
    monkeypatch.setenv("NO_COLOR", "1")  # the baseline must read without colour
    ramp = SIGNED_SPARK_ASCII if ascii else SIGNED_SPARK
    zero = len(ramp) // 2
    plain = Story(SMALL.replace(bn=False, depth=4), 600, shape=Shape(drift=1.3714))
    last = plain.last_record["layers"]
    assert round(last[1]["mean"], 2) == -0.72 and last[0]["mean"] > 0.2
    app = BntuiApp(StillRunner(plain), ascii=ascii)
    async with app.run_test(size=(80, 24)) as pilot:
        app.pull()
        await pilot.pause()
        for name, sign in (("L1", 1), ("L2", -1)):
            levels, row = _mean_levels(app, name, ramp)
            rises = [sign * (b - a) for a, b in itertools.pairwise(levels)]
            assert len(levels) >= 5 and min(rises) >= 0 and max(rises) > 0, row
            assert sign * (levels[-1] - zero) >= 1, row  # off the baseline, on its side
        assert "-0.72" in _mean_levels(app, "L2", ramp)[1]
    app = BntuiApp(StillRunner(Story(SMALL.replace(depth=4), 600)), ascii=ascii)
    async with app.run_test(size=(80, 24)) as pilot:
        app.pull()
        await pilot.pause()
        levels, row = _mean_levels(app, "L2", ramp)
        assert levels == [zero] * len(levels) and len(levels) >= 5, row
