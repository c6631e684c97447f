"""Chart marker labels are measured in terminal cells (Korean, emoji), and a chart that
fails to draw is counted and shows a visible placeholder (issue 12 item 12 and "Also")."""

from __future__ import annotations

from rich.cells import cell_len

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.panels.axes import cut_cells
from bntui.tui.panels.charts import LossChart, render_failures

SMALL = Config(samples=200, depth=2, width=8, seed=1)
KOREAN = "배치정규화를켠다음에학습률을두배로올려본다고요"  # 25 wide characters
EMOJI = "🔥👍🏽❤️‍🔥 BN"


def test_cut_cells_counts_cells_not_characters():
    assert cut_cells("abcdefghijklmnopq", 14) == "abcdefghijklmn"
    assert cut_cells(KOREAN, 14) == "배치정규화를켠"  # 7 characters = 14 cells
    assert cut_cells("a" + KOREAN, 14) == "a배치정규화를"  # 13 cells: no half character
    assert cut_cells("e\u0301\u200d\ufe0fx", 14) == "ex"  # combining / zero-width dropped
    assert cut_cells(EMOJI, 14) == "🔥👍❤🔥 BN"  # skin tone, ZWJ, VS16: zero width


async def chart_lines(app, pilot) -> list[str]:
    await pilot.pause()
    chart = app.main_screen.query_one("#loss", LossChart)
    text = chart.render()
    return text.plain.rstrip("\n").split("\n"), chart.size.width


async def test_wide_mark_labels_keep_every_chart_row_in_its_width():
    for label in (KOREAN, EMOJI):
        app = BntuiApp(SMALL, threaded=False)
        async with app.run_test(size=(100, 30)) as pilot:
            app.runner.step(30)
            app.runner.send(f"mark {label}")
            app.runner.step(30)
            app.pull()
            lines, width = await chart_lines(app, pilot)
            assert all(cell_len(line) == width for line in lines), [
                (cell_len(line), line) for line in lines if cell_len(line) != width
            ]
            assert "\ue000" not in "".join(lines)
            assert any(cut_cells(label, 6) in line for line in lines), lines  # label drawn
            assert render_failures(app) == 0


async def test_a_failing_chart_is_counted_and_shows_a_placeholder(monkeypatch):
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.runner.step(5)
        app.pull()
        await pilot.pause()
        chart = app.main_screen.query_one("#loss", LossChart)
        assert render_failures(app) == 0

        def broken() -> str:
            raise ValueError("broken on purpose")

        monkeypatch.setattr(chart._plot, "build", broken)
        text = chart.render()
        assert "chart failed to draw (ValueError; 1 so far)" in text.plain
        assert chart.failures == 1 and "broken on purpose" in chart.last_failure
        assert render_failures(app) == 1


async def test_a_log_axis_chart_renders_the_same_twice():
    """plotext's build() takes the log of a log axis' data in place: a second render of the
    same figure (a repaint after a resize) failed with a math domain error (found by the
    threaded stress test once failures were counted). Each render now replays the data."""
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.runner.step(60)
        await pilot.press("y")
        app.pull()
        await pilot.pause()
        chart = app.main_screen.query_one("#loss", LossChart)
        first = chart.render().plain
        second = chart.render().plain
        assert "failed" not in first and first == second
        assert render_failures(app) == 0


class _Series:
    """What the loss subtitle reads of a series: ``len`` and ``last[-1]``."""

    def __init__(self, value: float) -> None:
        self.last = [value]

    def __len__(self) -> int:
        return 1


def test_loss_subtitle_keeps_the_val_loss_before_the_word_acc():
    """At 80×24 the loss panel's subtitle has 32 cells: "loss 0.0708 val 0.704 acc 98%/82%"
    (33) dropped the val loss a lesson caption had just quoted; now the word "acc" goes
    first, and the val loss only when even that does not fit."""
    from bntui.tui.panels.charts import _subtitle

    series = [_Series(v) for v in (0.0708, 0.704, 0.98, 0.82)]
    assert _subtitle(*series, width=40) == "loss 0.0708 val 0.704 acc 98%/82%"
    assert _subtitle(*series, width=32) == "loss 0.0708 val 0.704 98%/82%"
    assert _subtitle(*series, width=26) == "loss 0.0708 98%/82%"


def test_pair_subtitle_falls_back_to_the_glyphs_when_labels_do_not_fit():
    """At 80 columns "branch 0.245 98% · recorded 0.293 97%" was cut after the recorded
    loss ("recorded 0.293…"); a caption quoting both futures' numbers needs both whole."""
    from types import SimpleNamespace

    from bntui.tui.panels.charts import _pair_subtitle

    def twin(loss: float, acc: float) -> SimpleNamespace:
        return SimpleNamespace(loss={"loss": _Series(loss), "val_acc": _Series(acc)})

    frame = SimpleNamespace(**vars(twin(0.245, 0.98)), labels=("branch", "recorded"))
    frame.twin = twin(0.293, 0.97)
    full = "branch 0.245 98% · recorded 0.293 97%"
    assert _pair_subtitle(frame, False, width=60) == full
    assert _pair_subtitle(frame, False, width=34) == "• 0.245 98% · × 0.293 97%"
    assert _pair_subtitle(frame, False, width=34, ascii=True) == "* 0.245 98% · x 0.293 97%"
