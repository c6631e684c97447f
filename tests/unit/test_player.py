"""The one schedule player: what is applied at which step boundary, and why playing ends."""

from __future__ import annotations

from typing import Any

from bntui.training.config import Config
from bntui.training.metrics import layer_metric, layer_value, parse_layer_metric
from bntui.training.player import Ending, Schedule, play, play_commands
from bntui.training.session import Session


class Counter:
    """A stand-in session: step() counts; diverges at a chosen step."""

    def __init__(self, diverge_at: int | None = None) -> None:
        self.step_count = 0
        self.diverged = False
        self.stopped_early = False
        self.diverge_at = diverge_at
        self.applied: list[tuple[int, str]] = []

    def step(self) -> dict[str, Any]:
        self.step_count += 1
        self.diverged = self.step_count == self.diverge_at
        return {"step": self.step_count}

    def apply(self, command: str) -> None:
        self.applied.append((self.step_count, command))


def test_schedule_orders_by_step_and_keeps_ties_in_order() -> None:
    s = Schedule([(5, "b"), (0, "a"), (5, "c"), (9, "d")])
    assert s.next_step == 0 and len(s) == 4
    assert s.due(4) == [(0, "a")]
    assert s.due(5) == [(5, "b"), (5, "c")]
    assert s.next_step == 9 and s.due(8) == []
    s.clear()
    assert s.next_step is None and list(s) == []


def test_play_applies_every_entry_at_its_step_and_those_at_the_end() -> None:
    c = Counter()
    records: list[dict] = []
    why = play_commands(
        c, [(0, "first"), (3, "mid"), (10, "last"), (11, "after")], until=10,
        on_record=records.append,
    )  # fmt: skip
    assert why == Ending.DONE and c.step_count == 10
    assert c.applied == [(0, "first"), (3, "mid"), (10, "last")]  # 11 is past the end
    assert [r["step"] for r in records] == list(range(1, 11))


def test_play_stops_for_a_hold_right_after_its_entry() -> None:
    c = Counter()
    sched = Schedule([(2, "hold here"), (4, "later")])
    seen: list[tuple[int, str]] = []

    def on_due(at: int, item: str) -> bool:
        seen.append((c.step_count, item))
        return item == "hold here"

    assert play(c, sched, until=10, on_due=on_due) == Ending.HELD
    assert c.step_count == 2 and seen == [(2, "hold here")]
    assert play(c, sched, until=10, on_due=on_due) == Ending.DONE  # goes on from there
    assert seen == [(2, "hold here"), (4, "later")] and c.step_count == 10


def test_a_hold_keeps_the_rest_of_its_steps_entries_for_later() -> None:
    """A hold on the first of two entries at one step: the second is applied on resuming
    (it used to be taken out with the first and lost)."""
    c = Counter()
    sched = Schedule([(2, "hold here"), (2, "same step"), (4, "later")])
    seen: list[tuple[int, str]] = []

    def on_due(at: int, item: str) -> bool:
        seen.append((c.step_count, item))
        return item == "hold here"

    assert play(c, sched, until=10, on_due=on_due) == Ending.HELD
    assert seen == [(2, "hold here")] and sched.next_step == 2
    assert play(c, sched, until=10, on_due=on_due) == Ending.DONE
    assert seen == [(2, "hold here"), (2, "same step"), (4, "later")]


def test_play_applies_the_entries_at_the_divergence_step_then_stops() -> None:
    c = Counter(diverge_at=3)
    assert play_commands(c, [(3, "at three"), (5, "never")], until=10) == Ending.DIVERGED
    assert c.step_count == 3 and c.applied == [(3, "at three")]


def test_play_on_a_real_session_matches_stepping_by_hand() -> None:
    config = Config(samples=100, depth=1, width=4, seed=2)
    a, b = Session(config), Session(config)
    play_commands(a, [(5, "bn off"), (8, "lr /2"), (8, "caption x")], until=8)
    for step in range(8):
        if step == 5:
            b.apply("bn off")
        b.step()
    b.apply("lr /2")
    b.apply("caption x")
    assert a.log == b.log == [(5, "bn off"), (8, "lr /2"), (8, "caption x")]
    assert a.last_record == b.last_record


def test_layer_metric_names_round_trip() -> None:
    assert layer_metric(3, "grad_norm") == "L3.grad_norm"
    assert parse_layer_metric("L12.p85") == (12, "p85")
    for bad in ("val_acc", "L.std", "Lx.std", "L2.", "2.std", "l2.std"):
        assert parse_layer_metric(bad) is None, bad
    record = {"layers": [{"std": 1.5}, {"std": 2.5}]}
    assert layer_value(record, 2, "std") == 2.5
    assert layer_value(record, 3, "std") is None and layer_value(record, 0, "std") is None
    assert layer_value({}, 1, "std") is None
