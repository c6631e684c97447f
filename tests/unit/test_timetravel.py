"""Time travel: ``goto`` restores the whole state bit for bit; a branch trains beside the
recorded future (bntui.training.timeline, bntui.training.pair, bntui.training.branch)."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bntui.training.commands import CommandError, parse
from bntui.training.config import Config
from bntui.training.pair import Pair
from bntui.training.player import play_commands
from bntui.training.session import Session
from bntui.training.timeline import Checkpoint, Timeline

SIGMOID = Config(dataset="spiral", activation="sigmoid", depth=3, width=16, bn=False,
                 steps=400, eval_every=20, stats_every=30)  # fmt: skip


def _same(a, b) -> bool:
    """Equal values (NaN equal to NaN), floats compared exactly."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def state(s: Session) -> dict:
    """Everything a session's future (and its screen) depends on."""
    params = s.model.parameters()
    return {
        "config": s.config,
        "step": s.step_count,
        "epoch": s.epoch,
        "order": (s._order.copy(), s._pos),
        "flags": (s.diverged, s.stopped_early, s._best_val, s._evals_since_best),
        "last": (s.last_record, s.last_val),
        "log": list(s.log),
        "events": [e.to_dict() for e in s.events],
        "names": [p.name for p in params],
        "weights": [p.data.copy() for p in params],
        "optimizer": [
            {k: v for k, v in (s.optimizer.state.get(p) or {}).items() if k != "_shape"}
            for p in params
        ],
        "lr": s.optimizer.lr,
        "running": [
            (b.bn.running_mean.copy(), b.bn.running_var.copy())
            for b in s.model.blocks
            if b.bn is not None
        ],
        "streams": {k: g.bit_generator.state for k, g in s._rng.items()},
        "history": {
            name: (ser.width, ser.count, tuple(ser._arrays()))
            for name, ser in s.history.series.items()
        },
    }


def assert_same_state(a: Session, b: Session) -> None:
    sa, sb = state(a), state(b)
    for key in sa:
        assert _same(sa[key], sb[key]), key


def fresh(config: Config, script: list[tuple[int, str]], k: int) -> Pair:
    """A fresh replay of ``script`` to step k (the commands logged at k not applied)."""
    pair = Pair(config)
    play_commands(pair, [e for e in script if e[0] < k], until=k)
    return pair


def recorded(config: Config, script: list[tuple[int, str]], until: int, **tl) -> Pair:
    pair = Pair(config, timeline=Timeline(**({"base": 50} | tl)))
    play_commands(pair, script, until=until)
    return pair


SCRIPT = [(150, "bn on"), (150, "lr *2"), (260, "activation relu")]


@pytest.mark.parametrize("k", [0, 10, 100, 150, 151, 200, 260, 333])
def test_goto_equals_a_fresh_replay(k: int) -> None:
    """Before the first stats stride (10), before, at and after events, between checkpoints."""
    pair = recorded(SIGMOID, SCRIPT, 400)
    event = pair.goto(k)
    assert pair.session.step_count == k and event.kind == "goto"
    assert_same_state(pair.session, fresh(SIGMOID, SCRIPT, k).session)


def test_goto_then_train_on_gives_the_same_records() -> None:
    """Restored streams, optimizer state and BN statistics: the next steps are the same."""
    config = SIGMOID.replace(dropout=0.1, optimizer="momentum")
    script = [(120, "bn on"), (200, "optimizer adam")]
    pair = recorded(config, script, 300)
    pair.goto(140)
    ref = fresh(config, script, 140)
    expected: list = []
    play_commands(ref, [e for e in script if e[0] >= 140], until=260, on_record=expected.append)
    got = [pair.step() for _ in range(120)]  # the recorded command at 200 replays on the way
    assert _same(got, expected)
    assert_same_state(pair.session, ref.session)


def test_goto_after_a_structural_change() -> None:
    script = [(90, "depth +1"), (90, "bn on"), (170, "width 20"), (230, "depth -1")]
    pair = recorded(SIGMOID, script, 300)
    for k in (95, 200, 240, 60):
        pair.goto(k)
        assert_same_state(pair.session, fresh(SIGMOID, script, k).session)


def test_goto_in_compare_mode() -> None:
    script = [(100, "compare bn"), (180, "lr *2")]
    pair = recorded(SIGMOID, script, 300)
    assert pair.twin is not None
    pair.goto(250)
    ref = fresh(SIGMOID, script, 250)
    assert pair.labels == ref.labels
    for mine, theirs in zip(pair.sessions, ref.sessions, strict=True):
        assert_same_state(mine, theirs)
    pair.goto(60)  # before compare was switched on: alone again
    assert pair.twin is None
    assert_same_state(pair.session, fresh(SIGMOID, script, 60).session)


def test_goto_in_compare_mode_from_the_config() -> None:
    config = SIGMOID.replace(compare="bn")
    pair = recorded(config, [(120, "lr *2")], 250)
    pair.goto(130)
    ref = fresh(config, [(120, "lr *2")], 130)
    for mine, theirs in zip(pair.sessions, ref.sessions, strict=True):
        assert_same_state(mine, theirs)


def test_goto_the_future_plays_the_recorded_commands() -> None:
    pair = recorded(SIGMOID, SCRIPT, 400)
    pair.goto(40)
    assert pair.in_past
    event = pair.goto(300)  # forward: the commands at 150 and 260 are replayed
    assert [c for _, c in pair.session.log] == ["bn on", "lr *2", "activation relu"]
    assert_same_state(pair.session, fresh(SIGMOID, SCRIPT, 300).session)
    assert "future is kept" in event.text
    assert pair.goto(10**9).step == 400  # clamped to the newest step
    assert not pair.in_past


def test_step_at_a_past_step_replays_the_recorded_run() -> None:
    original: list = []
    pair = Pair(SIGMOID, timeline=Timeline(base=50))
    play_commands(pair, SCRIPT, until=300, on_record=original.append)
    pair.goto(120)
    again = [pair.step() for _ in range(180)]
    assert _same(again, original[120:300])


def test_goto_prev_next_start_end() -> None:
    """The keys' targets: the previous/next change, else a tenth of the run; 0; the newest."""
    pair = recorded(SIGMOID, SCRIPT, 400)
    assert pair.apply("goto prev").step == 260  # the last change before 400
    assert pair.apply("goto prev").step == 150
    assert pair.apply("goto prev").step == 110  # no change before 150: back 400 / 10
    assert pair.apply("goto next").step == 150
    assert pair.apply("goto next").step == 260
    assert pair.apply("goto next").step == 300  # no change after 260: forward a tenth
    assert pair.apply("goto start").step == 0
    event = pair.apply("goto end")
    assert event.step == 400 and event.command == "goto end"
    assert_same_state(pair.session, fresh(SIGMOID, SCRIPT, 400).session)


def test_goto_is_not_logged_and_a_session_refuses_it() -> None:
    assert str(parse("goto 1,000".replace(",", ""))) == "goto 1000"
    with pytest.raises(CommandError):
        parse("goto -3")
    with pytest.raises(CommandError, match="timeline"):
        Session(SIGMOID).apply("goto 0")
    pair = recorded(SIGMOID, SCRIPT, 200)
    pair.apply("goto 100")
    assert all(cmd != "goto 100" for _, cmd in pair.session.log)


def test_a_branch_is_its_script_beside_the_recorded_future() -> None:
    """b at a past step: the primary is the solo run of its script, the twin the recorded."""
    script = [(250, "bn on")]
    original: list = []
    pair = Pair(SIGMOID, timeline=Timeline(base=50))
    play_commands(pair, script, until=400, on_record=original.extend)
    pair.goto(100)
    pair.apply("bn on")  # branch at 100
    assert pair.branch is not None and pair.labels == ("branch", "recorded")
    assert "bn on at 250" in pair.branch.describe()
    rows = [pair.step() for _ in range(300)]
    branch = [r for step in rows for r in step if r["twin"] == "branch"]
    rec = [r for step in rows for r in step if r["twin"] == "recorded"]
    assert len(branch) == len(rec) == 300
    # the twin is the recorded future, record for record
    assert _same([{k: v for k, v in r.items() if k != "twin"} for r in rec], original[100:400])
    # the primary is the solo run of its own script
    assert pair.session.log == [(100, "bn on")]
    solo: list = []
    ref = Pair(SIGMOID)
    play_commands(ref, pair.session.log, until=400, on_record=solo.extend)
    assert _same([{k: v for k, v in r.items() if k != "twin"} for r in branch], solo[100:400])
    assert_same_state(pair.session, ref.session)
    # goto leaves the branch; the branch's own timeline remains
    pair.goto(200)
    assert pair.branch is None and pair.session.log == [(100, "bn on")]
    assert_same_state(pair.session, fresh(SIGMOID, [(100, "bn on")], 200).session)


def test_checkpoints_thin_within_their_budget() -> None:
    small = recorded(SIGMOID, SCRIPT, 400, base=10, budget=400_000)
    assert small.timeline.nbytes <= 400_000
    assert small.timeline.base > 10 and len(small.timeline) >= 2
    assert small.timeline.steps[0] == 0  # the first checkpoint is never thinned away
    small.goto(277)
    assert_same_state(small.session, fresh(SIGMOID, SCRIPT, 277).session)


def test_goto_before_the_first_checkpoint_stops_there() -> None:
    """A Pair made from a trained Session can go back as far as its first checkpoint."""
    session = Session(SIGMOID)
    session.run(50)
    pair = Pair(session, timeline=Timeline(base=20))
    for _ in range(60):
        pair.step()
    assert pair.goto(10).step == 50 and pair.session.step_count == 50
    ref = Session(SIGMOID)
    ref.run(50)
    assert_same_state(pair.session, ref)


def test_checkpoint_spacing_grows_with_the_step() -> None:
    """Every step of the first ~200 has a checkpoint; later, the checkpoint before step k is
    at most k/100 steps back (a rewind replays at most 1 % of the way)."""
    tl = Timeline()
    assert (tl.interval(150), tl.interval(1000), tl.interval(100_000)) == (1, 10, 1000)
    for step in range(100_001):
        if tl.due(step):
            tl.add(Checkpoint(step, [], None, 0))
    assert tl.steps[:200] == list(range(200))
    worst = max((k - tl.before(k, strictly=False).step) / k for k in range(1, 100_001))
    assert 0.009 < worst <= 0.01
    # 200 for the first 200 steps, then ~100 per factor e: 200 + 100 * ln(500) = 821 (+ rounding)
    assert 800 < len(tl) < 900


_commands = st.sampled_from([
    "bn toggle", "norm ln", "norm gn:2", "norm noisy-bn", "bn-position toggle", "activation next",
    "depth +1", "depth -1", "width *2", "lr *2", "optimizer next", "init xavier",
    "weight-decay 1e-3", "max-norm 1", "dropout 0.2", "batch-size /2", "dataset next",
    "seed 3", "reset", "mark here", "compare bn", "compare off", "compare lr 0.5", "lr 1e6",
])  # fmt: skip
_configs = st.builds(
    Config,
    dataset=st.sampled_from(["spiral", "xor"]),
    samples=st.just(200),
    depth=st.integers(0, 2),
    width=st.sampled_from([4, 8]),
    bn=st.booleans(),
    dropout=st.sampled_from([0.0, 0.2]),
    optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
    batch_size=st.sampled_from([2, 16]),
    eval_every=st.sampled_from([3, 7]),
    stats_every=st.sampled_from([1, 4]),
    patience=st.sampled_from([None, 2]),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**32 - 1),
)


@settings(max_examples=40, deadline=None)
@given(
    config=_configs,
    program=st.lists(st.tuples(st.integers(0, 12), _commands), min_size=1, max_size=8),
    data=st.data(),
)
def test_goto_anywhere_equals_a_fresh_replay(config, program, data):
    """Any program (refused commands, divergence, early stops included), any target step."""
    pair = Pair(config, timeline=Timeline(base=5, density=2))
    for steps, text in program:
        for _ in range(steps):
            if pair.diverged or pair.stopped_early:
                break
            pair.step()
        with contextlib.suppress(CommandError):  # a refused command changes nothing
            pair.apply(text)
    script, end = list(pair.session.log), pair.session.step_count
    k = data.draw(st.integers(0, end))
    pair.goto(k)
    ref = fresh(config, script, k)
    assert pair.session.step_count == ref.session.step_count
    assert len(pair.sessions) == len(ref.sessions)
    for mine, theirs in zip(pair.sessions, ref.sessions, strict=True):
        assert_same_state(mine, theirs)
