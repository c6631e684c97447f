"""Snapshots (fixed sizes, synchronous app): main, views, help, states.

Every number on them is hand-made: the app draws Frames of a ``synthetic.Story`` (no
training, so no OpenBLAS kernel can change a digit or a dot; see tests/tui/synthetic.py).
Event texts come from the real session's commands (applied without training). Nothing
in them depends on time: the synchronous app shows steps/s as '–'.
"""

from __future__ import annotations

from synthetic import Shape, StillRunner, Story, commands, internals

from bntui.live.bn_internals import BNInternals, not_applicable
from bntui.live.changes import dead_hint
from bntui.live.frame import ReplayState, RunState
from bntui.training.config import Config
from bntui.training.events import Event
from bntui.training.session import DIVERGED_HINT
from bntui.tui.app import BntuiApp

DEFAULT = Config()  # the experiment `bntui` starts with: spiral, 4×32 ReLU, BN on


def still(
    config: Config = DEFAULT,
    steps: int = 200,
    script: tuple[tuple[int, str], ...] = (),
    *,
    story: dict | None = None,
    keys: tuple[str, ...] = (),
    app: dict | None = None,
    **runner,
):
    """An app over a Story of ``steps`` steps with ``script``'s commands, and a
    run_before that presses ``keys`` and draws it."""
    final, events = commands(config, list(script))
    s = Story(config, steps, events, final=final, **(story or {}))
    bntui = BntuiApp(StillRunner(s, **runner), **(app or {}))

    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        await pilot.pause()  # a new view pulls after its first refresh: let it
        bntui.painter.forget()  # redraw at the settled layout (the story never changes)
        bntui.pull()
        await pilot.pause()

    return bntui, run_before


def test_main_80x24(snap_compare) -> None:
    app, before = still(script=((100, "bn toggle"),))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_main_160x48(snap_compare) -> None:
    app, before = still(script=((100, "bn toggle"),), keys=("down",))
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_help(snap_compare) -> None:
    app, before = still(steps=20)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["question_mark"])


def test_decision_view(snap_compare) -> None:
    app, before = still(steps=300)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["2"])


def test_histogram_view(snap_compare) -> None:
    config = DEFAULT.replace(activation="sigmoid", bn=False)
    app, before = still(config, 100, story={"shape": Shape("stuck")})
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["3"])


def test_event_log_view(snap_compare) -> None:
    script = ((50, "depth +1"), (50, "lr /2"), (50, "activation next"), (50, "mark here"))
    app, before = still(steps=100, script=script)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["4"])


def test_paused_with_caption(snap_compare) -> None:
    # a Korean caption: wide characters must keep the bar's width right
    app, before = still(steps=60, script=((30, "caption 배치 정규화를 켜면 분포가 안정된다"),))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diverged(snap_compare) -> None:
    final, events = commands(DEFAULT, [(30, "lr 1e6")])
    events.append(Event(31, "", f"diverged: {DIVERGED_HINT}", "diverged"))
    story = Story(DEFAULT, 60, events, final=final, diverged_at=31)
    app = BntuiApp(StillRunner(story, state=RunState.DIVERGED, message=DIVERGED_HINT))
    assert snap_compare(app, terminal_size=(80, 24))


def test_ascii(snap_compare) -> None:
    app, before = still(script=((100, "bn toggle"),), app={"ascii": True})
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_too_small(snap_compare) -> None:
    app, before = still(steps=10)
    assert snap_compare(app, terminal_size=(40, 10), run_before=before)


def test_replay_caption_80x24(snap_compare) -> None:
    # a live replay: the scripted Korean caption in the caption bar, the next event named
    script = ((0, "caption 배치 정규화 없이: 분포가 흔들린다"), (100, "bn off"))
    replay = ReplayState(active=True, next_step=None, total=300, finished=False)
    app, before = still(steps=150, script=script, replay=replay, pace=20.0)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_ascii_160x48(snap_compare) -> None:
    app, before = still(steps=300, script=((150, "bn toggle"),), app={"ascii": True})
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_main_layernorm_80x24(snap_compare) -> None:
    # the status line, the drift title and the bands' subtitle name LN
    app, before = still(DEFAULT.replace(norm="ln"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_main_groupnorm_100x30(snap_compare) -> None:
    app, before = still(DEFAULT.replace(norm="gn:4"))
    assert snap_compare(app, terminal_size=(100, 30), run_before=before)


def test_bn_internals_view(snap_compare) -> None:
    # batch size 8: batch statistics scatter, train mode and eval mode disagree visibly
    app, before = still(DEFAULT.replace(batch_size=8), internals=internals(4, 32, 8))
    assert snap_compare(app, terminal_size=(100, 32), run_before=before, press=["5"])


def test_bn_internals_view_with_ln(snap_compare) -> None:
    # LN has no batch statistics: the view says what it would show and why it does not
    why = BNInternals(layer=4, norm="ln", applies=False, reason=not_applicable("ln", 4))
    app, before = still(DEFAULT.replace(norm="ln"), 60, internals=why)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["5"])


# ---------------------------------------------------------------- issue 11: explain, state
def test_legend_80x24(snap_compare) -> None:
    # e: every mark of every panel in plain words; it scrolls and says so in its frame
    app, before = still(steps=60)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before, press=["e"])


def test_what_changed_after_b(snap_compare) -> None:
    # the README's headline net; b at step 300, then one statistics stride: the Δ line
    config = DEFAULT.replace(activation="sigmoid", depth=6, bn=False)
    change = (300, "BN on: L1 σ 0.52→1.00, |∇W| L1 ×1679")  # the form bntui.live.changes words
    app, before = still(
        config, 330, ((300, "bn toggle"),), story={"shape": Shape("stuck")}, change=change
    )
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_dead_layer_hint(snap_compare) -> None:
    # every unit of L4 dead: the hint (worded by bntui.live.changes) says what to try
    final, events = commands(DEFAULT, [(300, "lr 5")])
    story = Story(DEFAULT, 600, events, final=final, shape=Shape("dead"))
    hint = dead_hint("relu", story.last_record["layers"])
    assert hint is not None and str(hint).startswith("L4: 100% of units dead")
    app = BntuiApp(StillRunner(story, hint=hint))
    assert snap_compare(app, terminal_size=(80, 24))


def test_first_frames_before_statistics(snap_compare) -> None:
    # 10 steps: no statistics yet (every 30 steps): "—", never "NaN"
    app, before = still(steps=10)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_chart_after_15_events(snap_compare) -> None:
    # 15 events: close ones share a marker, labels keep off the data and carry values
    names = ["lr *2", "lr /2", "init std:0.01", "bn off", "bn on"] * 3
    steps = [120, 160, 200, 240, 280, 400, 440, 480, 520, 560, 680, 720, 760, 800, 840]
    app, before = still(steps=900, script=tuple(zip(steps, names, strict=True)))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)
