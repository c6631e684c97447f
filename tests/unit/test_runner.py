"""The runner's door: typed controls in, immutable Frames out (synchronous runner)."""

from __future__ import annotations

import dataclasses

import pytest

from bntui.live.frame import Needs
from bntui.live.runner import Runner
from bntui.training.config import Config

TINY = Config(samples=120, depth=2, width=8, seed=4)


def test_frame_is_one_immutable_instant() -> None:
    r = Runner(TINY, threaded=False)
    r.step(TINY.stats_every)  # the last step has statistics
    f = r.frame(Needs(loss_points=8, spark_points=4, decision=(4, 4), hist_bins=5))
    s = r.session
    assert f.step == s.step_count == TINY.stats_every and f.config is s.config
    assert f.layers[1].last["std"] == s.last_record["layers"][1]["std"]
    assert f.loss["loss"].last[-1] == s.last_record["loss"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.step = 0  # type: ignore[misc]
    for array in (f.loss["loss"].mean, f.decision["proba"], f.histograms[0].counts):
        with pytest.raises(ValueError):
            array[...] = 0
    # nothing changed: the same frame; a step later: a new one, the old one untouched
    assert r.frame() is f
    r.step(1)
    g = r.frame()
    assert g.step == f.step + 1 and f.step == TINY.stats_every and g.version > f.version


def test_restart_rebuilds_the_lesson_from_its_plan() -> None:
    schedule = [(0, "caption go"), (5, "bn off"), (9, "lr *2")]
    r = Runner(TINY, threaded=False, schedule=schedule, steps_per_second=7, max_steps=12)
    r.step(6)
    r.takeover()  # the user's session now: no schedule or limit; the pace stays
    r.send("depth +1")
    assert not r.replaying and list(r.schedule) == [] and r.max_steps is None
    assert r.steps_per_second == 7
    first = r.session
    r.restart()
    assert r.session is not first and r.session.step_count == 0
    assert r.session.config == TINY and r.replaying
    assert list(r.schedule) == schedule and (r.steps_per_second, r.max_steps) == (7, 12)
    r.step(100)  # never past the lesson's end; its last event applied
    assert r.session.step_count == 12
    assert r.session.log == [(0, "caption go"), (5, "bn off"), (9, "lr *2")]
    assert r.frame().replay.finished and r.state == "stopped"


def test_speed_and_skip_controls() -> None:
    r = Runner(TINY, threaded=False, schedule=[(20, "bn off")], max_steps=50)
    r.set_speed(123.0)
    assert r.steps_per_second == 123.0
    r.skip_to(20)  # trains to the event and plays it
    f = r.frame()
    assert f.step == 20 and not f.config.bn and f.replay.next_step is None
    assert not f.replay.finished  # 30 steps of the lesson still to go


def test_a_command_error_is_a_message_not_a_crash() -> None:
    r = Runner(TINY, threaded=False)
    r.send("depth banana")
    f = r.frame()
    assert f.message and "depth" in f.message and f.state == "paused"
    assert f.config.depth == TINY.depth and r.session.log == []


def test_early_stop_and_worker_error_are_messages_with_their_fields() -> None:
    from bntui.i18n.message import Msg
    from bntui.live.frame import RunState

    r = Runner(TINY.replace(patience=1, eval_every=5, lr=1e-9), threaded=False)
    r.step(200)
    f = r.frame(Needs())
    assert f.state == RunState.STOPPED and isinstance(f.message, Msg)
    # the English rendering is the event's text, byte for byte (events.jsonl keeps it)
    assert str(f.message) == r.session.events[-1].text
    assert f.message.key.startswith("early stop: val loss has not improved for {n} evaluations")
    assert dict(f.message.args)["n"] == 1
    r.session.step = None  # type: ignore[assignment]  # the engine breaks: a worker error
    r.send("reset")
    r.step(1)
    f = r.frame(Needs())
    assert f.state == RunState.CRASHED and isinstance(f.message, Msg)
    assert str(f.message).startswith("worker error: TypeError: ")
    assert str(f.message).endswith(" (reset clears it; --debug for details)")
