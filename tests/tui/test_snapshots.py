"""Snapshots (fixed seed, synchronous stepping, fixed sizes): main, views, help, states.

Nothing in them depends on time: synchronous apps show steps/s as '–' and the pull
timer only redraws what the (unchanging) session already holds.
"""

from __future__ import annotations

from bntui.training.config import Config
from bntui.tui.app import BntuiApp

DEFAULT = Config()  # the experiment `bntui` starts with: spiral, 4×32 ReLU, BN on


def trained(steps: int = 200, *, config: Config = DEFAULT, keys: tuple[str, ...] = (), **kw):
    """An app and a run_before that trains `steps` steps with `keys` pressed halfway."""
    app = BntuiApp(config, threaded=False, **kw)

    async def run_before(pilot) -> None:
        app.runner.step(steps // 2)
        await pilot.press(*keys)
        app.runner.step(steps - steps // 2)
        app.pull()
        await pilot.pause()

    return app, run_before


def test_main_80x24(snap_compare) -> None:
    app, before = trained(keys=("b",))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_main_160x48(snap_compare) -> None:
    app, before = trained(keys=("b", "down"))
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_help(snap_compare) -> None:
    app, before = trained(20)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["question_mark"])


def test_decision_view(snap_compare) -> None:
    app, before = trained(300)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["2"])


def test_histogram_view(snap_compare) -> None:
    app, before = trained(100, config=DEFAULT.replace(activation="sigmoid", bn=False))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["3"])


def test_event_log_view(snap_compare) -> None:
    app, before = trained(100, keys=("plus", "l", "a", "colon", *"mark here", "enter"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["4"])


def test_paused_with_caption(snap_compare) -> None:
    # a Korean caption: wide characters must keep the bar's width right
    keys = ("colon", *"caption 배치 정규화를 켜면 분포가 안정된다", "enter")
    app, before = trained(60, keys=keys)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diverged(snap_compare) -> None:
    app, before = trained(60, keys=("colon", *"lr 1e6", "enter"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_ascii(snap_compare) -> None:
    app, before = trained(200, keys=("b",), ascii=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_too_small(snap_compare) -> None:
    app, before = trained(10)
    assert snap_compare(app, terminal_size=(40, 10), run_before=before)


def test_replay_caption_80x24(snap_compare) -> None:
    # a live replay in its synchronous form: the scripted Korean caption in the caption bar
    schedule = [(0, "caption 배치 정규화 없이: 분포가 흔들린다"), (100, "bn off")]
    app = BntuiApp(DEFAULT, threaded=False, schedule=schedule, steps_per_second=20, max_steps=300)

    async def run_before(pilot) -> None:
        app.runner.step(150)
        app.pull()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_ascii_160x48(snap_compare) -> None:
    app, before = trained(300, keys=("b",), ascii=True)
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_main_layernorm_80x24(snap_compare) -> None:
    # the status line, the drift title and the bands' subtitle name LN
    app, before = trained(config=DEFAULT.replace(norm="ln"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_main_groupnorm_100x30(snap_compare) -> None:
    app, before = trained(config=DEFAULT.replace(norm="gn:4"))
    assert snap_compare(app, terminal_size=(100, 30), run_before=before)


def test_bn_internals_view(snap_compare) -> None:
    # batch size 8: batch statistics scatter, train mode and eval mode disagree visibly
    app, before = trained(200, config=DEFAULT.replace(batch_size=8))
    assert snap_compare(app, terminal_size=(100, 32), run_before=before, press=["5"])


def test_bn_internals_view_with_ln(snap_compare) -> None:
    # LN has no batch statistics: the view says what it would show and why it does not
    app, before = trained(60, config=DEFAULT.replace(norm="ln"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["5"])


# ---------------------------------------------------------------- issue 11: explain, state
def test_legend_80x24(snap_compare) -> None:
    # e: every mark of every panel in plain words; it scrolls and says so in its frame
    app, before = trained(60)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["e"])


def test_what_changed_after_b(snap_compare) -> None:
    # the README's headline net; b at step 300, then one statistics stride: the Δ line
    config = DEFAULT.replace(activation="sigmoid", depth=6, bn=False)
    app = BntuiApp(config, threaded=False)

    async def run_before(pilot) -> None:
        app.runner.step(300)
        await pilot.press("b")
        app.runner.step(config.stats_every)
        app.pull()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_dead_layer_hint(snap_compare) -> None:
    # `:lr 5` kills every unit of L4 (measured: 100 % dead): the hint says what to try
    config = DEFAULT.replace(samples=300, depth=4, width=32, seed=0)
    app = BntuiApp(config, threaded=False)

    async def run_before(pilot) -> None:
        app.runner.step(300)
        await pilot.press("colon", *"lr 5", "enter")
        app.runner.step(300)
        app.pull()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_first_frames_before_statistics(snap_compare) -> None:
    # 10 steps: no statistics yet (every 30 steps): "—", never "NaN"
    app, before = trained(10)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_chart_after_15_events(snap_compare) -> None:
    # 15 events: close ones share a marker, labels keep off the data and carry values
    app = BntuiApp(DEFAULT, threaded=False)
    commands = ["lr *2", "lr /2", "init std:0.01", "bn off", "bn on"] * 3

    async def run_before(pilot) -> None:
        for i, command in enumerate(commands):
            app.runner.step(40 if i % 5 else 120)
            app.runner.send(command)
        app.runner.step(60)
        app.pull()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
