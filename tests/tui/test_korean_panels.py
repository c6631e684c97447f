"""The legend (e) and the BN internals view (5) in Korean at 80×24: Korean text, every
line within 80 cells, the per-unit table one line per unit; and no Hangul in English."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from rich.console import Console
from screen_helpers import screen_text

from bntui.i18n.ko import KO
from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.panels.internals_view import CELL, COLUMNS, UNIT, cell_width
from bntui.tui.screens.legend import LEGEND, legend_table

SMALL = Config(samples=300, depth=3, width=16, seed=0)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:e-?\d+)?")


async def test_korean_legend_at_80x24(lang) -> None:
    lang("ko")
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        await pilot.press("e")
        await pilot.pause()
        text = screen_text(app)
        assert KO["bntui · what the panels show"] in text
        assert KO["Status line (top)"] in text
        assert KO["▶ running ‖ paused"] in text
        assert all(cell_len(line) <= 80 for line in text.splitlines())


@pytest.mark.parametrize("width", [66, 68, 70, 76])
def test_the_whole_korean_legend_wraps_without_losing_words(lang, width) -> None:
    # Rich's "ellipsis" overflow used to crop a wrapped Hangul line that filled the column
    lang("ko")
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(legend_table())
    shown = "".join(console.export_text().split())
    for panel, rows in LEGEND:
        assert "".join(KO[panel].split()) in shown
        for _mark, what in rows:
            assert "".join(KO[what].split()) in shown, what


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_internals_view_one_line_per_unit_at_80x24(lang, language) -> None:
    lang(language)
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(40)
        await pilot.press("5")
        app.pull()
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert all(cell_len(line) <= 80 for line in lines)
        header = next(i for i, line in enumerate(lines) if " unit " in line)
        assert lines[header].rstrip(" │").endswith("diff")
        first = lines[header + 1].strip("│ ")
        assert first.startswith("1 ") and len(NUMBER.findall(first)) == 1 + len(COLUMNS)
        text = "\n".join(lines)
        if language == "ko":
            assert KO["BN internals"] in text
            assert (
                KO["smaller batches: μ_B, σ_B scatter more, train and eval part (batch-size /2)"]
                in text
            )
        else:
            assert not HANGUL.search(text)


async def test_korean_internals_explains_ln(lang) -> None:
    lang("ko")
    app = BntuiApp(SMALL.replace(norm="ln"), threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(10)
        await pilot.press("5")
        app.pull()
        await pilot.pause()
        text = screen_text(app)
        assert KO["It does not apply here:"] in text
        assert KO["each sample over its own features"] in "".join(text.split("│"))
        assert all(cell_len(line) <= 80 for line in text.splitlines())


def test_cell_width_fits_the_table() -> None:
    wide = UNIT + len(COLUMNS) * (CELL + 1)
    assert cell_width(wide) == CELL
    assert cell_width(wide - 1) == CELL - 1
    assert cell_width(78) == CELL - 1  # the panel's inside at 80 columns
    assert UNIT + len(COLUMNS) * cell_width(78) + len(COLUMNS) <= 78


@pytest.mark.parametrize(("key", "body"), [("e", "#legend-body"), ("question_mark", "#help-body")])
async def test_legend_and_help_scroll_with_the_keys_their_frame_names(key, body) -> None:
    # at 80×24 most of either screen is below the fold: PgDn and ↓ must reach it
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await pilot.pause()
        scroll = app.screen.query_one(body)
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        paged = scroll.scroll_y
        assert paged > 0
        await pilot.press("down")
        await pilot.pause()
        assert scroll.scroll_y == paged + 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen
